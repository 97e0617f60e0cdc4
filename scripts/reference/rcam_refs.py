#!/usr/bin/env python3
"""Golden maps for cfcam's Relevance-CAM and CF-CAM, re-implemented on top of zennit 0.5.1.

Two small seeded torch models with BatchNorm (input [2, 3, 32, 32], 10 classes):

  resnetish  conv-BN-ReLU, MaxPool, torchvision BasicBlock, BasicBlock with a strided 1x1-conv+BN
             downsample (residual adds), AdaptiveAvgPool, Linear
  vggish     conv-BN-ReLU x2, MaxPool, conv-BN-ReLU, MaxPool, Linear-ReLU-Linear (no global pooling)

Each is exported to ONNX (legacy exporter, eval mode, BatchNormalization nodes kept: checked).

Relevance (zennit, float64) at a layer's output, read as the gradient retained at that module's
output, for two rule sets (cfcam's `rules` parameter, spec §4.5 / §10):

  rcam         Relevance-CAM preset on a generic engine: z+ without bias on every Conv and Linear,
               Pass for activations and BatchNorm (BN not merged), Norm for AvgPool and the
               residual Sum (zennit's ResNetBasicBlockCanonizer only), MaxPool winner-takes-all
  rcam-zennit  the same rules after merging BN into the preceding conv (ResNetCanonizer /
               SequentialMergeBatchNorm); the merged bias is zeroed (zero_params='bias')

and three initial relevances at the logits (cfcam's `contrast`, spec §3.5): lrp (e_t),
clrp_rcam (e_t - (1/N)(1 - e_t)), sglrp (d softmax_t / d z).

Relevance-CAM (spec §4.1): alpha_k = spatial mean of R_k; L = sum_k alpha_k A_k; minmax (delta 1e-7,
a range below 1e-12 gives zeros) at the layer's resolution; bilinear resize (align_corners=False);
minmax again (cfcam's shared CAM pipeline, as pytorch-grad-cam's multi-layer aggregation).

CF-CAM (spec §5.2, reconstructed; the switches as cfcam implements them): P = sum_k R_k;
M = minmax0(Up(ReLU(P))); per unit u (a channel, or a group of channels) a mask H_u; blended input
X_u = X*H_u + B(X)*(1 - H_u) with B a Gaussian blur (size 11, sigma 5, reflect padding: small images);
scores; combination; final minmax (delta 1e-7). minmax0 is minmax with delta 0 (constant -> zeros).
Units whose mask source is constant at the layer's resolution get weight 0 and are not evaluated
(with logit_softmax_over_channels the softmax runs over the evaluated units).

Output in --out (default fixtures/rcam): <model>.onnx, <model>.rcam.npz, manifest.json.
Usage: rcam_refs.py [--out DIR]
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
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402
from torchvision.models.resnet import BasicBlock  # noqa: E402
from zennit.canonizers import SequentialMergeBatchNorm  # noqa: E402
from zennit.composites import LayerMapComposite  # noqa: E402
from zennit.layer import Sum  # noqa: E402
from zennit.rules import Norm, Pass, ZPlus  # noqa: E402
from zennit.torchvision import ResNetBasicBlockCanonizer, ResNetCanonizer  # noqa: E402
from zennit.types import Activation, AvgPool, BatchNorm, Convolution  # noqa: E402

SEED = 20250301
BATCH, CLASSES, SIZE = 2, 10, 32
TARGETS = [3, 3]  # one class for the batch (cfcam: Target.classIndex(3))
BLUR_SIZE, BLUR_SIGMA = 11, 5.0
GROUPS = 4
CONTRASTS = ["lrp", "clrp_rcam", "sglrp"]
# CF-CAM variants stored: name -> (mask_source, combination, score, grouping)
CFCAM_VARIANTS = {
    "default": ("act_x_spatial", "act", "prob_minus_blur", False),
    "rel_channel.masks.prob": ("rel_channel", "masks", "prob", False),
    "act_only.act_x_mask.logit_softmax": ("act_only", "act_x_mask", "logit_softmax_over_channels", False),
    "grouped": ("act_x_spatial", "act", "prob_minus_blur", True),
}


def randomize_bn(model, gen):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            # About a quarter of the scales negative: merging such a BN flips the conv's weight
            # signs, so z+ with and without the merge (rcam vs rcam-zennit) differ.
            sign = torch.where(torch.rand(c, generator=gen) < 0.25, -1.0, 1.0)
            m.weight.data = sign * (0.5 + torch.rand(c, generator=gen))
            m.bias.data = 0.2 * torch.randn(c, generator=gen)
            m.running_mean.data = 0.2 * torch.randn(c, generator=gen)
            m.running_var.data = 0.5 + torch.rand(c, generator=gen)


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
        self.classifier = nn.Sequential(nn.Linear(16 * 8 * 8, 32), nn.ReLU(), nn.Linear(32, CLASSES))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def composite(rules, resnet):
    layer_map = [(Activation, Pass()), (Sum, Norm()), (AvgPool, Norm()), (BatchNorm, Pass()),
                 (Convolution, ZPlus(zero_params="bias")), (torch.nn.Linear, ZPlus(zero_params="bias"))]
    if rules == "rcam":
        canonizers = [ResNetBasicBlockCanonizer()] if resnet else []
    else:
        canonizers = [ResNetCanonizer()] if resnet else [SequentialMergeBatchNorm()]
    return LayerMapComposite(layer_map=layer_map, canonizers=canonizers)


def initial_relevance(z, mode):
    n = z.shape[1]
    e = torch.zeros_like(z)
    for b, t in enumerate(TARGETS):
        e[b, t] = 1.0
    if mode == "lrp":
        return e
    if mode == "clrp_rcam":
        return e - (1.0 / n) * (1 - e)
    if mode == "sglrp":
        p = torch.softmax(z, dim=1)
        pt = p.gather(1, torch.tensor(TARGETS).view(-1, 1))
        return pt * (e - p)
    raise ValueError(mode)


def relevance(model, x, seed, comp, module):
    """zennit relevance at `module`'s output."""
    x = x.clone().requires_grad_()
    store = {}

    def keep(_m, _i, output):
        output.retain_grad()
        store["r"] = output

    with comp.context(model) as hooked:
        handle = module.register_forward_hook(keep)
        out = hooked(x)
        torch.autograd.backward(out, seed)
        handle.remove()
    return store["r"].grad.detach()


def activation(model, x, module):
    store = {}
    handle = module.register_forward_hook(lambda _m, _i, o: store.__setitem__("a", o.detach()))
    with torch.no_grad():
        z = model(x)
    handle.remove()
    return store["a"], z


def minmax(m, delta):
    """Per map [N, h, w]: (m - min) / (max - min + delta); a range below 1e-12 gives zeros."""
    flat = m.reshape(m.shape[0], -1)
    lo = flat.min(1, keepdim=True).values
    hi = flat.max(1, keepdim=True).values
    out = (flat - lo) / (hi - lo + delta)
    out = torch.where((hi - lo) < 1e-12, torch.zeros_like(out), out)
    return out.reshape(m.shape)


def up(m, size):
    return F.interpolate(m[:, None], size=size, mode="bilinear", align_corners=False)[:, 0]


def relevance_cam(a, r, size):
    """The official order (minmax, resize), then cfcam's shared CAM pipeline minmaxes the resized map
    again (pytorch-grad-cam's aggregate_multi_layers, spec §1.3): an affine stretch."""
    alpha = r.mean(dim=(2, 3))
    cam = (alpha[:, :, None, None] * a).sum(1)
    return minmax(up(minmax(cam, 1e-7), size), 1e-7)


def blur(x):
    """Separable Gaussian blur of [C, H, W], reflect padding (cfcam's GaussianBlur)."""
    half = BLUR_SIZE // 2
    t = torch.arange(BLUR_SIZE, dtype=x.dtype) - half
    g = torch.exp(-t * t / (2 * BLUR_SIGMA ** 2))
    g = g / g.sum()
    c = x.shape[0]
    y = F.pad(x[None], (half, half, half, half), mode="reflect")
    y = F.conv2d(y, g.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    y = F.conv2d(y, g.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)
    return y[0]


def cf_cam(model, x, a, r, variant):
    mask_source, combination, score, grouping = variant
    n, k = a.shape[:2]
    size = x.shape[2:]
    spatial = minmax(up(torch.relu(r.sum(1)), size), 0.0)  # M [N, H, W]
    out = []
    for b in range(n):
        t = TARGETS[b]
        if grouping:
            w = r[b].mean(dim=(1, 2))
            chunk = -(-k // GROUPS)
            idx = [list(range(s, min(k, s + chunk))) for s in range(0, k, chunk)]
            units = torch.stack([torch.relu((w[i, None, None] * a[b, i]).sum(0)) for i in idx])
            urel = torch.stack([r[b, i].sum(0) for i in idx])
        else:
            units, urel = a[b], r[b]
        if mask_source == "act_x_spatial":
            src = torch.relu(units)
        elif mask_source == "rel_channel":
            src = torch.relu(urel)
        else:
            src = units
        flat = src.reshape(src.shape[0], -1)  # constant at the layer's resolution: weight 0
        valid = (flat.max(1).values - flat.min(1).values) >= 1e-12
        masks = minmax(up(src, size), 0.0)
        if mask_source == "act_x_spatial":
            masks = masks * spatial[b]
        xb = x[b]
        bx = blur(xb)
        blended = xb[None] * masks[:, None] + bx[None] * (1 - masks[:, None])
        with torch.no_grad():
            logits = model(torch.cat([bx[None], blended]))
        if score == "logit_softmax_over_channels":
            s = logits[1:, t]
            alpha = torch.zeros_like(s)
            alpha[valid] = torch.softmax(s[valid], 0)
        else:
            p = torch.softmax(logits, 1)[:, t]
            alpha = torch.relu(p[1:] - p[0]) if score == "prob_minus_blur" else p[1:].clone()
            alpha[~valid] = 0
        if combination == "masks":
            cam = (alpha[:, None, None] * masks).sum(0)
        else:
            cam = torch.relu(up((alpha[:, None, None] * units).sum(0)[None], size)[0])
            if combination == "act_x_mask":
                cam = cam * spatial[b]
        out.append(cam)
    final = minmax(torch.stack(out), 1e-7)
    return minmax(final, 1e-7)  # the shared pipeline's aggregation (a no-op up to delta)


def export(model, x, path):
    torch.onnx.export(model, (x,), path, dynamo=False, opset_version=17, do_constant_folding=False,
                      training=torch.onnx.TrainingMode.PRESERVE, export_modules_as_functions=False,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    return onnx.load(path)


def value_of(proto, node_name):
    for n in proto.graph.node:
        if n.name == node_name:
            return n.output[0]
    raise SystemExit(f"no ONNX node named {node_name}; nodes: {[n.name for n in proto.graph.node]}")


def build(name, model, resnet, layers, n_bn, out_dir, gen):
    """layers: short name -> (module getter, ONNX node name); the first is the final layer."""
    randomize_bn(model, gen)
    model.eval()
    x32 = torch.randn(BATCH, 3, SIZE, SIZE, generator=gen)
    path = os.path.join(out_dir, f"{name}.onnx")
    proto = export(model, x32, path)
    ops = [n.op_type for n in proto.graph.node]
    if ops.count("BatchNormalization") != n_bn:
        raise SystemExit(f"{name}: exporter kept {ops.count('BatchNormalization')} of {n_bn} BatchNormalization nodes")
    logits32 = model(x32).detach().numpy()
    ort_out = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"input": x32.numpy()})[0]
    assert np.abs(ort_out - logits32).max() < 1e-4, "onnxruntime disagrees with torch"

    model = model.double()
    x = x32.double()
    arrays = {"input": x32.numpy(), "logits": logits32}
    for lname, (get, _node) in layers.items():
        a, z = activation(model, x, get(model))
        for rules in ["rcam", "rcam-zennit"]:
            for mode in CONTRASTS:
                r = relevance(model, x, initial_relevance(z, mode), composite(rules, resnet), get(model))
                key = f"{lname}.{rules}.{mode}"
                arrays[f"{key}.relevance"] = r.float().numpy()
                arrays[f"{key}.rcam"] = relevance_cam(a, r, (SIZE, SIZE)).float().numpy()
                if lname == next(iter(layers)) and rules == "rcam" and mode == "clrp_rcam":
                    for vname, variant in CFCAM_VARIANTS.items():
                        arrays[f"{lname}.cfcam.{vname}"] = cf_cam(model, x, a, r, variant).float().numpy()
    np.savez_compressed(os.path.join(out_dir, f"{name}.rcam.npz"), **arrays)
    return {"onnx": f"{name}.onnx", "refs": f"{name}.rcam.npz",
            "layers": {k: value_of(proto, v[1]) for k, v in layers.items()},
            "targets": TARGETS, "ops": sorted(set(ops))}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "rcam"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    manifest = {"zennit": "0.5.1", "torch": torch.__version__, "seed": SEED, "contrasts": CONTRASTS,
                "rules": ["rcam", "rcam-zennit"], "blur": [BLUR_SIZE, BLUR_SIGMA], "groups": GROUPS,
                "cfcam": {k: list(v) for k, v in CFCAM_VARIANTS.items()}, "models": {}}
    manifest["models"]["resnetish"] = build(
        "resnetish", ResNetish(), True,
        {"final": (lambda m: m.layer2, "/layer2/relu_1/Relu"), "mid": (lambda m: m.layer1, "/layer1/relu_1/Relu")},
        6, args.out, gen)
    torch.manual_seed(SEED + 1)
    manifest["models"]["vggish"] = build(
        "vggish", VGGish(), False,
        {"final": (lambda m: m.features[10], "/features/features.10/MaxPool"),
         "mid": (lambda m: m.features[6], "/features/features.6/MaxPool")},
        3, args.out, gen)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(json.dumps(manifest, indent=1))


if __name__ == "__main__":
    main()
