#!/usr/bin/env python3
"""Reference LRP relevances from zennit 0.5.1 for products (gates, attention) and LayerNorm.

Two small seeded torch models:

  senet   conv-BN-ReLU, conv-BN, SiLU written as x * sigmoid(x), a squeeze-excite block
          (GlobalAveragePool, 1x1 conv, ReLU, 1x1 conv, Sigmoid, x * gate), conv-BN,
          HardSwish written as x * hardsigmoid(x), AdaptiveAvgPool, Flatten, Linear
          (canonizer: SequentialMergeBatchNorm)
  vitish  4x4 patch conv, tokens, one pre-norm transformer block (LayerNorm, single-head
          attention softmax(q k^T / 4) @ v, projection, residual; LayerNorm, Linear-GELU-Linear,
          residual), LayerNorm, first token, Linear. Exported twice: with the fused
          LayerNormalization op (vitish.onnx) and with the normalisation written out as
          ReduceMean / Sub / Pow / Sqrt / Div (vitish_decomposed.onnx).

cfcam's rules hold the gate of a product constant and give its signal the epsilon rule
(relevance passes through x * gate unchanged, up to epsilon), give V of `attention @ V` the
epsilon rule with the attention matrix constant, and give LayerNorm the epsilon rule through
(x - mean(x)) * gamma / std + beta with std constant (Ali et al. 2022). zennit applies rules to
modules only, so the reference model wraps each of these in a module whose forward detaches the
constant part (`x * g.detach()`, `attn.detach() @ v`, `(x - mean) / std.detach()`) and maps those
modules to zennit's Epsilon rule; the residual adds are zennit `Sum` modules (Norm rule), as
cfcam's Add. Exported models use the plain ops (detach is a no-op in the export).

Relevance is computed in float64 and stored as float32.

Output in --out (default fixtures/lrp):
  senet.onnx, vitish.onnx, vitish_decomposed.onnx    input "input", output "logits" [2, 10]
  <model>.refs.npz       input, seed, logits, "<preset>.input", "<preset>.mid"
  gates.json             per model: files, the intermediate value's ONNX name, presets, ops

Usage: zennit_gate_refs.py [--out DIR]
"""

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tvshim  # noqa: E402,F401  (must precede torchvision, which zennit imports)
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402
from zennit.canonizers import SequentialMergeBatchNorm  # noqa: E402
from zennit.composites import (EpsilonAlpha2Beta1, EpsilonAlpha2Beta1Flat, EpsilonGammaBox,  # noqa: E402
                               EpsilonPlus, EpsilonPlusFlat, ExcitationBackprop)
from zennit.layer import Sum  # noqa: E402
from zennit.rules import Epsilon  # noqa: E402

from zennit_refs import BATCH, CLASSES, HIGH, LOW, TARGETS, export, float64_references, randomize_bn, setup  # noqa: E402

SEED = 20251202


class SiLUGate(nn.Module):
    """x * sigmoid(x), the gate constant."""
    def forward(self, x):
        return x * torch.sigmoid(x).detach()


class HardSwishGate(nn.Module):
    """x * hardsigmoid(x), the gate constant."""
    def forward(self, x):
        return x * F.hardsigmoid(x).detach()


class GateScale(nn.Module):
    """x * gate for a gate computed elsewhere (stored in `self.gate` before the call)."""
    def forward(self, x):
        return x * self.gate.detach()


class SqueezeExcite(nn.Module):
    def __init__(self, c, r):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(c, r, 1)
        self.relu = nn.ReLU()
        self.fc2 = nn.Conv2d(r, c, 1)
        self.sigmoid = nn.Sigmoid()
        self.scale = GateScale()

    def forward(self, x):
        self.scale.gate = self.sigmoid(self.fc2(self.relu(self.fc1(self.pool(x)))))
        return self.scale(x)


class SENet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1, stride=2)
        self.bn2 = nn.BatchNorm2d(16)
        self.silu = SiLUGate()
        self.se = SqueezeExcite(16, 4)
        self.conv3 = nn.Conv2d(16, 16, 3, padding=1)
        self.bn3 = nn.BatchNorm2d(16)
        self.hswish = HardSwishGate()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, CLASSES)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.se(self.silu(self.bn2(self.conv2(x))))
        x = self.hswish(self.bn3(self.conv3(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


class LayerNormDetached(nn.Module):
    """LayerNorm over the last axis with the standard deviation constant."""
    def __init__(self, d, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.bias = nn.Parameter(torch.zeros(d))
        self.eps = eps

    def forward(self, x):
        centred = x - x.mean(-1, keepdim=True)
        std = (centred.pow(2).mean(-1, keepdim=True) + self.eps).sqrt()
        return centred / std.detach() * self.weight + self.bias


class AttentionApply(nn.Module):
    """attention @ v for an attention matrix computed elsewhere (`self.attn`), held constant."""
    def forward(self, v):
        return self.attn.detach() @ v


class Residual(nn.Module):
    """a + b: zennit's Sum module (Norm rule) in the reference, a plain add in the export."""
    def __init__(self, reference):
        super().__init__()
        self.reference = reference
        self.sum = Sum()

    def forward(self, a, b):
        return self.sum(torch.stack([a, b], dim=-1)) if self.reference else a + b


class ViTish(nn.Module):
    D, HIDDEN = 16, 32

    def __init__(self, norm="reference"):
        """norm: "fused" (nn.LayerNorm, exported as LayerNormalization), "decomposed" or
        "reference" (LayerNormDetached; "reference" also uses zennit Sum residuals)."""
        super().__init__()
        d = self.D
        reference = norm == "reference"

        def ln():
            return nn.LayerNorm(d) if norm == "fused" else LayerNormDetached(d)
        self.patch = nn.Conv2d(3, d, 4, stride=4)
        self.ln1 = ln()
        self.q, self.k, self.v = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.apply_attn = AttentionApply()
        self.proj = nn.Linear(d, d)
        self.res1 = Residual(reference)
        self.ln2 = ln()
        self.fc1 = nn.Linear(d, self.HIDDEN)
        self.gelu = nn.GELU()
        self.fc2 = nn.Linear(self.HIDDEN, d)
        self.res2 = Residual(reference)
        self.ln3 = ln()
        self.head = nn.Linear(d, CLASSES)

    def forward(self, x):
        t = self.patch(x).flatten(2).transpose(1, 2)
        h = self.ln1(t)
        self.apply_attn.attn = torch.softmax(self.q(h) @ self.k(h).transpose(1, 2) / 4.0, dim=-1)
        t = self.res1(t, self.proj(self.apply_attn(self.v(h))))
        t = self.res2(t, self.fc2(self.gelu(self.fc1(self.ln2(t)))))
        return self.head(self.ln3(t)[:, 0])


def copy_layernorms(src, dst):
    """LayerNorm weights from `src` into the same-named modules of `dst` (other weights shared by name)."""
    dst.load_state_dict(src.state_dict(), strict=True)


def randomize_ln(model, gen):
    for m in model.modules():
        if isinstance(m, (nn.LayerNorm, LayerNormDetached)):
            d = m.weight.shape[0]
            m.weight.data = 0.5 + torch.rand(d, generator=gen)
            m.bias.data = 0.2 * torch.randn(d, generator=gen)


def presets(detached, excitation=True):
    """zennit composites with the detached modules mapped to Epsilon (as cfcam's gate and LN rules).

    excitation=False leaves out ExcitationBackprop: zennit's leaves GELU to autograd (its
    gradient), while the export writes GELU out as x * (1 + erf(x / sqrt 2)) / 2, a product cfcam
    passes relevance through; and its ZPlus acts on a whole Linear, which the export splits into
    MatMul and a bias Add (ZPlus, then Norm). Neither matches an op-level rule."""
    low = torch.tensor(LOW, dtype=torch.float64).view(1, 3, 1, 1)
    high = torch.tensor(HIGH, dtype=torch.float64).view(1, 3, 1, 1)

    def lm():
        return [(detached, Epsilon(epsilon=1e-6))]
    out = {
        "epsilon-plus": lambda c: EpsilonPlus(canonizers=c, layer_map=lm()),
        "epsilon-plus-flat": lambda c: EpsilonPlusFlat(canonizers=c, layer_map=lm()),
        "epsilon-gamma-box": lambda c: EpsilonGammaBox(low=low, high=high, canonizers=c, layer_map=lm()),
        "epsilon-alpha2-beta1": lambda c: EpsilonAlpha2Beta1(canonizers=c, layer_map=lm()),
        "epsilon-alpha2-beta1-flat": lambda c: EpsilonAlpha2Beta1Flat(canonizers=c, layer_map=lm()),
    }
    if excitation:
        out["excitation-backprop"] = lambda c: ExcitationBackprop(canonizers=c, layer_map=lm())
    return out


def references(name, reference_model, x32, canonizers, detached, mid_module, out_dir, logits32, excitation=True):
    composites = presets(detached, excitation)
    arrays = float64_references(reference_model, x32, logits32, composites, canonizers, mid_module)
    np.savez(os.path.join(out_dir, f"{name}.refs.npz"), **arrays)
    return list(composites)


def check_onnx(path, x32, logits32):
    out = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"input": x32.numpy()})[0]
    assert np.abs(out - logits32).max() < 1e-4, f"{path}: onnxruntime disagrees with torch"


def build_senet(out_dir, gen):
    model = SENet()
    randomize_bn(model, gen)
    model.eval()
    x32 = torch.randn(BATCH, 3, 16, 16, generator=gen)
    logits32 = model(x32).detach().numpy()
    path = os.path.join(out_dir, "senet.onnx")
    proto, ops = export(model, x32, path)
    for op in ["Sigmoid", "HardSigmoid", "Mul", "BatchNormalization"]:
        assert op in ops, f"senet: no {op} in the export: {sorted(set(ops))}"
    check_onnx(path, x32, logits32)
    presets_done = references("senet", model, x32, lambda: [SequentialMergeBatchNorm()],
                              (SiLUGate, HardSwishGate, GateScale), lambda m: m.se, out_dir, logits32)
    mid = [n.output[0] for n in proto.graph.node if n.op_type == "Mul"][1]  # the squeeze-excite product
    return {"onnx": ["senet.onnx"], "refs": "senet.refs.npz", "mid": mid, "canonizer": "SequentialMergeBatchNorm",
            "presets": presets_done, "targets": TARGETS, "box_low": LOW, "box_high": HIGH, "ops": sorted(set(ops))}


def build_vitish(out_dir, gen):
    reference = ViTish("reference")
    randomize_ln(reference, gen)
    for p in [reference.q.weight, reference.k.weight]:
        p.data *= 3.0  # a peaked attention matrix
    reference.eval()
    x32 = torch.randn(BATCH, 3, 8, 8, generator=gen)
    logits32 = reference(x32).detach().numpy()
    files, all_ops = [], set()
    for norm, file in [("fused", "vitish.onnx"), ("decomposed", "vitish_decomposed.onnx")]:
        m = ViTish(norm)
        copy_layernorms(reference, m)
        m.eval()
        assert np.abs(m(x32).detach().numpy() - logits32).max() < 1e-5, f"{norm} model disagrees with the reference"
        path = os.path.join(out_dir, file)
        proto, ops = export(m, x32, path)
        want = "LayerNormalization" if norm == "fused" else "ReduceMean"
        assert want in ops and "Softmax" in ops, f"{file}: ops {sorted(set(ops))}"
        if norm == "decomposed":
            assert "LayerNormalization" not in ops
        check_onnx(path, x32, logits32)
        files.append(file)
        all_ops |= set(ops)
        if norm == "fused":
            # The second residual add's output (the MLP block), read as the intermediate value.
            mid = [n.output[0] for n in proto.graph.node if n.op_type == "Add" and "res2" in n.name][-1]
            mid_node = [n.name for n in proto.graph.node if n.output[0] == mid][0]
    presets_done = references("vitish", reference, x32, lambda: [], (LayerNormDetached, AttentionApply),
                              lambda m: m.res2, out_dir, logits32, excitation=False)
    return {"onnx": files, "refs": "vitish.refs.npz", "mid": mid, "mid_node": mid_node, "canonizer": "none",
            "presets": presets_done, "targets": TARGETS, "box_low": LOW, "box_high": HIGH, "ops": sorted(all_ops)}


def main():
    args, gen = setup(SEED)
    manifest = {"zennit": "0.5.1", "torch": torch.__version__, "seed": SEED, "models": {}}
    manifest["models"]["senet"] = build_senet(args.out, gen)
    torch.manual_seed(SEED + 1)
    manifest["models"]["vitish"] = build_vitish(args.out, gen)
    with open(os.path.join(args.out, "gates.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(json.dumps(manifest, indent=1))


if __name__ == "__main__":
    main()
