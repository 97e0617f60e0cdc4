#!/usr/bin/env bash
# Images per second of `cfcam explain MODEL FOLDER --out-dir OUT` on a folder of photos with the
# bundled EfficientNet-Lite0, Grad-CAM and CF-CAM (grouped: --param groups=32), beside
# pytorch-grad-cam's GradCAM on the same network in PyTorch (scripts/reference/bench_folder_torch.py),
# same photos, same threads, decoding, preprocessing and writing included on both sides.
#   scripts/bench-folder.sh [--threads 2] [--rounds 3] [--count 64]
# Photos: scripts/reference/bench_photos.py (varied crops, sizes, flips, JPEG / PNG of the bundled
# photos) into a temporary folder; the first 4 of the same sequence form the small folder.
# Each round runs, back to back, for the small and the full folder: cfcam Grad-CAM, pytorch-grad-cam
# GradCAM (OpenMP's default wait policy, then OMP_WAIT_POLICY=PASSIVE: on a machine with more
# runnable threads than cores, torch's spinning OpenMP workers lose most of their time; see
# docs/performance.md), cfcam CF-CAM; each a whole command (start-up, model load, every output file). Reported
# per round: whole-command images/s on the full folder, the marginal images/s (the extra photos
# over the extra time, start-up cancelled out), and cfcam's Grad-CAM speed over pytorch-grad-cam's
# (its time / ours), and the machine's load average; then the medians. Release build.
# docs/performance.md records the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=2 rounds=3 count=64
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads=$2; shift 2;;
    --rounds) rounds=$2; shift 2;;
    --count) count=$2; shift 2;;
    *) echo "usage: scripts/bench-folder.sh [--threads N] [--rounds N] [--count N]" >&2; exit 2;;
  esac
done
small=4
source scripts/openblas-env.sh
[ -x .venv/bin/python ] || bash scripts/setup.sh --python >/dev/null
swift build -c release --product cfcam >/dev/null
bin="$(swift build -c release --show-bin-path)/cfcam"
model=models/efficientnet-lite0/efficientnet_lite0.onnx
py=.venv/bin/python
tmp="$(mktemp -d "${TMPDIR:-/tmp}/cfcam-bench-folder.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
$py scripts/reference/bench_photos.py "$tmp/photos$count" --count $count >/dev/null
$py scripts/reference/bench_photos.py "$tmp/photos$small" --count $small >/dev/null

# seconds of one whole command; its output is kept in $tmp/last.log (shown when it fails)
timed() {
  local t0 t1
  t0=$(date +%s.%N)
  if ! "$@" >"$tmp/last.log" 2>&1; then cat "$tmp/last.log" >&2; echo "failed: $*" >&2; exit 1; fi
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b - a}'
}
cf_gradcam() { timed "$bin" explain $model "$tmp/photos$1" --out-dir "$tmp/out" --force --method gradcam --threads $threads; }
cf_cfcam() { timed "$bin" explain $model "$tmp/photos$1" --out-dir "$tmp/out" --force --method cfcam --param groups=32 --threads $threads; }
torch_gradcam() { timed $py scripts/reference/bench_folder_torch.py "$tmp/photos$1" "$tmp/out" --threads $threads --batch 4; }

torch_passive() { OMP_WAIT_POLICY=PASSIVE torch_gradcam "$@"; }
rate() { awk -v n="$1" -v t="$2" 'BEGIN{printf "%.2f", n / t}'; }
marginal() { awk -v n=$((count - small)) -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", n / (b - a)}'; }
median() { sort -g | awk '{v[NR]=$1} END{print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }
: >"$tmp/ratios"; : >"$tmp/mratios"; : >"$tmp/gc"; : >"$tmp/pt"; : >"$tmp/cf"; : >"$tmp/mgc"; : >"$tmp/mpt"; : >"$tmp/mcf"
: >"$tmp/pp"; : >"$tmp/mpp"; : >"$tmp/pratios"; : >"$tmp/mpratios"
echo "photos: $count (and $small), threads=$threads, rounds=$rounds; whole-command images/s [marginal images/s]"
for r in $(seq 1 "$rounds"); do
  rm -rf "$tmp/out"; g4=$(cf_gradcam $small); rm -rf "$tmp/out"; p4=$(torch_gradcam $small); rm -rf "$tmp/out"; q4=$(torch_passive $small)
  rm -rf "$tmp/out"; c4=$(cf_cfcam $small)
  rm -rf "$tmp/out"; g=$(cf_gradcam $count)
  if [ "$r" = 1 ]; then  # cfcam's top-1 per photo, for the comparison with pytorch's below
    $py -c "import sqlite3,sys; [print('top1', s.rsplit('/',1)[-1], c) for s, c in sqlite3.connect(sys.argv[1]).execute(\"SELECT source, predicted_class FROM runs ORDER BY source\")]" "$tmp/out/index.sqlite" >"$tmp/top1.cfcam"
  fi
  rm -rf "$tmp/out"; p=$(torch_gradcam $count)
  [ "$r" = 1 ] && grep '^top1 ' "$tmp/last.log" | sort >"$tmp/top1.torch"
  rm -rf "$tmp/out"; q=$(torch_passive $count)
  rm -rf "$tmp/out"; c=$(cf_cfcam $count)
  echo "round $r: cfcam gradcam $(rate $count $g) [$(marginal $g4 $g)], pytorch-grad-cam GradCAM $(rate $count $p) [$(marginal $p4 $p)] (passive wait: $(rate $count $q) [$(marginal $q4 $q)]), cfcam cfcam groups=32 $(rate $count $c) [$(marginal $c4 $c)]; gradcam speed-up over pytorch-grad-cam $(awk -v a=$p -v b=$g 'BEGIN{printf "%.2f", a / b}') [$(awk -v a=$p -v b=$g -v a4=$p4 -v b4=$g4 'BEGIN{printf "%.2f", (a - a4) / (b - b4)}')] (passive wait: $(awk -v a=$q -v b=$g 'BEGIN{printf "%.2f", a / b}') [$(awk -v a=$q -v b=$g -v a4=$q4 -v b4=$g4 'BEGIN{printf "%.2f", (a - a4) / (b - b4)}')]); load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "$(rate $count $g)" >>"$tmp/gc"; echo "$(rate $count $p)" >>"$tmp/pt"; echo "$(rate $count $c)" >>"$tmp/cf"
  echo "$(marginal $g4 $g)" >>"$tmp/mgc"; echo "$(marginal $p4 $p)" >>"$tmp/mpt"; echo "$(marginal $c4 $c)" >>"$tmp/mcf"
  echo "$(rate $count $q)" >>"$tmp/pp"; echo "$(marginal $q4 $q)" >>"$tmp/mpp"
  awk -v a=$q -v b=$g 'BEGIN{print a / b}' >>"$tmp/pratios"
  awk -v a=$q -v b=$g -v a4=$q4 -v b4=$g4 'BEGIN{print (a - a4) / (b - b4)}' >>"$tmp/mpratios"
  awk -v a=$p -v b=$g 'BEGIN{print a / b}' >>"$tmp/ratios"
  awk -v a=$p -v b=$g -v a4=$p4 -v b4=$g4 'BEGIN{print (a - a4) / (b - b4)}' >>"$tmp/mratios"
done
same=$(join <(sort "$tmp/top1.cfcam" | awk '{print $2, $3}') <(awk '{print $2, $3}' "$tmp/top1.torch") | awk '$2 == $3' | wc -l)
echo "median: cfcam gradcam $(median <"$tmp/gc") [$(median <"$tmp/mgc")], pytorch-grad-cam GradCAM $(median <"$tmp/pt") [$(median <"$tmp/mpt")] (passive wait: $(median <"$tmp/pp") [$(median <"$tmp/mpp")]), cfcam cfcam groups=32 $(median <"$tmp/cf") [$(median <"$tmp/mcf")] images/s; gradcam speed-up over pytorch-grad-cam $(median <"$tmp/ratios" | awk '{printf "%.2f", $1}') [$(median <"$tmp/mratios" | awk '{printf "%.2f", $1}')], over its passive-wait run $(median <"$tmp/pratios" | awk '{printf "%.2f", $1}') [$(median <"$tmp/mpratios" | awk '{printf "%.2f", $1}')]"
echo "top-1 class: cfcam and PyTorch agree on $same of $count photos"
echo "threads=$threads"
