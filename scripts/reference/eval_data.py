#!/usr/bin/env python3
"""Synthetic evaluation images with exact ground truth: known shapes with exact boxes on crops of
real photos and textures.

    .venv/bin/python scripts/reference/eval_data.py            # -> fixtures/eval/synthetic/

writes the committed test split (seed 0): 112 x 112 RGB PNGs and manifest.json (the evaluation
data contract, fixtures/eval/README.md). scripts/reference/eval_train.py imports `sample` to make
its training (seed 1) and validation (seed 2) splits in memory, from the same generator.

Each image: a background, then one object, or two objects of different classes.
  background  a square crop (side uniform in log space between 112 px and the source's short
              side, uniform position) of one of BACKGROUNDS, resized to 112 x 112 (PIL bilinear),
              flipped left-right with probability 1/2; grey sources are tinted (RGB gains 0.55-1)
  object      one of CLASSES, drawn as a polygon (ring: two ellipses) from exact vertex
              coordinates: box side 24-48 px, aspect 0.85-1.15 in the shape's own frame, rotated
              uniformly (0-360 degrees); rendered at 4x and box-averaged down (PIL `reduce(4)`),
              so alpha is the exact area coverage of each pixel; the fill is one colour at least
              110 (RGB Euclidean) from the mean background colour under the object, with a linear
              shading of +-24 across the object
  box         the tight box of the pixels with coverage > 0, [x0, y0, x1, y1], x1/y1 exclusive
  two objects boxes at least 4 px apart, classes different; the image's label is the first
              object's class; the second box carries the other class
Finally Gaussian noise (sigma 3) on every pixel, rounded, clipped to 0-255.
Every image has its own random stream, numpy PCG64 seeded with (split seed, image index), so an
image does not depend on how many are generated.

Test split (seed 0): 20 one-object images per class (120), then 60 two-object images: each of
the 15 unordered class pairs 4 times, the label alternating between the two classes (so every
class is explained 20 times in two-object images, with each other class beside it). pairs.json
names, for each one-object image, a reference image of the same class and one of another class
(for similarity targets on the embedding models).
Pinned: numpy 2.4.6, Pillow 13.0.0 (scripts/reference/requirements.txt); the backgrounds come
from scikit-image 0.26.0 and imgaug 0.4.0 wheels (scripts/reference/eval_sources.py).
"""

import argparse
import itertools
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402
import eval_sources  # noqa: E402

SIZE = 112
CLASSES = ["circle", "square", "triangle", "star", "cross", "ring"]
# (folder key, file): scikit-image data files and imgaug's quokka (licences: fixtures/eval/README.md).
BACKGROUNDS = [("skimage", f) for f in ["astronaut.png", "brick.png", "grass.png", "gravel.png", "camera.png",
                                        "coffee.png", "chelsea.png", "rocket.jpg", "hubble_deep_field.jpg",
                                        "coins.png", "clock_motion.png", "retina.jpg"]] + [("imgaug", "quokka.jpg")]
SUPER = 4
MIN_SIDE, MAX_SIDE = 24, 48
MIN_CONTRAST = 110.0
SHADE = 24.0
NOISE = 3.0
GAP = 4
TEST_SEED, TRAIN_SEED, VAL_SEED = 0, 1, 2
OUT = os.path.join(ROOT, "fixtures", "eval", "synthetic")


def load_backgrounds(base=eval_sources.DEFAULT_DIR):
    dirs = {"skimage": eval_sources.skimage_dir(base), "imgaug": eval_sources.imgaug_dir(base)}
    out = []
    for key, f in BACKGROUNDS:
        with Image.open(os.path.join(dirs[key], f)) as im:
            out.append((f, im.mode == "L", im.convert("RGB")))
    return out


def background(rng, sources):
    name, grey, im = sources[int(rng.integers(len(sources)))]
    w, h = im.size
    short = min(w, h)
    side = int(round(math.exp(rng.uniform(math.log(SIZE), math.log(short)))))
    x0, y0 = int(rng.integers(0, w - side + 1)), int(rng.integers(0, h - side + 1))
    crop = im.crop((x0, y0, x0 + side, y0 + side)).resize((SIZE, SIZE), Image.BILINEAR)
    a = np.asarray(crop, dtype=np.float64)
    if rng.random() < 0.5:
        a = a[:, ::-1]
    if grey:
        a = a * rng.uniform(0.55, 1.0, size=3)
    return name, a


def unit_polygons(cls):
    """The shape as filled polygons in its own frame, radius 1; (polygon, fill) pairs, fill 1 or 0."""
    def ellipse(r):
        t = np.linspace(0, 2 * math.pi, 96, endpoint=False)
        return np.stack([r * np.cos(t), r * np.sin(t)], 1)

    def regular(n, r=1.0, phase=-math.pi / 2):
        t = phase + np.arange(n) * 2 * math.pi / n
        return np.stack([r * np.cos(t), r * np.sin(t)], 1)

    if cls == "circle":
        return [(ellipse(1.0), 1)]
    if cls == "square":
        return [(np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], float) * 0.8, 1)]
    if cls == "triangle":
        return [(regular(3), 1)]
    if cls == "star":
        outer, inner = regular(5), regular(5, 0.42, -math.pi / 2 + math.pi / 5)
        return [(np.stack([outer, inner], 1).reshape(10, 2), 1)]
    if cls == "cross":
        a = 0.32
        return [(np.array([[-a, -1], [a, -1], [a, -a], [1, -a], [1, a], [a, a], [a, 1], [-a, 1], [-a, a], [-1, a],
                           [-1, -a], [-a, -a]], float), 1)]
    if cls == "ring":
        return [(ellipse(1.0), 1), (ellipse(0.55), 0)]
    raise ValueError(cls)


def coverage(rng, cls):
    """Exact per-pixel area coverage of one randomly sized and rotated shape, cropped to its box."""
    side = rng.uniform(MIN_SIDE, MAX_SIDE)
    aspect = rng.uniform(0.85, 1.15)
    angle = rng.uniform(0, 2 * math.pi)
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    polys = [(p * [aspect, 1 / aspect] @ rot.T, fill) for p, fill in unit_polygons(cls)]
    extent = max(np.abs(p).max() for p, _ in polys)
    scale = side / 2 / extent
    canvas = int(math.ceil(side)) + 2
    c = canvas * SUPER / 2 + rng.uniform(-0.5, 0.5) * SUPER  # sub-pixel offset
    im = Image.new("L", (canvas * SUPER, canvas * SUPER), 0)
    draw = ImageDraw.Draw(im)
    for p, fill in polys:
        draw.polygon([(float(c + x * scale * SUPER), float(c + y * scale * SUPER)) for x, y in p], fill=255 * fill)
    a = np.asarray(im.reduce(SUPER), dtype=np.float64) / 255.0
    ys, xs = np.nonzero(a > 0)
    return a[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def place(rng, alpha, taken):
    h, w = alpha.shape
    for _ in range(200):
        x0, y0 = int(rng.integers(1, SIZE - w)), int(rng.integers(1, SIZE - h))
        box = [x0, y0, x0 + w, y0 + h]
        if all(box[0] >= t[2] + GAP or t[0] >= box[2] + GAP or box[1] >= t[3] + GAP or t[1] >= box[3] + GAP
               for t in taken):
            return box
    return None


def colour(rng, under):
    mean = under.reshape(-1, 3).mean(0)
    for _ in range(100):
        c = rng.uniform(0, 255, size=3)
        if np.linalg.norm(c - mean) >= MIN_CONTRAST:
            return c
    return 255.0 - mean  # the far corner: always at least 110 away unless the mean is mid-grey


def sample(seed, index, classes, sources):
    """One image (uint8 [112, 112, 3]), its boxes [(class, [x0, y0, x1, y1])] and background name."""
    rng = np.random.default_rng([seed, index])
    name, img = background(rng, sources)
    boxes = []
    for cls in classes:
        while True:
            alpha = coverage(rng, CLASSES[cls])
            box = place(rng, alpha, [b for _, b in boxes])
            if box is not None:
                break
        x0, y0, x1, y1 = box
        region = img[y0:y1, x0:x1]
        fill = colour(rng, region)
        t = rng.uniform(0, 2 * math.pi)
        yy, xx = np.mgrid[0:y1 - y0, 0:x1 - x0]
        ramp = ((xx - xx.mean()) * math.cos(t) + (yy - yy.mean()) * math.sin(t)) / max(x1 - x0, y1 - y0)
        fg = np.clip(fill + SHADE * 2 * ramp[..., None], 0, 255)
        img[y0:y1, x0:x1] = region * (1 - alpha[..., None]) + fg * alpha[..., None]
        boxes.append((cls, box))
    img = img + rng.normal(0, NOISE, size=img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8), boxes, name


def test_plan():
    """(classes per image) for the committed test split."""
    plan = [[c] for c in range(len(CLASSES)) for _ in range(20)]
    for k, (a, b) in enumerate(itertools.combinations(range(len(CLASSES)), 2)):
        for r in range(4):
            plan.append([a, b] if r % 2 == 0 else [b, a])
    return plan


def random_plan(rng, n, two_fraction):
    """Random class lists for the training / validation splits."""
    plan = []
    for _ in range(n):
        if rng.random() < two_fraction:
            a, b = rng.choice(len(CLASSES), size=2, replace=False)
            plan.append([int(a), int(b)])
        else:
            plan.append([int(rng.integers(len(CLASSES)))])
    return plan


def write_test_split(out_dir, sources):
    os.makedirs(out_dir, exist_ok=True)
    images = []
    for i, classes in enumerate(test_plan()):
        img, boxes, bg = sample(TEST_SEED, i, classes, sources)
        f = f"img_{i:04d}.png"
        Image.fromarray(img).save(os.path.join(out_dir, f), optimize=True)
        note = f"background: crop of {bg}; " + ("one object" if len(boxes) == 1 else
                                                "two objects of different classes: the second box is the other class")
        images.append({"file": f, "label": classes[0],
                       "boxes": [{"label": c, "xyxy": b} for c, b in boxes], "note": note})
    manifest = {"name": "synthetic-shapes",
                "source": f"generated by scripts/reference/eval_data.py (seed {TEST_SEED})",
                "classes": CLASSES, "size": [SIZE, SIZE], "images": images}
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    write_pairs(out_dir, images)
    return manifest


def write_pairs(out_dir, images):
    """pairs.json: references for similarity targets (embedding models). For the k-th one-object
    image of class c: "same" is the (k+1)-th image of class c (cyclically), "other" the k-th image
    of class c+1 (mod 6)."""
    by_class = {}
    for e in images:
        if len(e["boxes"]) == 1:
            by_class.setdefault(e["label"], []).append(e["file"])
    pairs = []
    for c, files in sorted(by_class.items()):
        other = by_class[(c + 1) % len(CLASSES)]
        for k, f in enumerate(files):
            pairs.append({"file": f, "same": files[(k + 1) % len(files)], "other": other[k % len(other)]})
    with open(os.path.join(out_dir, "pairs.json"), "w") as fh:
        json.dump({"about": "similarity references: 'same' shows the same class, 'other' the next class "
                   "(scripts/reference/eval_data.py write_pairs)", "pairs": pairs}, fh, indent=1)
        fh.write("\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--sources", default=eval_sources.DEFAULT_DIR, help="cache folder for the packaged photos")
    args = ap.parse_args(argv)
    m = write_test_split(args.out, load_backgrounds(args.sources))
    size = sum(os.path.getsize(os.path.join(args.out, i["file"])) for i in m["images"])
    print(f"eval_data: {len(m['images'])} images, {size / 1e6:.2f} MB -> {args.out}")


if __name__ == "__main__":
    main()
