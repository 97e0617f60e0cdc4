#!/usr/bin/env python3
"""A folder of photos for scripts/bench-folder.sh: varied crops, sizes, flips and formats of the
bundled photos (fixtures/photos: chelsea.png, coffee.png, rocket.jpg; licences in its README).

    .venv/bin/python scripts/reference/bench_photos.py OUT_DIR [--count 64] [--seed 0]

Photo i comes from source i % 3: a random crop keeping 60-100% of each side, scaled so its short
side is 240-640 pixels (PIL bicubic), mirrored with probability 1/2, and saved as JPEG (quality
90, 4:2:0) two times in three, else PNG. Deterministic for a seed (numpy's default_rng), so both
sides of the benchmark read the same bytes.
"""
import argparse
import os

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCES = ["chelsea.png", "coffee.png", "rocket.jpg"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out, exist_ok=True)
    sources = [Image.open(os.path.join(ROOT, "fixtures", "photos", s)).convert("RGB") for s in SOURCES]
    for i in range(args.count):
        im = sources[i % len(sources)]
        w, h = im.size
        cw, ch = int(w * rng.uniform(0.6, 1.0)), int(h * rng.uniform(0.6, 1.0))
        x, y = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        crop = im.crop((x, y, x + cw, y + ch))
        short = int(rng.integers(240, 641))
        s = short / min(cw, ch)
        crop = crop.resize((max(1, round(cw * s)), max(1, round(ch * s))), Image.BICUBIC)
        if rng.random() < 0.5:
            crop = crop.transpose(Image.FLIP_LEFT_RIGHT)
        name = f"photo{i:03d}_{SOURCES[i % len(SOURCES)].split('.')[0]}"
        if i % 3 == 2:
            crop.save(os.path.join(args.out, name + ".png"))
        else:
            crop.save(os.path.join(args.out, name + ".jpg"), quality=90)
    print(f"bench_photos: {args.count} photos in {args.out}")


if __name__ == "__main__":
    main()
