#!/usr/bin/env python3
"""Regenerates docs/RESULTS.md: every method x metric x model on the evaluation data, with
`cfcam evaluate` (release build), and the claims of the papers cfcam implements checked against
the numbers. Standard library only (no numpy), so any python3 runs it.

    scripts/results.sh                 # builds cfcam (release), runs this; about 30 minutes on 2 cores
    python3 scripts/results.py --only shapes_resnet     # one block, for a quick look

Data and models: fixtures/eval (README there). Outputs of each run: .build/results/<run>/
(scores.csv, summary.csv, index.sqlite), kept so a rerun resumes.
"""
import argparse
import csv
import json
import os
import random
import subprocess
import sys
import time
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CFCAM = os.path.join(ROOT, ".build", "release", "cfcam")
OUT = os.path.join(ROOT, ".build", "results")
SYN = "fixtures/eval/synthetic"
PHOTOS = "fixtures/eval/photos"
MODELS = "fixtures/eval/models"

METRICS = ["average-drop", "increase-in-confidence", "insertion", "deletion", "pointing-game",
           "energy-pointing-game", "localization-error", "road-morf", "road-lerf", "road-combined"]
HIGHER = {"average-drop": False, "increase-in-confidence": True, "insertion": True, "deletion": False,
          "pointing-game": True, "energy-pointing-game": True, "localization-error": False,
          "road-morf": False, "road-lerf": True, "road-combined": True}
SHORT = {"average-drop": "AD ↓", "increase-in-confidence": "IC ↑", "insertion": "ins ↑", "deletion": "del ↓",
         "pointing-game": "PG ↑", "energy-pointing-game": "EPG ↑", "localization-error": "LocErr ↓",
         "road-morf": "MoRF ↓", "road-lerf": "LeRF ↑", "road-combined": "ROAD ↑"}
# The 56-px models: the RISE step and the pointing-game tolerance scaled from 224 px (224 px per
# step, 15 px) by 56/224: 56 px per step (57 points per curve), 4 px.
SMALL = ["--metric-param", "insertion:step=56", "--metric-param", "deletion:step=56",
         "--metric-param", "pointing-game:tolerance=4"]
CLASSIFIER_METHODS = "gradcam,gradcam++,xgradcam,layercam,scorecam,ablationcam,relevancecam,cfcam"


def run(name, model, data, extra, label=None):
    """One `cfcam evaluate`; returns (rows of summary.csv, seconds). Resumes a finished run."""
    out = os.path.join(OUT, name)
    cmd = [CFCAM, "evaluate", model, data, "--out-dir", out, "--threads", "2"] + extra
    t0 = time.time()
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    dt = time.time() - t0
    if r.returncode != 0:
        sys.stderr.write(f"{name}: exit {r.returncode}\n{r.stderr[-3000:]}\n")
    rows = list(csv.DictReader(open(os.path.join(out, "summary.csv"))))
    for row in rows:
        if label and row["method"] != "random":
            row["method"] = label(row["method"])
    print(f"{name}: {dt:.0f} s", file=sys.stderr)
    return rows, dt


def scores(name):
    return list(csv.DictReader(open(os.path.join(OUT, name, "scores.csv"))))


def bootstrap(values, seed):
    """Mean and the 95% percentile-bootstrap interval (1000 resamples, seeded)."""
    n = len(values)
    mean = sum(values) / n
    rng = random.Random(seed)
    means = sorted(sum(values[rng.randrange(n)] for _ in range(n)) / n for _ in range(1000))
    return mean, means[24], means[974]


def summarise(all_scores, methods):
    """Summary rows (mean and bootstrap interval) of score rows gathered from several runs."""
    rows = []
    for meth in methods:
        for m in METRICS:
            vals = [float(s["value"]) for s in all_scores if s["method"] == meth and s["metric"] == m]
            if vals:
                mean, lo, hi = bootstrap(vals, zlib.crc32(f"{meth}/{m}".encode()))
                rows.append({"method": meth, "metric": m, "mean": mean, "ci_low": lo, "ci_high": hi})
    return rows


def table(rows, methods, metrics=METRICS, seconds=True):
    by = {(r["method"], r["metric"]): r for r in rows}
    head = "| method | " + " | ".join(SHORT[m] for m in metrics) + (" | s / image |" if seconds else " |")
    lines = [head, "|" + "---|" * (len(metrics) + 1 + (1 if seconds else 0))]
    for meth in methods:
        cells = []
        for m in metrics:
            r = by.get((meth, m))
            cells.append("—" if r is None else f"{float(r['mean']):.3f} [{float(r['ci_low']):.2f}, {float(r['ci_high']):.2f}]")
        if seconds:
            s = by.get((meth, "seconds-explain"))
            cells.append("—" if s is None else f"{float(s['mean']):.3f}")
        lines.append(f"| {meth} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def best(rows, methods, metric):
    by = {r["method"]: float(r["mean"]) for r in rows if r["metric"] == metric and r["method"] in methods}
    if not by:
        return None, {}
    pick = max(by, key=by.get) if HIGHER[metric] else min(by, key=by.get)
    return pick, by


def wins(rows, a, b, metrics=METRICS):
    """Metrics where method a's mean is better than b's, and where it is worse."""
    better, worse = [], []
    for m in metrics:
        va = [r for r in rows if r["method"] == a and r["metric"] == m]
        vb = [r for r in rows if r["method"] == b and r["metric"] == m]
        if not va or not vb:
            continue
        x, y = float(va[0]["mean"]), float(vb[0]["mean"])
        if x == y:
            continue
        ((better if (x > y) == HIGHER[m] else worse)).append(SHORT[m].split()[0])
    return better, worse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", help="one block: shapes_resnet, shapes_vgg, shapes_mobilenet, layers, embed, lite0embed, lite0")
    args = ap.parse_args()
    if not os.path.exists(CFCAM):
        sys.exit(f"{CFCAM} is missing: swift build -c release --product cfcam (scripts/results.sh does)")
    os.makedirs(OUT, exist_ok=True)
    blocks = ["shapes_resnet", "shapes_vgg", "shapes_mobilenet", "layers", "embed", "lite0embed", "lite0"]
    if args.only:
        blocks = [args.only]
    md = []
    claims = []
    acc = json.load(open(os.path.join(ROOT, MODELS, "accuracy.json")))

    for model in [b for b in blocks if b.startswith("shapes_") and b != "shapes_embed"]:
        path = f"{MODELS}/{model}.onnx"
        rows, _ = run(model, path, SYN, ["--methods", CLASSIFIER_METHODS, "--metrics", "all", "--random-baseline"] + SMALL)
        g, _ = run(model + "-cfcam-groups8", path, SYN, ["--methods", "cfcam", "--param", "groups=8"] + SMALL,
                   label=lambda m: "cfcam groups=8")
        rc, _ = run(model + "-cfcam-relchannel", path, SYN, ["--methods", "cfcam", "--param", "mask-source=rel_channel"] + SMALL,
                    label=lambda m: "cfcam mask=rel_channel")
        rows += g + rc
        methods = CLASSIFIER_METHODS.split(",") + ["cfcam groups=8", "cfcam mask=rel_channel", "random"]
        md.append(f"### {model} on the synthetic shapes (180 images; 60 with two objects)\n")
        md.append(table(rows, methods) + "\n")
        rivals = ["gradcam", "scorecam", "relevancecam"]
        for r in rivals:
            b, w = wins(rows, "cfcam", r)
            claims.append(f"- {model}: CF-CAM better than {r} on {len(b)} of {len(b) + len(w)} metrics"
                          f" ({', '.join(b) or 'none'}); worse on {', '.join(w) or 'none'}.")
        for m in METRICS:
            pick, _ = best(rows, [x for x in methods if x != "random"], m)
            if pick:
                claims.append(f"  - {model} {SHORT[m]}: best {pick}")
        b, w = wins(rows, "gradcam", "random")
        claims.append(f"- {model}: Grad-CAM better than a random map on {len(b)} of {len(b) + len(w)} metrics (worse: {', '.join(w) or 'none'}).")

    if "layers" in blocks:
        path = f"{MODELS}/shapes_resnet.onnx"
        md.append("### Relevance-CAM against Grad-CAM at intermediate layers (shapes_resnet)\n")
        for layer, label in [("/features/features.2/relu/Relu_output_0", "block 1 (14x14)"),
                             ("/features/features.3/relu/Relu_output_0", "block 2 (7x7)"),
                             ("/features/features.4/relu/Relu_output_0", "block 3 (7x7, last)")]:
            tag = layer.split("/")[2]
            rows, _ = run(f"layers-{tag}", path, SYN, ["--methods", "gradcam,relevancecam,cfcam,layercam", "--layer", layer,
                                                        "--metrics", "all"] + SMALL)
            md.append(f"**{label}**: `{layer}`\n")
            md.append(table(rows, ["gradcam", "relevancecam", "cfcam", "layercam"]) + "\n")
            b, w = wins(rows, "relevancecam", "gradcam")
            claims.append(f"- shapes_resnet {label}: Relevance-CAM better than Grad-CAM on {len(b)} of {len(b) + len(w)} metrics ({', '.join(b) or 'none'}).")

    if "embed" in blocks:
        # One reference per class: the class's first one-object image; the class's other one-object
        # images are explained by their similarity to it (cosine).
        manifest = json.load(open(os.path.join(ROOT, SYN, "manifest.json")))
        singles = [im for im in manifest["images"] if len(im.get("boxes", [])) == 1]
        all_scores = []
        for c in sorted({im["label"] for im in singles}):
            members = [im for im in singles if im["label"] == c]
            ref, rest = members[0], members[1:]
            sub = os.path.join(OUT, f"embed-data-{c}")
            os.makedirs(sub, exist_ok=True)
            for im in rest:
                link = os.path.join(sub, im["file"])
                if not os.path.exists(link):
                    os.symlink(os.path.join(ROOT, SYN, im["file"]), link)
            json.dump({"name": f"synthetic class {c}", "images": rest}, open(os.path.join(sub, "manifest.json"), "w"))
            run(f"embed-{c}", f"{MODELS}/shapes_embed.onnx", sub,
                ["--methods", "fam,gradcam,cfcam", "--reference", os.path.join(SYN, ref["file"]), "--metrics", "all",
                 "--random-baseline"] + SMALL)
            all_scores += scores(f"embed-{c}")
        rows = summarise(all_scores, ["fam", "gradcam", "cfcam", "random"])
        md.append("### Similarity on the FC-less embedding model (shapes_embed)\n")
        md.append("Each one-object image explained by its cosine similarity to the first image of its class "
                  "(6 references, 114 images); boxes are the image's own object.\n")
        md.append(table(rows, ["fam", "gradcam", "cfcam", "random"], seconds=False) + "\n")
        for meth in ["fam", "gradcam", "cfcam"]:
            b, w = wins(rows, meth, "random")
            claims.append(f"- shapes_embed: {meth} better than a random map on {len(b)} of {len(b) + len(w)} metrics (worse: {', '.join(w) or 'none'}).")
        b, w = wins(rows, "fam", "gradcam")
        claims.append(f"- shapes_embed: FAM better than Grad-CAM-on-similarity on {len(b)} of {len(b) + len(w)} metrics ({', '.join(b) or 'none'}).")

    if "lite0embed" in blocks:
        # EfficientNet-Lite0's pooled features: each photo explained by its cosine similarity to its
        # own mirror image (a retrieval query against an augmented copy; the photos hold no two of
        # one class). The mirror images are made with the reference venv's Pillow.
        manifest = json.load(open(os.path.join(ROOT, PHOTOS, "manifest.json")))
        all_scores = []
        for im in manifest["images"]:
            stem = os.path.splitext(im["file"])[0]
            sub = os.path.join(OUT, f"lite0embed-data-{stem}")
            os.makedirs(sub, exist_ok=True)
            link = os.path.join(sub, im["file"])
            if not os.path.exists(link):
                os.symlink(os.path.join(ROOT, PHOTOS, im["file"]), link)
            mirror = os.path.join(OUT, f"mirror-{stem}.png")
            if not os.path.exists(mirror):
                subprocess.run([os.path.join(ROOT, ".venv", "bin", "python"), "-c",
                                "import sys; from PIL import Image, ImageOps; ImageOps.mirror(ImageOps.exif_transpose(Image.open(sys.argv[1]).convert('RGB'))).save(sys.argv[2])",
                                os.path.join(ROOT, PHOTOS, im["file"]), mirror], check=True)
            json.dump({"name": f"photo {stem}", "images": [im]}, open(os.path.join(sub, "manifest.json"), "w"))
            run(f"lite0embed-{stem}", f"{MODELS}/efficientnet_lite0_embed.onnx", sub,
                ["--methods", "fam,gradcam,cfcam", "--param", "groups=32", "--reference", mirror, "--metrics", "all", "--random-baseline"])
            all_scores += scores(f"lite0embed-{stem}")
        rows = summarise(all_scores, ["fam", "gradcam", "cfcam", "random"])
        md.append("### Similarity on EfficientNet-Lite0's pooled features (8 photos)\n")
        md.append("Each photo explained by its cosine similarity to its own mirror image; CF-CAM with 32 groups.\n")
        md.append(table(rows, ["fam", "gradcam", "cfcam", "random"], seconds=False) + "\n")
        for meth in ["fam", "gradcam", "cfcam"]:
            b, w = wins(rows, meth, "random")
            claims.append(f"- EfficientNet-Lite0 embedding: {meth} better than a random map on {len(b)} of {len(b) + len(w)} metrics (worse: {', '.join(w) or 'none'}).")

    if "lite0" in blocks:
        path = "models/efficientnet-lite0/efficientnet_lite0.onnx"
        rows, _ = run("lite0", path, PHOTOS, ["--methods", "gradcam,gradcam++,layercam,relevancecam", "--metrics", "all",
                                               "--random-baseline"])
        g, _ = run("lite0-cfcam-groups32", path, PHOTOS, ["--methods", "cfcam", "--param", "groups=32"],
                   label=lambda m: "cfcam groups=32")
        rows += g
        methods = ["gradcam", "gradcam++", "layercam", "relevancecam", "cfcam groups=32", "random"]
        md.append("### EfficientNet-Lite0 (ImageNet-trained) on 8 photos with boxes\n")
        md.append(table(rows, methods) + "\n")
        for r in ["gradcam", "relevancecam"]:
            b, w = wins(rows, "cfcam groups=32", r)
            claims.append(f"- EfficientNet-Lite0: CF-CAM (groups=32) better than {r} on {len(b)} of {len(b) + len(w)} metrics ({', '.join(b) or 'none'}).")

    json.dump({"blocks": md, "claims": claims}, open(os.path.join(OUT, "results.json"), "w"), indent=1)
    if args.only:
        print("\n".join(md + ["", "Claims:"] + claims))
        return
    def figure(v):
        k, n, _ = v.get("test_top1_one_object") or v.get("test_recall_at_1")
        return f"{k}/{n} ({100 * k / n:.1f}%)" + (" recall@1" if "test_recall_at_1" in v else " top-1")
    models = "\n".join(f"| `{k}` | {figure(v)} |" for k, v in sorted(acc.items()) if isinstance(v, dict))
    text = HEADER.format(date=time.strftime("%Y-%m-%d"), models=models) + "\n".join(md) + "\n## What the numbers say\n\n" \
        + "Computed from the tables above by `scripts/results.py` (a method is 'better' on a metric when its mean is, in the "\
        + "metric's direction; the intervals say how much to trust small gaps).\n\n" + "\n".join(claims) + "\n" + FOOTER
    open(os.path.join(ROOT, "docs", "RESULTS.md"), "w").write(text)
    print("wrote docs/RESULTS.md", file=sys.stderr)


HEADER = """# Results: methods x metrics x models

Regenerated by `scripts/results.sh` ({date}): `cfcam evaluate` (release build, 2 threads) on the
evaluation data of `fixtures/eval` (README there: generator, classes, licences). Every cell is the
mean over the images with its 95% percentile-bootstrap interval (1000 seeded resamples);
↑ / ↓ mark each metric's better direction. Definitions and every choice: `docs/metrics.md`.
"s / image" is the time to explain one image (the model's prediction excluded).

Protocol choices for the 56-px models (the synthetic shapes are 112 px, halved by each model's
preprocessing): insertion / deletion copy 56 pixels per step (57 points per curve; 224 per step at
224 px is the usual), substrates blur (insertion) and zeros (deletion) as RISE; the pointing game's
tolerance is 4 px (15 px at 224 px, scaled); Average Drop / Increase in Confidence are the papers'
(probabilities); ROAD uses pytorch-grad-cam's percentiles 10..90 and the logit. Targets are the
manifest's labels (the explained class), so on the two-object images a map that lights up the other
object loses the pointing game and energy share. `random` is a seeded uniform random map: the
sanity baseline every method must beat.

Models (`fixtures/eval/models/README.md`):

| model | held-out accuracy (one-object images) / recall@1 |
|---|---|
{models}

"""

FOOTER = """
## Not measured here

- EfficientNet-Lite0 on 8 photos is a small sample: its intervals are wide, and only grouped CF-CAM
  (32 groups) runs there: ungrouped CF-CAM and Score-CAM (1281 forwards per photo, about 13 s each
  on this model, docs/performance.md) would double the command's time.
- Localisation error is 1 (or nearly) for every method on the synthetic shapes at the last layer:
  the objects cover about a tenth of the image, and a 7 x 7 map upsampled and cut at 15% of its
  maximum gives a component far larger than the box (IoU < 0.5). The metric separates methods only
  at the 14 x 14 layer here; on this data the pointing games are the localisation measures to read.
- EfficientNet-Lite0's embedding is scored on 8 photo / mirror-image pairs only: a small sample, and
  an easy retrieval (the same photo), so its numbers say whether the maps find the object, not how
  the methods rank on hard pairs.
"""


if __name__ == "__main__":
    main()
