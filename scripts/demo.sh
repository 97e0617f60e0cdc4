#!/usr/bin/env bash
# The demo, one command on a fresh Debian/Ubuntu machine with a Swift 6 toolchain: installs the C
# libraries when missing (scripts/setup.sh; no Python needed), builds cfcam in release mode, and
# runs the bundled model (fixtures/models/squeezenet1_1_op17.onnx) on the bundled input
# (fixtures/demo/input.npy, a synthetic ImageNet-normalised image from fixtures/demo/generate.py).
# Usage: scripts/demo.sh [OUTPUT.npz]   (default: /tmp/cfcam-demo.npz)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-${TMPDIR:-/tmp}/cfcam-demo.npz}"
model=fixtures/models/squeezenet1_1_op17.onnx
input=fixtures/demo/input.npy

bash scripts/setup.sh
echo "== building cfcam (release; the first build takes a few minutes)"
log="$(mktemp)"
if ! swift build -c release --product cfcam >"$log" 2>&1; then cat "$log"; rm -f "$log"; exit 1; fi
tail -n 1 "$log"; rm -f "$log"
bin="$(swift build -c release --show-bin-path)/cfcam"

echo
echo "== $bin inspect $model  (summary; the full listing has one line per node)"
"$bin" inspect "$model" | grep -E '^(model|opsets|nodes):|^(input|output) '

echo
echo "== $bin run $model --input $input --output $out --print-top 5"
"$bin" run "$model" --input "$input" --output "$out" --print-top 5
echo "wrote $out (every graph output, keyed by output name)"

echo
echo "onnxruntime's top-5 for this input (fixtures/demo/expected_top5.txt, index value; the bundled"
echo "model has seeded random weights, so the class indices carry no meaning: the point is the match):"
sed 's/^/  /' fixtures/demo/expected_top5.txt
