#!/usr/bin/env python3
"""Reference LRP relevances from zennit 0.5.1 for cfcam's LRP tests.

Builds two small seeded torch models with BatchNorm:

  vggish     conv-BN-ReLU x2, MaxPool, conv-BN-ReLU, MaxPool, Flatten, Linear-ReLU-Linear
             (canonizer: SequentialMergeBatchNorm)
  resnetish  conv-BN-ReLU, MaxPool, two torchvision BasicBlocks (the second with a strided
             1x1-conv + BN downsample), AdaptiveAvgPool, Flatten, Linear
             (canonizer: ResNetCanonizer)

exports each to ONNX (legacy exporter, eval mode, no constant folding, BatchNormalization
nodes kept: checked), and records, for every preset composite, zennit's relevance at the
input and at one intermediate value (read by retaining the gradient of that module's output).

Relevance is computed in float64 (the model is converted with .double()) so the reference is
not limited by float32 rounding; it is stored as float32.

Output in --out (default fixtures/lrp):
  <model>.onnx                  the model: input "input" [2,3,16,16], output "logits" [2,10]
  <model>.refs.npz              input, seed (one-hot grad_outputs), logits, and per preset
                                "<preset>.input" and "<preset>.mid" relevances
  manifest.json                 per model: the intermediate value's ONNX name, presets,
                                bounds used by epsilon-gamma-box, canonizer

Usage: zennit_refs.py [--out DIR]
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tvshim  # noqa: E402,F401  (must precede torchvision, which zennit imports)
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402
from torchvision.models.resnet import BasicBlock  # noqa: E402
from zennit.canonizers import SequentialMergeBatchNorm  # noqa: E402
from zennit.composites import (EpsilonAlpha2Beta1, EpsilonAlpha2Beta1Flat, EpsilonGammaBox,  # noqa: E402
                               EpsilonPlus, EpsilonPlusFlat, ExcitationBackprop)
from zennit.torchvision import ResNetCanonizer  # noqa: E402

SEED = 20240917
BATCH, CLASSES, SIZE = 2, 10, 16
TARGETS = [3, 7]
# Per-channel box bounds (ImageNet-normalised [0, 1] pixels, spec §2.3 rule 5).
LOW = [-2.117904, -2.035714, -1.804444]
HIGH = [2.248908, 2.428571, 2.640000]


def randomize_bn(model, gen):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.weight.data = 0.5 + torch.rand(c, generator=gen)
            m.bias.data = 0.2 * torch.randn(c, generator=gen)
            m.running_mean.data = 0.2 * torch.randn(c, generator=gen)
            m.running_var.data = 0.5 + torch.rand(c, generator=gen)


class VGGish(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
            nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(nn.Linear(16 * 4 * 4, 32), nn.ReLU(), nn.Linear(32, CLASSES))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


class ResNetish(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(2)
        self.layer1 = BasicBlock(8, 8)
        down = nn.Sequential(nn.Conv2d(8, 16, 1, stride=2, bias=False), nn.BatchNorm2d(16))
        self.layer2 = BasicBlock(8, 16, stride=2, downsample=down)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, CLASSES)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def presets():
    low = torch.tensor(LOW, dtype=torch.float64).view(1, 3, 1, 1)
    high = torch.tensor(HIGH, dtype=torch.float64).view(1, 3, 1, 1)
    return {
        "epsilon-plus": lambda c: EpsilonPlus(canonizers=c),
        "epsilon-plus-flat": lambda c: EpsilonPlusFlat(canonizers=c),
        "epsilon-gamma-box": lambda c: EpsilonGammaBox(low=low, high=high, canonizers=c),
        "epsilon-alpha2-beta1": lambda c: EpsilonAlpha2Beta1(canonizers=c),
        "epsilon-alpha2-beta1-flat": lambda c: EpsilonAlpha2Beta1Flat(canonizers=c),
        "excitation-backprop": lambda c: ExcitationBackprop(canonizers=c),
    }


def relevance(model, x, seed, composite, mid_module):
    """zennit relevance at the input and at `mid_module`'s output."""
    x = x.clone().requires_grad_()
    store = {}

    def keep(module, inputs, output):
        output.retain_grad()
        store["mid"] = output

    with composite.context(model) as hooked:
        # Registered after the composite's own hooks, so it sees the output passed downstream.
        handle = mid_module.register_forward_hook(keep)
        out = hooked(x)
        torch.autograd.backward(out, seed)
        handle.remove()
    return x.grad.detach().float().numpy(), store["mid"].grad.detach().float().numpy()


def float64_references(model, x32, logits32, composites, canonizers, mid_module):
    """input, seed (one-hot TARGETS), logits and, per composite, "<name>.input" / "<name>.mid"
    relevance computed in float64 (`model` is converted in place)."""
    model = model.double()
    x = x32.double()
    seed = torch.zeros(BATCH, CLASSES, dtype=torch.float64)
    for b, t in enumerate(TARGETS):
        seed[b, t] = 1.0
    arrays = {"input": x32.numpy(), "seed": seed.float().numpy(), "logits": logits32}
    for preset, make in composites.items():
        r_in, r_mid = relevance(model, x, seed, make(canonizers()), mid_module(model))
        arrays[f"{preset}.input"] = r_in
        arrays[f"{preset}.mid"] = r_mid
    return arrays


def export(model, x, path):
    torch.onnx.export(model, (x,), path, dynamo=False, opset_version=17, do_constant_folding=False,
                      training=torch.onnx.TrainingMode.PRESERVE, export_modules_as_functions=False,
                      input_names=["input"], output_names=["logits"])
    proto = onnx.load(path)
    ops = [n.op_type for n in proto.graph.node]
    return proto, ops


def value_of(proto, node_name):
    for n in proto.graph.node:
        if n.name == node_name:
            return n.output[0]
    raise SystemExit(f"no ONNX node named {node_name}; nodes: {[n.name for n in proto.graph.node]}")


def build(name, model, canonizer, mid_module, mid_node, n_bn, out_dir, gen):
    randomize_bn(model, gen)
    model.eval()
    x32 = torch.randn(BATCH, 3, SIZE, SIZE, generator=gen)
    path = os.path.join(out_dir, f"{name}.onnx")
    proto, ops = export(model, x32, path)
    if ops.count("BatchNormalization") != n_bn:
        raise SystemExit(f"{name}: exporter kept {ops.count('BatchNormalization')} of {n_bn} BatchNormalization nodes")
    logits32 = model(x32).detach().numpy()
    ort_out = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"input": x32.numpy()})[0]
    assert np.abs(ort_out - logits32).max() < 1e-4, "onnxruntime disagrees with torch"

    arrays = float64_references(model, x32, logits32, presets(), lambda: [canonizer()], mid_module)
    np.savez(os.path.join(out_dir, f"{name}.refs.npz"), **arrays)
    return {"onnx": f"{name}.onnx", "refs": f"{name}.refs.npz", "mid": value_of(proto, mid_node),
            "canonizer": canonizer.__name__, "presets": list(presets()), "targets": TARGETS,
            "box_low": LOW, "box_high": HIGH, "ops": sorted(set(ops))}


def setup(seed):
    """Parses --out (default fixtures/lrp) and creates it; seeds torch. Returns (args, generator)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "lrp"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(seed)
    return args, torch.Generator().manual_seed(seed)


def main():
    args, gen = setup(SEED)
    manifest = {"zennit": __import__("zennit").__version__ if hasattr(__import__("zennit"), "__version__") else "0.5.1",
                "torch": torch.__version__, "seed": SEED, "models": {}}
    manifest["models"]["vggish"] = build(
        "vggish", VGGish(), SequentialMergeBatchNorm, lambda m: m.features[5], "/features/features.5/Relu", 3,
        args.out, gen)
    torch.manual_seed(SEED + 1)
    manifest["models"]["resnetish"] = build(
        "resnetish", ResNetish(), ResNetCanonizer, lambda m: m.layer1, "/layer1/relu_1/Relu", 6, args.out, gen)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(json.dumps(manifest, indent=1))


if __name__ == "__main__":
    main()
