"""Evaluation-metric timing baseline on torch CPU for scripts/bench-eval.sh (torch 2.13, grad-cam 1.5.7).

    .venv/bin/python scripts/reference/bench_eval_torch.py --out DIR --threads 2 --runs 3

Builds the seeded torchvision resnet18 of export_models.py (fixtures/cache/resnet18_op17.onnx is its
export), one seeded 224x224 input, and pytorch-grad-cam's GradCAM map of the top-1 class at layer4
(not timed). Writes DIR/data/x.npy + manifest.json and DIR/maps/x.npy so cfcam scores the same map
on the same input. Then times, per image (median of --runs, after one warm-up forward per batch size):
  conf_ms      pytorch-grad-cam DropInConfidence + IncreaseInConfidence (ClassifierOutputTarget), as
               the library runs them: each call one clean and one masked forward
  insdel_ms    insertion (RISE blur 11/5 substrate) + deletion (zeros), step 224: 2 x 225 forwards,
               one image per forward as RISE's CausalMetric.single_run does
  insdel_batched_ms  the same curves with the perturbed images in batches of --batch (what batching buys in torch)
Prints `name=value` lines. pytorch-grad-cam's ROAD is not timed: it needs scipy (spsolve), which the
reference venv does not have (docs/metrics.md, "Performance").
"""
import argparse
import json
import os
import statistics
import sys
import time
import importlib.util

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
spec = importlib.util.spec_from_file_location("camgen", os.path.join(ROOT, "fixtures", "cam", "generate.py"))
camgen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(camgen)  # imports pytorch_grad_cam with the unused plotting deps stubbed
em, pgc, torch = camgen.em, camgen.pgc, camgen.torch
import torch.nn.functional as F  # noqa: E402
from pytorch_grad_cam.metrics.cam_mult_image import DropInConfidence, IncreaseInConfidence  # noqa: E402
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget  # noqa: E402



def rise_taps(size=11, sigma=5.0):
    """RISE's gkern(11, 5) 1-D taps (as metric_refs.py: scipy gaussian_filter1d of a delta, reflect)."""
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


def blur(x):
    k1 = torch.tensor(rise_taps(), dtype=torch.float32)
    k = torch.zeros(3, 3, 11, 11)
    for c in range(3):
        k[c, c] = torch.outer(k1, k1)
    return F.conv2d(x, k, padding=5)


def curve_images(x, sal, mode, step):
    hw = x.shape[2] * x.shape[3]
    n = (hw + step - 1) // step
    start, finish = (x.clone(), torch.zeros_like(x)) if mode == "deletion" else (blur(x), x)
    order = np.argsort(-sal.reshape(-1), kind="stable")
    for i in range(n + 1):
        yield start
        if i < n:
            idx = torch.from_numpy(order[i * step:(i + 1) * step].copy())
            start.view(1, 3, hw)[0, :, idx] = finish.view(1, 3, hw)[0, :, idx]


def auc(s):
    s = np.asarray(s)
    return (s.sum() - s[0] / 2 - s[-1] / 2) / (len(s) - 1)


def insdel(model, x, sal, c, batch):
    out = []
    for mode in ["insertion", "deletion"]:
        scores, pending = [], []
        with torch.no_grad():
            for img in curve_images(x, sal, mode, 224):
                pending.append(img.clone() if batch > 1 else img)
                if len(pending) == batch:
                    scores += torch.softmax(model(torch.cat(pending)), 1)[:, c].tolist()
                    pending = []
            if pending:
                scores += torch.softmax(model(torch.cat(pending)), 1)[:, c].tolist()
        out.append(auc(scores))
    return out


def timed(f, runs):
    t = []
    for _ in range(runs):
        t0 = time.perf_counter()
        f()
        t.append((time.perf_counter() - t0) * 1000)
    return statistics.median(t)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=32)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model = em.build_model("resnet18").eval()
    x = torch.from_numpy(em.reference_input()[:1].copy())
    with torch.no_grad():
        c = int(model(x).argmax(1)[0])
    with pgc.GradCAM(model=model, target_layers=[model.layer4]) as cam:
        sal = cam(input_tensor=x, targets=[ClassifierOutputTarget(c)]).astype(np.float32)
    for d in ["data", "maps"]:
        os.makedirs(os.path.join(args.out, d), exist_ok=True)
    np.save(os.path.join(args.out, "data", "x.npy"), x.numpy())
    np.save(os.path.join(args.out, "maps", "x.npy"), sal[0])
    with open(os.path.join(args.out, "data", "manifest.json"), "w") as f:
        json.dump({"name": "bench", "images": [{"file": "x.npy", "label": c}]}, f)
    targets = [ClassifierOutputTarget(c)]
    with torch.no_grad():  # warm-up: one forward per batch size used below
        model(x)
        model(x.repeat(args.batch, 1, 1, 1))
    drop = DropInConfidence()(x, sal, targets, model)[0]
    inc = IncreaseInConfidence()(x, sal, targets, model)[0]
    ins, dele = insdel(model, x, sal[0], c, args.batch)
    print(f"values: drop={drop:.6f} increase={inc:.0f} insertion={ins:.6f} deletion={dele:.6f}")
    print(f"conf_ms={timed(lambda: (DropInConfidence()(x, sal, targets, model), IncreaseInConfidence()(x, sal, targets, model)), args.runs):.1f}")
    print(f"insdel_ms={timed(lambda: insdel(model, x, sal[0], c, 1), args.runs):.1f}")
    print(f"insdel_batched_ms={timed(lambda: insdel(model, x, sal[0], c, args.batch), args.runs):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
