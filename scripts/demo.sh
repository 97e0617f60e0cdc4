#!/usr/bin/env bash
# The main job, one command on a fresh Debian/Ubuntu machine with a Swift 6 toolchain: installs the
# C libraries when missing (scripts/setup.sh; no Python needed), builds cfcam in release mode, and
# explains a bundled photo (fixtures/photos/chelsea.png) with the bundled ImageNet-trained
# EfficientNet-Lite0 (models/efficientnet-lite0/, preprocessing and labels in the file's metadata):
# prints the top-5 with names, writes an overlay per method (Grad-CAM, LayerCAM, CF-CAM) and a
# panel, then explains all bundled photos as a folder run and writes its HTML report.
# Usage: scripts/demo.sh [OUT_DIR]   (default: /tmp/cfcam-demo)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-${TMPDIR:-/tmp}/cfcam-demo}"
model=models/efficientnet-lite0/efficientnet_lite0.onnx
mkdir -p "$out"

bash scripts/setup.sh
echo "== building cfcam (release; the first build takes a few minutes)"
log="$(mktemp)"
if ! swift build -c release --product cfcam >"$log" 2>&1; then cat "$log"; rm -f "$log"; exit 1; fi
tail -n 1 "$log"; rm -f "$log"
bin="$(swift build -c release --show-bin-path)/cfcam"

echo
echo "== cfcam explain $model fixtures/photos/chelsea.png --method gradcam,layercam,cfcam --overlay $out/chelsea.png --json $out/chelsea.json"
"$bin" explain "$model" fixtures/photos/chelsea.png --method gradcam,layercam,cfcam \
  --overlay "$out/chelsea.png" --json "$out/chelsea.json"
echo "wrote $out/chelsea.png (photo and the three overlays side by side), $out/chelsea.<method>.png, $out/chelsea.json"

echo
echo "== cfcam explain $model fixtures/photos --method gradcam,layercam --out-dir $out/run; cfcam report $out/run"
"$bin" explain "$model" fixtures/photos --method gradcam,layercam --out-dir "$out/run"
"$bin" report "$out/run"
