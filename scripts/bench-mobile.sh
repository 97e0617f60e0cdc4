#!/usr/bin/env bash
# The issue-13 benchmark set beside onnxruntime (paired alternating rounds, see scripts/bench.sh):
# mobile and edge architectures (torchvision mobilenet_v2 / mobilenet_v3_large / efficientnet_b0 /
# convnext_tiny, the real EfficientNet-Lite0, Keras MobileNetV2 through tf2onnx, timm deit_tiny)
# and the ResNet / VGG / DenseNet baselines. Exports what is missing first (seeded; no download).
#   scripts/bench-mobile.sh [--threads 2] [--rounds 3] [--runs 10] [--only mobile|baseline]
set -euo pipefail
cd "$(dirname "$0")/.."
args=() only=all
while [ $# -gt 0 ]; do
  case "$1" in
    --only) only=$2; shift 2;;
    *) args+=("$1"); shift;;
  esac
done
bash scripts/setup.sh --python >/dev/null
c=fixtures/cache
mobile=(mobilenet_v2 mobilenet_v3_large efficientnet_b0 convnext_tiny)
baseline=(resnet50 vgg16_bn densenet121)
need=()
for m in "${mobile[@]}" "${baseline[@]}"; do [ -f "$c/${m}_op17.onnx" ] || need+=("$m"); done
if [ ${#need[@]} -gt 0 ]; then
  .venv/bin/python scripts/reference/export_models.py --out "$c" --only "$(IFS=,; echo "${need[*]}")" --variants op17
fi
.venv/bin/python scripts/reference/bench_exports.py --out "$c/bench"
models=()
if [ "$only" != baseline ]; then
  for m in "${mobile[@]}"; do models+=("$c/${m}_op17.onnx"); done
  models+=(models/efficientnet-lite0/efficientnet_lite0.onnx fixtures/keras/mobilenet_v2.onnx "$c/bench/deit_tiny_patch16_224.onnx")
fi
if [ "$only" != mobile ]; then
  for m in "${baseline[@]}"; do models+=("$c/${m}_op17.onnx"); done
fi
exec bash scripts/bench.sh ${args[@]+"${args[@]}"} "${models[@]}"
