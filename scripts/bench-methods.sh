#!/usr/bin/env bash
# Explanation-method timings beside pytorch-grad-cam (torch CPU, same threads), and perturbation
# methods against our own batched forward cost. Release build; medians.
#   scripts/bench-methods.sh [--threads 2]
set -euo pipefail
cd "$(dirname "$0")/.."
threads=2
[ "${1:-}" = "--threads" ] && threads=$2
bash scripts/setup.sh --python >/dev/null
swift build -c release --product cfcam >/dev/null
bin=.build/release/cfcam
med() { sed -n 's/^median_ms=//p'; }
r50=fixtures/cache/resnet50_op17.onnx r18=fixtures/cache/resnet18_op17.onnx

ours=$($bin bench $r50 --method gradcam --threads $threads --runs 7 | med)
torch=$(.venv/bin/python scripts/reference/bench_cam_torch.py --model resnet50 --method gradcam --threads $threads --runs 7 | med)
echo "gradcam resnet50 layer4 224x224: cfcam ${ours} ms, pytorch-grad-cam ${torch} ms, ratio $(awk -v a=$ours -v b=$torch 'BEGIN{printf "%.2f", a/b}')"

fwd32=$($bin bench $r18 --batch 32 --threads $threads --runs 3 | med)
per=$(awk -v t=$fwd32 'BEGIN{print t/32}')
sc=$($bin bench $r18 --method scorecam --layer /layer4/layer4.1/relu_1/Relu_output_0 --batch-size 32 --threads $threads --runs 1 --warmup 0 | med)
torch_sc=$(.venv/bin/python scripts/reference/bench_cam_torch.py --model resnet18 --method scorecam --threads $threads --runs 1 | med)
# pytorch-grad-cam's Score-CAM runs 512 masked forwards (one per channel of layer4) + 1.
echo "scorecam resnet18 layer4: cfcam ${sc} ms = $(awk -v s=$sc -v p=$per 'BEGIN{printf "%.2f", s/(513*p)}') x (513 forwards x ${per} ms batched forward); pytorch-grad-cam ${torch_sc} ms, ratio $(awk -v a=$sc -v b=$torch_sc 'BEGIN{printf "%.2f", a/b}')"

for g in 0 32; do
  cf=$($bin bench $r18 --method cfcam --param groups=$g --layer /layer4/layer4.1/relu_1/Relu_output_0 --batch-size 32 --threads $threads --runs 1 --warmup 0 | med)
  echo "cfcam resnet18 layer4 groups=$g: ${cf} ms"
done
# Issue 13: the real EfficientNet-Lite0 (1280 channels at its last feature map), per image, beside
# pytorch-grad-cam's Score-CAM on the same architecture in torch (timm tf_efficientnet_lite0, bn2).
lite=models/efficientnet-lite0/efficientnet_lite0.onnx
sc=$($bin bench $lite --method scorecam --batch-size 32 --threads $threads --runs 1 --warmup 0 | med)
torch_sc=$(.venv/bin/python scripts/reference/bench_cam_torch.py --model tf_efficientnet_lite0 --layer bn2 --method scorecam --threads $threads --runs 1 | med)
echo "scorecam efficientnet_lite0: cfcam ${sc} ms, pytorch-grad-cam ${torch_sc} ms, ratio $(awk -v a=$sc -v b=$torch_sc 'BEGIN{printf "%.2f", a/b}')"
for g in 0 32; do
  cf=$($bin bench $lite --method cfcam --param groups=$g --batch-size 32 --threads $threads --runs 1 --warmup 0 | med)
  echo "cfcam efficientnet_lite0 groups=$g: ${cf} ms"
done
echo "threads=$threads"
