#!/usr/bin/env python3
"""Exports the benchmark-only models of scripts/bench-mobile.sh that no test uses (seeded random
weights, no download): timm deit_tiny_patch16_224 (a small DeiT at 224 px, opset 17, dynamic
batch). Writes <out>/deit_tiny_patch16_224.onnx; skips it when present.

  bench_exports.py [--out fixtures/cache/bench]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tvshim  # noqa: E402,F401  (must precede torchvision, which timm imports)
import torch  # noqa: E402
import timm  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="fixtures/cache/bench")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "deit_tiny_patch16_224.onnx")
    if os.path.exists(path):
        return
    torch.manual_seed(20261207)
    model = timm.create_model("deit_tiny_patch16_224", pretrained=False).eval()
    x = torch.randn(1, 3, 224, 224)
    torch.onnx.export(model, (x,), path, dynamo=False, opset_version=17, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})


if __name__ == "__main__":
    main()
