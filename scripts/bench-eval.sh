#!/usr/bin/env bash
# Evaluation cost per image beside the same protocol on torch CPU (same threads): pytorch-grad-cam's
# DropInConfidence / IncreaseInConfidence and RISE's insertion / deletion (step 224: 2 x 225
# forwards), on the seeded resnet18 (fixtures/cache/resnet18_op17.onnx) and the same GradCAM map.
# Also: what batching buys (cfcam --batch-size 1 vs 32), and ROAD combined (cfcam only: the torch
# side needs scipy). Release build; medians of 3 runs.
#   scripts/bench-eval.sh [--threads 2]
set -euo pipefail
cd "$(dirname "$0")/.."
threads=2
[ "${1:-}" = "--threads" ] && threads=$2
bash scripts/setup.sh --python >/dev/null
swift build -c release --product cfcam >/dev/null
source scripts/openblas-env.sh
bin=.build/release/cfcam
model=fixtures/cache/resnet18_op17.onnx
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

torch_out=$(.venv/bin/python scripts/reference/bench_eval_torch.py --out "$tmp" --threads $threads --runs 3)
echo "$torch_out" | grep '^values'
val() { echo "$torch_out" | sed -n "s/^$1=//p"; }
conf=$(val conf_ms) insdel=$(val insdel_ms) insdel_b=$(val insdel_batched_ms)

# Seconds of metric evaluation for the one image (summary.csv's seconds-evaluate), median of 3 runs.
ours() {  # metrics, batch size, extra args...
  local metrics=$1 batch=$2; shift 2
  for r in 1 2 3; do
    $bin evaluate $model "$tmp/data" --maps "$tmp/maps" --metrics "$metrics" --batch-size $batch --threads $threads \
      --out-dir "$tmp/out" --force --bootstrap 0 "$@" 2>/dev/null || true
    awk -F, '$2 == "seconds-evaluate" { printf "%.1f\n", $4 * 1000 }' "$tmp/out/summary.csv"
  done | sort -n | sed -n 2p
}
pgc="--metric-param average-drop:variant=pytorch-grad-cam --metric-param increase-in-confidence:variant=pytorch-grad-cam"
c_conf=$(ours average-drop,increase-in-confidence 32 $pgc)
c_insdel=$(ours insertion,deletion 32)
c_insdel1=$(ours insertion,deletion 1)
c_road=$(ours road-combined 32)
grep -h "maps" "$tmp/out/scores.csv" | head -1 >/dev/null
ratio() { awk -v a=$1 -v b=$2 'BEGIN{printf "%.2f", a/b}'; }
echo "confidence change (AD + IC): cfcam ${c_conf} ms, pytorch-grad-cam ${conf} ms, ratio $(ratio $c_conf $conf)"
echo "insertion + deletion (2 x 225 forwards): cfcam ${c_insdel} ms (batch 32), RISE single_run torch ${insdel} ms, ratio $(ratio $c_insdel $insdel); torch batched ${insdel_b} ms, ratio $(ratio $c_insdel $insdel_b)"
echo "batching: cfcam insertion + deletion at batch 1 ${c_insdel1} ms vs batch 32 ${c_insdel} ms ($(ratio $c_insdel1 $c_insdel)x)"
echo "ROAD combined (18 imputations of 224x224 + 18 forwards): cfcam ${c_road} ms"
echo "threads=$threads"
