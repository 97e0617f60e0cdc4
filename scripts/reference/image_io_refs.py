"""Image decoding goldens for Tests/ImporterTests/ImageIO*Tests.swift.

    /work/main/.venv/bin/python scripts/reference/image_io_refs.py

Pinned: Pillow 13.0.0 (bundled libjpeg-turbo, libwebp 1.6.0), numpy 2.4.6, opencv 4.13.0; seed 37.
Writes fixtures/image-io/:
  *.png   37x23 images written by the minimal PNG writer below (so every colour type and bit depth,
          Adam7 interlacing, palettes with tRNS and a gAMA chunk can be produced exactly):
          g1 g2 g4 g8 g16 ga8 ga16 rgb8 rgb16 rgba8 rgba16 p4 p8 p8_trns rgb8_gamma rgb8_adam7 g16_adam7
          Their expected pixels are the arrays written (grey bit depths < 8 scaled to 0..255, alpha
          and transparency dropped, no gamma applied) and are cross-checked here against PIL
          (8-bit modes, I;16) and OpenCV (16-bit colour and grey+alpha, which PIL reads only as
          8 bits; there PIL's 8-bit result is checked to be the top byte).
  *.jpg   written by PIL: rgb420 (q90, 4:2:0), rgb444 (q90, 4:4:4), grey (q90), progressive (4:2:0),
          orient1..orient8 (EXIF orientation, little-endian TIFF), orient6_mm / orient7_mm
          (big-endian TIFF), cmyk (8x8, must be refused). Expected: PIL's decoding after
          ImageOps.exif_transpose.
  *.webp  written by PIL: lossless_rgb, lossless_rgba (alpha dropped), lossy_rgb (q80).
          Expected: PIL's decoding, convert('RGB').
  refs.npz  one uint8/uint16 array per file stem, shape (h, w) for grey or (h, w, 3); plus
          enc_rgb8_q95 / enc_rgb8_q75 / enc_g8_q95: rgb8.png / g8.png encoded by PIL as JPEG
          (q95 4:4:4, q75 4:2:0, q95 grey) and decoded again, the encoder's golden.
"""
import io
import os
import struct
import zlib

import cv2
import numpy as np
from PIL import Image, ImageOps

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "image-io")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(37)
H, W = 23, 37
yy, xx = np.mgrid[0:H, 0:W]


def noisy(scale, channels, noise):
    """A gradient (different per channel) with seeded noise, clipped to 0..scale."""
    base = [xx / (W - 1), yy / (H - 1), (xx + yy) / (W + H - 2)]
    planes = [np.clip(base[c % 3] * scale + rng.normal(0, noise * scale, (H, W)), 0, scale) for c in range(channels)]
    return np.rint(np.stack(planes, axis=-1)).astype(np.uint16 if scale > 255 else np.uint8)


# ---- minimal PNG writer ----------------------------------------------------------------------
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def raw_rows(a, bits):
    """Filter-type-0 scanlines of `a` (h, w, samples) at `bits` per sample."""
    out = b""
    for row in a:
        flat = row.reshape(-1)
        if bits == 16:
            data = flat.astype(">u2").tobytes()
        elif bits == 8:
            data = flat.astype(np.uint8).tobytes()
        else:
            per = 8 // bits
            pad = (-len(flat)) % per
            v = np.concatenate([flat.astype(np.uint8), np.zeros(pad, np.uint8)]).reshape(-1, per)
            shifts = np.array([8 - bits * (i + 1) for i in range(per)], np.uint8)
            data = np.bitwise_or.reduce(v << shifts, axis=1).astype(np.uint8).tobytes()
        out += b"\x00" + data
    return out


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def write_png(name, a, color_type, bits, palette=None, trns=None, gamma=None, interlace=False):
    if a.ndim == 2:
        a = a[..., None]
    h, w = a.shape[:2]
    body = chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bits, color_type, 0, 0, 1 if interlace else 0))
    if gamma is not None:
        body += chunk(b"gAMA", struct.pack(">I", gamma))
    if palette is not None:
        body += chunk(b"PLTE", palette.astype(np.uint8).tobytes())
    if trns is not None:
        body += chunk(b"tRNS", bytes(trns))
    if interlace:
        raw = b"".join(raw_rows(a[y0::dy, x0::dx], bits) for x0, y0, dx, dy in ADAM7
                       if a[y0::dy, x0::dx].size)
    else:
        raw = raw_rows(a, bits)
    body += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(os.path.join(OUT, name + ".png"), "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + body)


refs = {}

# Grey, low bit depths: expected values scaled to 0..255 as libpng and PIL do.
for bits, mult in [(1, 255), (2, 85), (4, 17)]:
    v = (noisy(255, 1, 0.2)[..., 0].astype(np.int32) >> (8 - bits)).astype(np.uint8)
    write_png(f"g{bits}", v, 0, bits)
    refs[f"g{bits}"] = (v * mult).astype(np.uint8)
g8 = noisy(255, 1, 0.1)[..., 0]
write_png("g8", g8, 0, 8); refs["g8"] = g8
g16 = noisy(65535, 1, 0.1)[..., 0]
write_png("g16", g16, 0, 16); refs["g16"] = g16
write_png("g16_adam7", g16, 0, 16, interlace=True); refs["g16_adam7"] = g16
alpha8 = noisy(255, 1, 0.3)[..., 0]
write_png("ga8", np.stack([g8, alpha8], -1), 4, 8); refs["ga8"] = g8
alpha16 = noisy(65535, 1, 0.3)[..., 0]
write_png("ga16", np.stack([g16, alpha16], -1), 4, 16); refs["ga16"] = g16
rgb8 = noisy(255, 3, 0.1)
write_png("rgb8", rgb8, 2, 8); refs["rgb8"] = rgb8
write_png("rgb8_gamma", rgb8, 2, 8, gamma=45455); refs["rgb8_gamma"] = rgb8
write_png("rgb8_adam7", rgb8, 2, 8, interlace=True); refs["rgb8_adam7"] = rgb8
rgb16 = noisy(65535, 3, 0.1)
write_png("rgb16", rgb16, 2, 16); refs["rgb16"] = rgb16
write_png("rgba8", np.concatenate([rgb8, alpha8[..., None]], -1), 6, 8); refs["rgba8"] = rgb8
write_png("rgba16", np.concatenate([rgb16, alpha16[..., None]], -1), 6, 16); refs["rgba16"] = rgb16
for name, bits, n, trns in [("p4", 4, 16, None), ("p8", 8, 200, None), ("p8_trns", 8, 200, list(range(0, 250, 5)))]:
    pal = rng.integers(0, 256, (n, 3), dtype=np.uint8)
    idx = rng.integers(0, n, (H, W)).astype(np.uint8)
    write_png(name, idx, 3, bits, palette=pal, trns=trns)
    refs[name] = pal[idx]

# Cross-checks: PIL for what it reads at full precision, OpenCV for 16-bit colour.
for name, want in refs.items():
    im = Image.open(os.path.join(OUT, name + ".png"))
    if want.dtype == np.uint8:
        got = np.array(im.convert("RGB" if want.ndim == 3 else "L"))
        assert np.array_equal(got, want), name
    elif im.mode == "I;16":
        assert np.array_equal(np.array(im), want), name
    else:  # PIL reduces these to 8 bits (>> 8); OpenCV keeps 16 (BGR, alpha last)
        got = cv2.imread(os.path.join(OUT, name + ".png"), cv2.IMREAD_UNCHANGED)
        got = got[..., 2::-1] if want.ndim == 3 else (got[..., 0] if got.ndim == 3 else got)
        assert got.dtype == np.uint16 and np.array_equal(got, want), name
        pil = np.array(im.convert("RGB" if want.ndim == 3 else "L"))
        assert np.array_equal(pil, (want >> 8).astype(np.uint8)), name


# ---- JPEG ------------------------------------------------------------------------------------
def exif_bytes(orientation, big_endian=False):
    """APP1 payload: "Exif\\0\\0" + a TIFF header + IFD0 holding only tag 0x0112 (SHORT)."""
    e = ">" if big_endian else "<"
    tiff = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, 8)
    tiff += struct.pack(e + "H", 1) + struct.pack(e + "HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(e + "I", 0)
    return b"Exif\x00\x00" + tiff


def save_jpeg(name, im, **kw):
    path = os.path.join(OUT, name + ".jpg")
    im.save(path, "JPEG", **kw)
    back = ImageOps.exif_transpose(Image.open(path))
    refs[name] = np.array(back.convert("L" if im.mode == "L" else "RGB"))
    return refs[name]


photo = Image.fromarray(noisy(255, 3, 0.08), "RGB")
save_jpeg("rgb420", photo, quality=90, subsampling=2)
save_jpeg("rgb444", photo, quality=90, subsampling=0)
save_jpeg("grey", Image.fromarray(noisy(255, 1, 0.08)[..., 0], "L"), quality=90)
save_jpeg("progressive", photo, quality=90, subsampling=2, progressive=True)
for o in range(1, 9):
    got = save_jpeg(f"orient{o}", photo, quality=90, exif=exif_bytes(o))
    assert got.shape[:2] == ((W, H) if o >= 5 else (H, W)), (o, got.shape)
for o in (6, 7):
    got = save_jpeg(f"orient{o}_mm", photo, quality=90, exif=exif_bytes(o, big_endian=True))
    assert got.shape[:2] == (W, H), o
Image.new("CMYK", (8, 8), (10, 20, 30, 40)).save(os.path.join(OUT, "cmyk.jpg"), "JPEG")

# ---- WebP ------------------------------------------------------------------------------------
rgba = Image.fromarray(np.concatenate([noisy(255, 3, 0.1), noisy(255, 1, 0.3)], -1), "RGBA")
for name, im, kw in [("lossless_rgb", photo, dict(lossless=True)),
                     ("lossless_rgba", rgba, dict(lossless=True, exact=True)),
                     ("lossy_rgb", photo, dict(quality=80))]:
    path = os.path.join(OUT, name + ".webp")
    im.save(path, "WEBP", **kw)
    refs[name] = np.array(Image.open(path).convert("RGB"))
assert np.array_equal(refs["lossless_rgb"], np.array(photo))
assert np.array_equal(refs["lossless_rgba"], np.array(rgba.convert("RGB")))

# ---- JPEG encoder goldens: PIL's encode + decode of the PNG fixtures, at the settings cfcam's
# encoder uses (accurate DCT; 4:4:4 at quality >= 90, 4:2:0 below; grey as one component).
for name, src, q, ss in [("enc_rgb8_q95", "rgb8", 95, 0), ("enc_rgb8_q75", "rgb8", 75, 2), ("enc_g8_q95", "g8", 95, -1)]:
    buf = io.BytesIO()
    Image.open(os.path.join(OUT, src + ".png")).save(buf, "JPEG", quality=q, subsampling=ss)
    refs[name] = np.array(Image.open(buf))

np.savez_compressed(os.path.join(OUT, "refs.npz"), **refs)
print(f"{len(refs)} references written to {os.path.normpath(OUT)}")
