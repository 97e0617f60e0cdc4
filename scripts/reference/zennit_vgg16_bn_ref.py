#!/usr/bin/env python3
"""zennit 0.5.1 relevance on the seeded vgg16_bn, for cfcam's LRP precision test.

The model is the one `export_models.py` exports (`build_model("vgg16_bn")`, the same seeded
weights as <out>/vgg16_bn_op17.onnx); the input is the first image of its reference input. LRP
with EpsilonPlusFlat and SequentialMergeBatchNorm, seeded with the one-hot top-1 class, is
computed in float64 (the reference) and in float32 (for comparison: float32 rounding alone).

Writes <out>/vgg16_bn.zennit.npz:
  input         [1, 3, 224, 224] float32
  seed          [1, 1000] one-hot (float32)
  target        [1] int64, the top-1 class
  relevance     [1, 3, 224, 224] the float64 relevance at the input, stored as float32
  relevance32   the same computed in float32
  relevance_onnx  float64 relevance of the model with the ONNX file's weights: the exporter folds
                BatchNorm into the convolutions in float32, and those one-ulp weight changes alone
                move the map by ~5e-5 of its max; this isolates cfcam's arithmetic

Skips when the file exists (--force recomputes). Usage: zennit_vgg16_bn_ref.py --out DIR
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tvshim  # noqa: E402,F401  (must precede torchvision, which zennit imports)
import onnx  # noqa: E402
import torch  # noqa: E402
from onnx import numpy_helper  # noqa: E402
from zennit.canonizers import SequentialMergeBatchNorm  # noqa: E402
from zennit.composites import EpsilonPlusFlat  # noqa: E402

from export_models import build_model, reference_input  # noqa: E402


def relevance(model, x, seed):
    x = x.clone().requires_grad_()
    with EpsilonPlusFlat(canonizers=[SequentialMergeBatchNorm()]).context(model) as hooked:
        out = hooked(x)
        torch.autograd.backward(out, seed)
    return x.grad.detach().numpy()


def with_onnx_weights(model, onnx_path):
    """`model` with the Conv / Gemm weights of the exported file (BatchNorm folded in) and
    identity BatchNorms."""
    proto = onnx.load(onnx_path)
    inits = {i.name: numpy_helper.to_array(i) for i in proto.graph.initializer}
    layers = [n for n in proto.graph.node if n.op_type in ("Conv", "Gemm")]
    modules = [m for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    if len(layers) != len(modules):
        raise SystemExit(f"{onnx_path}: {len(layers)} Conv/Gemm nodes for {len(modules)} modules")
    for module, node in zip(modules, layers):
        for param, name in [(module.weight, node.input[1]), (module.bias, node.input[2])]:
            if name in inits:
                param.data = torch.from_numpy(inits[name].copy())
            elif not name.startswith("classifier."):
                raise SystemExit(f"{onnx_path}: no initializer {name}")
    for bn in (m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)):
        bn.weight.data.fill_(1)
        bn.bias.data.zero_()
        bn.running_mean.zero_()
        bn.running_var.fill_(1)
        bn.eps = 0.0
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args()
    path = os.path.join(args.out, "vgg16_bn.zennit.npz")
    if os.path.exists(path) and not args.force:
        print(f"{path} exists")
        return
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    x32 = torch.from_numpy(np.ascontiguousarray(reference_input()[:1]))
    model = build_model("vgg16_bn")
    with torch.no_grad():
        target = int(model(x32).argmax(1)[0])
    seed32 = torch.zeros(1, 1000)
    seed32[0, target] = 1.0
    t0 = time.perf_counter()
    r32 = relevance(build_model("vgg16_bn"), x32, seed32)
    t1 = time.perf_counter()
    r64 = relevance(build_model("vgg16_bn").double(), x32.double(), seed32.double())
    t2 = time.perf_counter()
    onnx_model = with_onnx_weights(build_model("vgg16_bn"), os.path.join(args.out, "vgg16_bn_op17.onnx"))
    r_onnx = relevance(onnx_model.double(), x32.double(), seed32.double())
    scale = np.abs(r64).max()
    print(f"target {target}; float32 zennit vs float64: max|diff|/max|ref| {np.abs(r32 - r64).max() / scale:.2e}; "
          f"ONNX weights vs float64: {np.abs(r_onnx - r64).max() / scale:.2e}; "
          f"float32 {t1 - t0:.1f}s, float64 {t2 - t1:.1f}s")
    np.savez(path, input=x32.numpy(), seed=seed32.numpy(), target=np.array([target], dtype=np.int64),
             relevance=r64.astype(np.float32), relevance32=r32.astype(np.float32),
             relevance_onnx=r_onnx.astype(np.float32))


if __name__ == "__main__":
    main()
