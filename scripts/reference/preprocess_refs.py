#!/usr/bin/env python3
"""Golden inputs for cfcam's image preprocessing (torchvision transforms on PIL images, Keras-style
presets computed with PIL + numpy).

Seeded 8-bit images of odd sizes (RGB 331x257, RGB 97x150, grey 120x91, RGB 20x15 for upscaling;
sizes are W x H) are stored as uint8 (H, W, C) arrays `img_<name>`. Each case stores the expected
float32 tensor `out_<case>` (C, H, W) and its recipe in `manifest.json`:

  image        which img_<name> it reads
  channels     the model's channel count (1: convert("L"); 3 from grey: convert("RGB"))
  resize       int (short side, torchvision Resize(int)) or [h, w] or null
  crop         int or [h, w] or null (torchvision CenterCrop, zero padding when larger)
  interpolation nearest | bilinear | bicubic
  scale, mean, std, bgr   as cfcam's PreprocessSpec: ((x / scale) - mean) / std, BGR reversed first

torchvision cases run Resize + CenterCrop + ToTensor + Normalize exactly as a classifier's eval
transform. The full-size case (Resize(256) + CenterCrop(224)) is stored as the uint8 crop
(PILToTensor; scale 1, mean 0, std 1) to keep the file small: ToTensor would only divide it by 255.
Keras-style cases ('inception': x / 127.5 - 1 after PIL resize to s x s; 'caffe': RGB->BGR then
minus the BGR mean) are computed with PIL + numpy, as keras.applications' preprocess_input does.
One 16-bit case: a grey uint16 image `img16_grey16` mapped to v * 255 / 65535 as a PIL "F" image,
resized bilinearly with PIL, / 255.

Versions: pillow 13.0.0, torchvision 0.28.0, torch 2.13.0+cpu, numpy 2.4.6 (the reference venv).
Usage: preprocess_refs.py [--out fixtures/preprocess]   (writes refs.npz and manifest.json)
"""

import argparse
import json
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tvshim  # noqa: E402,F401  (must precede torchvision)
import torch  # noqa: E402
from torchvision import transforms as T  # noqa: E402
from torchvision.transforms import InterpolationMode as IM  # noqa: E402

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
CAFFE_MEAN = [103.939, 116.779, 123.68]
MODES = {"nearest": IM.NEAREST, "bilinear": IM.BILINEAR, "bicubic": IM.BICUBIC}
PIL_MODES = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}


def make_images(rng):
    """Noise on smooth gradients (hard for resampling, still compressible enough)."""
    def rgb(w, h, noise):
        yy, xx = np.mgrid[0:h, 0:w]
        base = np.stack([xx * 255.0 / w, yy * 255.0 / h, (xx + yy) * 127.0 / (w + h)], axis=-1)
        n = rng.integers(-noise, noise + 1, size=(h, w, 3))
        return np.clip(base + n, 0, 255).astype(np.uint8)
    grey = rng.integers(0, 256, size=(91, 120, 1)).astype(np.uint8)
    return {
        "a": rgb(331, 257, 24),
        "b": rng.integers(0, 256, size=(150, 97, 3)).astype(np.uint8),
        "grey": grey,
        "up": rng.integers(0, 256, size=(15, 20, 3)).astype(np.uint8),
    }


def pil(arr, channels):
    im = Image.fromarray(arr[:, :, 0], "L") if arr.shape[2] == 1 else Image.fromarray(arr, "RGB")
    return im.convert("L" if channels == 1 else "RGB")


def size_arg(s):
    return s if s is None or isinstance(s, int) else tuple(s)


def torchvision_case(arr, c):
    steps = []
    if c["resize"] is not None:
        steps.append(T.Resize(size_arg(c["resize"]), interpolation=MODES[c["interpolation"]]))
    if c["crop"] is not None:
        steps.append(T.CenterCrop(size_arg(c["crop"])))
    if c.get("uint8"):
        steps.append(T.PILToTensor())
        out = T.Compose(steps)(pil(arr, c["channels"]))
        assert out.dtype == torch.uint8
        return out.numpy()
    steps += [T.ToTensor(), T.Normalize(c["mean"], c["std"])]
    return T.Compose(steps)(pil(arr, c["channels"])).numpy().astype(np.float32)


def keras_case(arr, c):
    """PIL resize (exact or short side + centre crop as torchvision), then numpy arithmetic."""
    im = pil(arr, c["channels"])
    if isinstance(c["resize"], list):
        im = im.resize((c["resize"][1], c["resize"][0]), PIL_MODES[c["interpolation"]])
    elif c["resize"] is not None:
        im = T.Resize(c["resize"], interpolation=MODES[c["interpolation"]])(im)
    if c["crop"] is not None:
        im = T.CenterCrop(c["crop"])(im)
    x = np.asarray(im, dtype=np.float32)
    if x.ndim == 2:
        x = x[:, :, None]
    if c["bgr"]:
        x = x[:, :, ::-1]
    x = (x / np.float32(c["scale"]) - np.asarray(c["mean"], np.float32)) / np.asarray(c["std"], np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1)).astype(np.float32)


def tv(name, image, resize, crop, interp, channels=3, mean=IMAGENET_MEAN, std=IMAGENET_STD, **kw):
    return dict(name=name, kind="torchvision", image=image, channels=channels, resize=resize, crop=crop,
                interpolation=interp, scale=255.0, mean=mean, std=std, bgr=False, **kw)


def keras(name, image, resize, crop, scale, mean, std, bgr, channels=3, interp="bilinear"):
    return dict(name=name, kind="keras", image=image, channels=channels, resize=resize, crop=crop,
                interpolation=interp, scale=scale, mean=mean, std=std, bgr=bgr)


CASES = [
    tv("bilinear_a", "a", 64, 56, "bilinear"),
    tv("bicubic_a", "a", 64, 56, "bicubic"),
    tv("nearest_a", "a", 64, 56, "nearest"),
    tv("bilinear_b", "b", 64, 56, "bilinear"),
    tv("bicubic_b", "b", 64, 56, "bicubic"),
    tv("nearest_b", "b", 64, 56, "nearest"),
    tv("exact_tie_b", "b", [61, 75], 56, "bilinear"),        # crop offsets round(2.5)=2, round(9.5)=10
    tv("rect_crop_b", "b", 50, [40, 30], "bicubic"),
    tv("vfirst_bicubic_b", "b", [50, 90], None, "bicubic"),   # Pillow 13 runs the vertical pass first here
    tv("upscale_bicubic", "up", 64, 56, "bicubic"),           # upscaling: bicubic overshoot is clipped
    tv("upscale_pad", "up", 32, 40, "bilinear"),              # crop larger than the image: zero padding
    tv("nearest_up", "up", [33, 47], None, "nearest"),
    tv("grey_to_rgb", "grey", 48, 40, "bilinear"),
    tv("rgb_to_grey", "b", 48, 40, "bicubic", channels=1, mean=[0.5], std=[0.25]),
    tv("full_a", "a", 256, 224, "bilinear", mean=[0.0], std=[1.0], uint8=True),
    keras("inception_b", "b", [56, 56], None, 127.5, [1.0], [1.0], False),
    keras("caffe_a", "a", 64, 56, 1.0, CAFFE_MEAN, [1.0], True),
    keras("unit_grey", "grey", [40, 40], None, 255.0, [0.0], [1.0], False, channels=1),
    keras("none_b", "b", [40, 40], None, 1.0, [0.0], [1.0], False),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="fixtures/preprocess")
    args = ap.parse_args()
    rng = np.random.default_rng(20261203)
    images = make_images(rng)
    arrays = {f"img_{k}": v for k, v in images.items()}
    manifest = []
    for c in CASES:
        fn = torchvision_case if c["kind"] == "torchvision" else keras_case
        out = fn(images[c["image"]], c)
        if c.get("uint8"):
            c = dict(c, scale=1.0)
        arrays[f"out_{c['name']}"] = out
        manifest.append(c)

    # 16-bit grey: PIL "F" resampling of v * 255 / 65535, then / 255.
    g16 = rng.integers(0, 65536, size=(37, 53), dtype=np.uint16)
    f = (g16.astype(np.float64) * 255.0 / 65535.0).astype(np.float32)
    r = np.asarray(Image.fromarray(f, "F").resize((30, 24), Image.BILINEAR), dtype=np.float32)
    arrays["img16_grey16"] = g16[:, :, None]
    arrays["out_grey16_bilinear"] = (r / np.float32(255.0))[None].astype(np.float32)
    manifest.append(dict(name="grey16_bilinear", kind="pil-float", image="grey16", channels=1, resize=[24, 30],
                         crop=None, interpolation="bilinear", scale=255.0, mean=[0.0], std=[1.0], bgr=False))

    os.makedirs(args.out, exist_ok=True)
    np.savez_compressed(os.path.join(args.out, "refs.npz"), **arrays)
    with open(os.path.join(args.out, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)
        fh.write("\n")
    for c in manifest:
        print(c["name"], arrays[f"out_{c['name']}"].shape)


if __name__ == "__main__":
    main()
