#!/usr/bin/env bash
# Forward-latency benchmark, cfcam beside onnxruntime on the same models, machine and thread count.
# Each (model, batch) pair is measured in alternating rounds (cfcam, ort, cfcam, ort, ...) so both
# see the same machine state; each round reports a median over --runs forwards after warm-up. The
# times shown are medians over rounds; the ratio is the median of the per-round ratios (each round's
# pair ran back to back, so slow drifts of a shared VM cancel), with its range over the rounds.
#   scripts/bench.sh [--threads 2] [--rounds 3] [--runs 10] [MODEL.onnx ...]   (BATCHES="1" limits the batch sizes; default "1 8")
set -euo pipefail
cd "$(dirname "$0")/.."
threads=2 rounds=3 runs=10 models=()
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads=$2; shift 2;;
    --rounds) rounds=$2; shift 2;;
    --runs) runs=$2; shift 2;;
    *) models+=("$1"); shift;;
  esac
done
[ ${#models[@]} -gt 0 ] || models=(fixtures/cache/resnet50_op17.onnx fixtures/cache/resnet18_op17.onnx fixtures/models/squeezenet1_1_op17.onnx)
bash scripts/setup.sh --python >/dev/null
swift build -c release --product cfcam >/dev/null
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
printf "%-40s %5s %12s %12s %8s %14s\n" model batch cfcam_ms ort_ms ratio ratio_range
for m in "${models[@]}"; do
  [ -f "$m" ] || { echo "missing $m (run scripts/test.sh to generate fixtures/cache)" >&2; continue; }
  for b in ${BATCHES:-1 8}; do
    ours=() theirs=()
    for _ in $(seq "$rounds"); do
      ours+=("$(.build/release/cfcam bench "$m" --threads "$threads" --batch "$b" --runs "$runs" | sed -n 's/^median_ms=//p')")
      theirs+=("$(.venv/bin/python scripts/reference/bench_ort.py "$m" --threads "$threads" --batch "$b" --runs "$runs" 2>/dev/null | sed -n 's/^median_ms=//p')")
    done
    o=$(printf "%s\n" "${ours[@]}" | median); t=$(printf "%s\n" "${theirs[@]}" | median)
    ratios=$(for i in "${!ours[@]}"; do awk -v a="${ours[$i]}" -v b="${theirs[$i]}" 'BEGIN{print a/b}'; done | sort -g)
    r=$(printf "%s\n" "$ratios" | median)
    printf "%-40s %5d %12.2f %12.2f %8.2f %6.2f..%-6.2f\n" "$(basename "$m")" "$b" "$o" "$t" "$r" \
      "$(printf "%s\n" "$ratios" | head -1)" "$(printf "%s\n" "$ratios" | tail -1)"
  done
done
echo "threads=$threads rounds=$rounds runs=$runs; ratio = cfcam / onnxruntime (lower is better)"
