#!/usr/bin/env bash
# Evaluation cost per image beside the same protocol on torch CPU (same threads): pytorch-grad-cam's
# DropInConfidence / IncreaseInConfidence and RISE's insertion / deletion (step 224: 2 x 225
# forwards), on the seeded resnet18 (fixtures/cache/resnet18_op17.onnx) and the same GradCAM map.
# Paired alternating rounds (torch, then cfcam, 3 times); medians and ratios. Also what batching
# buys (cfcam --batch-size 1 vs 32) and ROAD combined (cfcam only: the torch side needs scipy).
#   scripts/bench-eval.sh [--threads 2] [--rounds 3]
set -euo pipefail
cd "$(dirname "$0")/.."
threads=2 rounds=3
while [ $# -gt 0 ]; do case $1 in --threads) threads=$2; shift 2;; --rounds) rounds=$2; shift 2;; *) echo "unknown $1" >&2; exit 2;; esac; done
bash scripts/setup.sh --python >/dev/null
swift build -c release --product cfcam >/dev/null
source scripts/openblas-env.sh
bin=.build/release/cfcam
model=fixtures/cache/resnet18_op17.onnx
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# cfcam's seconds of metric evaluation for the one image (summary.csv's seconds-evaluate), in ms.
ours() {  # metrics, batch size, extra args...
  local metrics=$1 batch=$2; shift 2
  $bin evaluate $model "$tmp/data" --maps "$tmp/maps" --metrics "$metrics" --batch-size $batch --threads $threads \
    --out-dir "$tmp/out" --force --bootstrap 0 "$@" 2>/dev/null
  awk -F, '$2 == "seconds-evaluate" { printf "%.1f\n", $4 * 1000 }' "$tmp/out/summary.csv"
}
pgc="--metric-param average-drop:variant=pytorch-grad-cam --metric-param increase-in-confidence:variant=pytorch-grad-cam"
for r in $(seq $rounds); do
  out=$(.venv/bin/python scripts/reference/bench_eval_torch.py --out "$tmp" --threads $threads --runs 1)
  [ $r = 1 ] && echo "$out" | grep '^values'
  for k in conf_ms insdel_ms insdel_batched_ms; do echo "$out" | sed -n "s/^$k=//p" >> "$tmp/t.$k"; done
  ours average-drop,increase-in-confidence 32 $pgc >> "$tmp/c.conf"
  ours insertion,deletion 32 >> "$tmp/c.insdel"
  ours insertion,deletion 1 >> "$tmp/c.insdel1"
  [ $r = 1 ] && { grep maps "$tmp/out/scores.csv" | sed 's/^/cfcam: /'; ours road-combined 32 > "$tmp/c.road"; }
done
med() { sort -n "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a=$1 -v b=$2 'BEGIN{printf "%.2f", a/b}'; }
conf=$(med "$tmp/t.conf_ms") insdel=$(med "$tmp/t.insdel_ms") insdel_b=$(med "$tmp/t.insdel_batched_ms")
c_conf=$(med "$tmp/c.conf") c_insdel=$(med "$tmp/c.insdel") c_insdel1=$(med "$tmp/c.insdel1") c_road=$(med "$tmp/c.road")
echo "confidence change (AD + IC): cfcam ${c_conf} ms, pytorch-grad-cam ${conf} ms, ratio $(ratio $c_conf $conf)"
echo "insertion + deletion (2 x 225 forwards): cfcam ${c_insdel} ms (batch 32); torch one image per forward (RISE single_run) ${insdel} ms, ratio $(ratio $c_insdel $insdel); torch batch 32 ${insdel_b} ms, ratio $(ratio $c_insdel $insdel_b)"
echo "batching: cfcam insertion + deletion at batch 1 ${c_insdel1} ms vs batch 32 ${c_insdel} ms ($(ratio $c_insdel1 $c_insdel)x)"
echo "ROAD combined (18 imputations of 224x224 + 18 forwards): cfcam ${c_road} ms"
echo "threads=$threads rounds=$rounds"
