#!/usr/bin/env python3
"""Reference values for cfcam's evaluation metrics (docs/metrics.md) -> fixtures/metrics/.

Run: .venv/bin/python scripts/reference/metric_refs.py   (about 10 s, CPU, seeded; pinned versions below)

A tiny seeded CNN (3x32x32 -> 5 logits) is exported to ONNX (fixtures/metrics/tiny.onnx). For three
seeded normalised inputs and two maps each (a smooth seeded map without ties, and pytorch-grad-cam
1.5.7's GradCAM of the top-1 class at the second conv), the metrics are computed by independent code
on the same maps:

- pytorch-grad-cam 1.5.7's own metric classes: `CamMultImageConfidenceChange`, `DropInConfidence`,
  `IncreaseInConfidence` (with `ClassifierOutputTarget` = raw logit and `ClassifierOutputSoftmaxTarget`),
  `ROADMostRelevantFirstAverage`, `ROADLeastRelevantFirstAverage`, `ROADCombined` (and a single
  `ROADMostRelevantFirst(80)`). The imputation noise is set to 0 (`NoisyLinearImputer`'s default noise
  argument patched), so both sides are deterministic; cfcam's noise is tested separately.
- The papers' Average Drop / Increase in Confidence: 100 * max(0, Y - O) / Y and 100 * [O > Y] on
  softmax probabilities, O from pytorch-grad-cam's `CamMultImageConfidenceChange(return_diff=False)`.
- Insertion / deletion: a torch re-implementation of RISE's `CausalMetric` (eclique/RISE
  evaluation.py) from its published definition: order = pixels by decreasing saliency (ties: lower
  flat index first; RISE's argsort does not specify), n = ceil(HW / step) steps, the softmax
  probability of the class recorded before each copy and after the last, AUC = (sum - s0/2 - sn/2) / n.
  Substrates: zeros; RISE's `gkern(11, 5)` blur (scipy gaussian_filter of a delta, here computed in
  numpy with scipy's reflect rule and checked against the 6-digit taps published with RISE's
  kernel) as a zero-padded conv; Group-CAM's kornia `gaussian_blur2d((51, 51), (50, 50))` with reflect
  border (torch re-implementation: normalised exp(-x^2 / 2 sigma^2) taps, reflect padding).

scipy is not in the reference venv; pytorch-grad-cam's ROAD code imports scipy.sparse's lil_matrix,
csc_matrix and spsolve to set up and solve its imputation system. When scipy is missing they are
replaced by dense numpy equivalents (a dense array accepts the same fancy-index assignments as a
lil_matrix, and numpy.linalg.solve solves the same system exactly): the system itself is
pytorch-grad-cam's code. The images are 32x32 so the dense system stays small.

Output fixtures/metrics/refs.npz:
  x                  [3, 3, 32, 32] float32 normalised inputs
  classes            [3] int64 the top-1 class of each input (the explained class)
  maps.smooth        [3, 32, 32] float32 seeded smooth maps in [0, 1] without ties
  maps.gradcam       [3, 32, 32] float32 pytorch-grad-cam GradCAM maps (ties at 0)
  <maps>.<metric>    [3] float64 per-image values, metric in:
     pgc.drop.logit, pgc.increase.logit, pgc.drop.prob, pgc.increase.prob, pgc.change.logit,
     paper.drop, paper.increase,
     road.morf, road.lerf, road.combined, road.morf80,
     insertion.step<k>.<substrate>, deletion.step<k>.<substrate> for k in 32, 100 and substrate in
     zeros, blur-rise, blur-groupcam

Local attention-map comparison (Cheng et al. 2022 as reconstructed in docs/metrics.md), on the same
inputs, between Tiny (above) and a second Tiny with seed 1 (fixtures/metrics/tiny_b.onnx):
  compare.energy_a, compare.energy_b  [3, 16, 16] activation energy: Q = up(sum_c relu1^2 to 16x16) + sum_c relu2^2
                                      (F.interpolate bilinear, align_corners=False)
  compare.overall                     [3] Pearson of the two maps resized to the input size 32x32
  compare.blocks<g>                   [3, g, g] per-block Pearson, g = 2, 3, 4; block i spans floor(i*32/g)..floor((i+1)*32/g)
  (Pearson with +1e-8 in the denominator, float64)

Evaluation datasets for the CLI tests (the manifest format of docs/metrics.md):
  fixtures/metrics/tensors/      x0.npy .. x2.npy (the inputs above, [1, 3, 32, 32]) + manifest.json
                                 (label = the top-1 class; boxes in input pixels, drawn by this script)
  fixtures/metrics/tensors-maps/ x0.npy .. x2.npy: maps.smooth, so `cfcam evaluate --maps` reproduces the
                                 reference values above end to end; expected.csv holds them
                                 (image,metric,value: the papers' AD / IC, insertion step 32 blur-rise,
                                 deletion step 32 zeros, ROAD without noise)
  fixtures/metrics/photos/       three seeded 48x40 PNGs with one or two coloured squares on noise, boxes
                                 at the squares (classes of the tiny model are arbitrary: the labels only
                                 name which square is "the" object), and broken.png (not an image)
"""
import importlib.machinery
import importlib.util
import os
import sys
import types
from importlib.metadata import version

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "fixtures", "metrics")

PINS = {"numpy": "2.4.6", "torch": "2.13.0", "grad-cam": "1.5.7", "onnx": "1.23.2", "onnxruntime": "1.32.0"}
for pkg, want in PINS.items():
    got = version(pkg)
    assert got.startswith(want), f"need {pkg}=={want}, found {got}"


class _StubModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)

        def unavailable(*a, **k):
            raise RuntimeError(f"stubbed {self.__name__}.{name} called; install the real package")
        return unavailable


def _module(name, **attrs):
    m = _StubModule(name)
    m.__spec__ = importlib.machinery.ModuleSpec(name, None)
    for k, v in attrs.items():
        setattr(m, k, v)
    sys.modules[name] = m
    return m


if importlib.util.find_spec("scipy") is None:
    _module("scipy")
    _module("scipy.ndimage")
    # Dense stand-ins for the three scipy.sparse names road.py uses (see the docstring).
    _module("scipy.sparse", lil_matrix=lambda shape: np.zeros(shape), csc_matrix=lambda a: np.asarray(a))
    _module("scipy.sparse.linalg", spsolve=lambda a, b: np.linalg.solve(a, b))
if importlib.util.find_spec("sklearn") is None:
    _module("sklearn")
    _module("sklearn.decomposition")

sys.path.insert(0, HERE)
import tvshim  # noqa: E402,F401
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402
from pytorch_grad_cam import GradCAM  # noqa: E402
from pytorch_grad_cam.metrics import road  # noqa: E402
from pytorch_grad_cam.metrics.cam_mult_image import (CamMultImageConfidenceChange, DropInConfidence,  # noqa: E402
                                                     IncreaseInConfidence)
from pytorch_grad_cam.utils.model_targets import ClassifierOutputSoftmaxTarget, ClassifierOutputTarget  # noqa: E402

# Deterministic imputation on both sides: NoisyLinearImputer() gets noise 0.
road.NoisyLinearImputer.__init__.__defaults__ = (0.0, road.neighbors_weights)

N, C, H, W, K = 3, 3, 32, 32, 5
REFS = {}


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.fc = nn.Linear(16, K)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.relu(self.conv2(x))
        return self.fc(x.mean(dim=(2, 3)))


def rise_taps(size=11, sigma=5.0):
    """scipy.ndimage.gaussian_filter1d of a centred delta (truncate 4, mode reflect), in numpy."""
    r = int(4 * sigma + 0.5)
    g = np.exp(-0.5 * np.arange(-r, r + 1) ** 2 / sigma ** 2)
    g /= g.sum()
    out = np.zeros(size)
    for i in range(size):
        for k in range(-r, r + 1):
            j = (i + k) % (2 * size)
            j = j if j < size else 2 * size - 1 - j
            if j == size // 2:
                out[i] += g[k + r]
    return out


PUBLISHED = [0.087958, 0.088896, 0.090474, 0.092191, 0.093489, 0.093982, 0.093489, 0.092191, 0.090474, 0.088896, 0.087958]


def substrate(x, kind):
    if kind == "zeros":
        return torch.zeros_like(x)
    if kind == "blur-rise":
        k1 = torch.tensor(rise_taps(), dtype=torch.float32)
        k = torch.zeros(C, C, 11, 11)
        for c in range(C):
            k[c, c] = torch.outer(k1, k1)
        return F.conv2d(x, k, padding=5)
    if kind == "blur-groupcam":
        xs = torch.arange(51, dtype=torch.float64) - 25
        g = torch.exp(-xs ** 2 / (2 * 50.0 ** 2))
        g = (g / g.sum()).float()
        k = torch.outer(g, g).expand(C, 1, 51, 51).contiguous()
        return F.conv2d(F.pad(x, (25, 25, 25, 25), mode="reflect"), k, groups=C)
    raise ValueError(kind)


def causal(model, x, sal, cls, mode, step, kind):
    """RISE CausalMetric.single_run on one image [1, C, H, W]: the AUC."""
    hw = H * W
    n = (hw + step - 1) // step
    sub = substrate(x, kind)
    start, finish = (x.clone(), sub) if mode == "deletion" else (sub.clone(), x)
    order = np.argsort(-sal.reshape(-1), kind="stable")  # decreasing; ties by flat index
    scores = np.empty(n + 1)
    for i in range(n + 1):
        with torch.no_grad():
            scores[i] = torch.softmax(model(start), dim=1)[0, cls].item()
        if i < n:
            idx = torch.from_numpy(order[i * step:(i + 1) * step].copy())
            start.view(1, C, hw)[0, :, idx] = finish.view(1, C, hw)[0, :, idx]
    return (scores.sum() - scores[0] / 2 - scores[-1] / 2) / n


def main():
    torch.manual_seed(0)
    torch.set_num_threads(2)
    assert np.allclose(rise_taps(), PUBLISHED, atol=5e-7), rise_taps()
    model = Tiny().eval()
    with torch.no_grad():  # larger weights: outputs that react to perturbations
        for p in model.parameters():
            p.mul_(3.0)
    rng = np.random.default_rng(20261207)
    x = rng.standard_normal((N, C, H, W)).astype(np.float32)
    xt = torch.from_numpy(x)
    with torch.no_grad():
        logits = model(xt).numpy()
    classes = logits.argmax(1)

    os.makedirs(OUT, exist_ok=True)
    onnx_path = os.path.join(OUT, "tiny.onnx")
    torch.onnx.export(model, (xt[:1],), onnx_path, dynamo=False, opset_version=17, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    got = ort.InferenceSession(onnx_path).run(None, {"input": x})[0]
    assert np.abs(got - logits).max() < 1e-4, "onnxruntime disagrees with torch"

    low = rng.random((N, 1, 4, 4)).astype(np.float32)
    smooth = F.interpolate(torch.from_numpy(low), size=(H, W), mode="bilinear", align_corners=False)[:, 0].numpy()
    smooth = smooth + 1e-3 * rng.random((N, H, W)).astype(np.float32)
    smooth = ((smooth - smooth.min(axis=(1, 2), keepdims=True))
              / (smooth.max(axis=(1, 2), keepdims=True) - smooth.min(axis=(1, 2), keepdims=True))).astype(np.float32)
    with GradCAM(model=model, target_layers=[model.conv2]) as cam:
        gradcam = cam(input_tensor=xt, targets=[ClassifierOutputTarget(int(c)) for c in classes]).astype(np.float32)

    logit_t = [ClassifierOutputTarget(int(c)) for c in classes]
    prob_t = [ClassifierOutputSoftmaxTarget(int(c)) for c in classes]
    arrays = {"x": x, "classes": classes.astype(np.int64), "maps.smooth": smooth, "maps.gradcam": gradcam}
    for name, maps in [("smooth", smooth), ("gradcam", gradcam)]:
        def put(key, v):
            arrays[f"{name}.{key}"] = np.asarray(v, dtype=np.float64).reshape(N)
            print(f"{name}.{key}: {np.round(arrays[f'{name}.{key}'], 6)}")
        put("pgc.drop.logit", DropInConfidence()(xt, maps, logit_t, model))
        put("pgc.increase.logit", IncreaseInConfidence()(xt, maps, logit_t, model))
        put("pgc.drop.prob", DropInConfidence()(xt, maps, prob_t, model))
        put("pgc.increase.prob", IncreaseInConfidence()(xt, maps, prob_t, model))
        put("pgc.change.logit", CamMultImageConfidenceChange()(xt, maps, logit_t, model))
        with torch.no_grad():
            y = torch.softmax(model(xt), 1).numpy()[np.arange(N), classes]
        o = CamMultImageConfidenceChange()(xt, maps, prob_t, model, return_diff=False)
        put("paper.drop", 100 * np.maximum(0, y - o) / y)
        put("paper.increase", 100 * (o > y))
        put("road.morf", road.ROADMostRelevantFirstAverage()(xt, maps, logit_t, model))
        put("road.lerf", road.ROADLeastRelevantFirstAverage()(xt, maps, logit_t, model))
        put("road.combined", road.ROADCombined()(xt, maps, logit_t, model))
        put("road.morf80", road.ROADMostRelevantFirst(80)(xt, maps, logit_t, model))
        for mode in ["insertion", "deletion"]:
            for step in [32, 100]:
                for kind in ["zeros", "blur-rise", "blur-groupcam"]:
                    put(f"{mode}.step{step}.{kind}",
                        [causal(model, xt[b:b + 1], maps[b], int(classes[b]), mode, step, kind) for b in range(N)])
    torch.manual_seed(1)
    model_b = Tiny().eval()
    with torch.no_grad():
        for p in model_b.parameters():
            p.mul_(3.0)
    torch.onnx.export(model_b, (xt[:1],), os.path.join(OUT, "tiny_b.onnx"), dynamo=False, opset_version=17, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    arrays.update(compare_refs(model, model_b, xt))
    np.savez_compressed(os.path.join(OUT, "refs.npz"), **arrays)
    REFS.update(arrays)
    datasets(x, smooth, classes, rng)
    print(f"wrote {OUT}/refs.npz and tiny.onnx")


def energy(model, x):
    with torch.no_grad():
        r1 = F.relu(model.conv1(x))
        r2 = F.relu(model.conv2(F.max_pool2d(r1, 2)))
        q1 = (r1 ** 2).sum(1, keepdim=True)
        q2 = (r2 ** 2).sum(1, keepdim=True)
        return F.interpolate(q1, size=q2.shape[2:], mode="bilinear", align_corners=False) + q2


def pearson(u, v):
    u = u.astype(np.float64).ravel() - u.astype(np.float64).mean()
    v = v.astype(np.float64).ravel() - v.astype(np.float64).mean()
    return float((u * v).sum() / (np.sqrt((u * u).sum()) * np.sqrt((v * v).sum()) + 1e-8))


def compare_refs(model_a, model_b, x):
    ea, eb = energy(model_a, x), energy(model_b, x)
    ua = F.interpolate(ea, size=(H, W), mode="bilinear", align_corners=False)[:, 0].numpy()
    ub = F.interpolate(eb, size=(H, W), mode="bilinear", align_corners=False)[:, 0].numpy()
    out = {"compare.energy_a": ea[:, 0].numpy(), "compare.energy_b": eb[:, 0].numpy(),
           "compare.overall": np.array([pearson(ua[b], ub[b]) for b in range(N)])}
    for g in [2, 3, 4]:
        cuts = [i * H // g for i in range(g + 1)]
        out[f"compare.blocks{g}"] = np.array([[[pearson(ua[b, cuts[i]:cuts[i + 1], cuts[j]:cuts[j + 1]],
                                                        ub[b, cuts[i]:cuts[i + 1], cuts[j]:cuts[j + 1]])
                                                for j in range(g)] for i in range(g)] for b in range(N)])
    print("compare.overall", out["compare.overall"], "blocks2[0]", out["compare.blocks2"][0])
    return out


def datasets(x, smooth, classes, rng):
    import json
    from PIL import Image
    tdir, mdir, pdir = (os.path.join(OUT, d) for d in ["tensors", "tensors-maps", "photos"])
    for d in [tdir, mdir, pdir]:
        os.makedirs(d, exist_ok=True)
    images = []
    for b in range(N):
        np.save(os.path.join(tdir, f"x{b}.npy"), x[b:b + 1])
        np.save(os.path.join(mdir, f"x{b}.npy"), smooth[b])
        other = (int(classes[b]) + 1) % K
        images.append({"file": f"x{b}.npy", "label": int(classes[b]),
                       "boxes": [{"label": int(classes[b]), "xyxy": [4 + 3 * b, 6, 20 + 3 * b, 22]},
                                 {"label": other, "xyxy": [22, 20, 32, 32]}],
                       "note": "boxes drawn by metric_refs.py (tensor inputs: input pixels)"})
    with open(os.path.join(mdir, "expected.csv"), "w") as f:
        f.write("image,metric,value\n")
        for metric, key in [("average-drop", "paper.drop"), ("increase-in-confidence", "paper.increase"),
                            ("insertion", "insertion.step32.blur-rise"), ("deletion", "deletion.step32.zeros"),
                            ("road-morf", "road.morf"), ("road-lerf", "road.lerf"), ("road-combined", "road.combined")]:
            for b in range(N):
                f.write(f"x{b}.npy,{metric},{REFS[f'smooth.{key}'][b]:.9g}\n")
    with open(os.path.join(tdir, "manifest.json"), "w") as f:
        json.dump({"name": "metric-tensors", "source": "scripts/reference/metric_refs.py (seed 20261207)",
                   "images": images}, f, indent=1)
    photos = []
    for i in range(3):
        img = rng.integers(0, 80, size=(40, 48, 3), dtype=np.uint8)
        x0, y0 = 6 + 8 * i, 8 + 4 * i
        img[y0:y0 + 14, x0:x0 + 14] = [230, 40, 40]
        boxes = [{"label": 1, "xyxy": [x0, y0, x0 + 14, y0 + 14]}]
        if i == 2:
            img[2:12, 34:46] = [40, 40, 230]
            boxes.append({"label": 3, "xyxy": [34, 2, 46, 12]})
        Image.fromarray(img).save(os.path.join(pdir, f"p{i}.png"))
        photos.append({"file": f"p{i}.png", "label": 1, "boxes": boxes, "note": "boxes drawn by metric_refs.py"})
    photos.append({"file": "broken.png", "label": 1, "note": "not an image: the run records it and goes on"})
    with open(os.path.join(pdir, "broken.png"), "wb") as f:
        f.write(b"this is not a PNG file\n")
    with open(os.path.join(pdir, "manifest.json"), "w") as f:
        json.dump({"name": "metric-photos", "source": "scripts/reference/metric_refs.py (seed 20261207)",
                   "classes": ["c0", "c1", "c2", "c3", "c4"], "images": photos}, f, indent=1)


if __name__ == "__main__":
    main()
