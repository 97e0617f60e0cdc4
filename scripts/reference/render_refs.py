#!/usr/bin/env python3
"""Colormap tables and pytorch-grad-cam overlays: goldens for cfcam's Render code (Tests/ImporterTests/RenderTests).

Usage (from the repository root):
    .venv/bin/python scripts/reference/render_refs.py

Pinned: numpy 2.4.6, opencv-python-headless 4.13.0, matplotlib 3.11.2, grad-cam 1.5.7.

Writes
    fixtures/render/refs.npz                       (the goldens, below)
    Sources/Importers/Render/ColormapTables.swift  (the same six tables as hex strings, so the Swift
                                                    tables are exactly the goldens' by construction)

Tables ([256, 3] uint8, RGB; entry i is the colour of index i = uint8(255 * v)):
    jet      cv2.applyColorMap(arange(256), COLORMAP_JET), BGR -> RGB (what show_cam_on_image uses)
    turbo, viridis, inferno, bwr
             matplotlib colormaps[name](np.linspace(0, 1, 256))[:, :3], converted as round(255 * c).
             Rounding is what OpenCV's own tables do: COLORMAP_VIRIDIS and COLORMAP_TURBO equal these
             rounded tables entry for entry (the script checks it). matplotlib's `cmap(x, bytes=True)`
             truncates instead, which changes 220-229 entries of turbo/viridis/inferno and 38 of bwr.
    grey     entry i = (i, i, i)

Overlays: pytorch-grad-cam's own `show_cam_on_image(img, mask, use_rgb=True, colormap, image_weight=1-alpha)`,
imported from the installed package. Its module imports scipy (for a function not used here) and the
package __init__ imports scikit-learn; when they are missing they are replaced by stubs that raise if
called. `tvshim` is imported first because the package imports torchvision. For viridis the colormap
argument is the matplotlib table above given to OpenCV as a user LUT (applyColorMap accepts a 256x1x3
uint8 table), so the overlay uses exactly the viridis table cfcam ships.
    image          [17, 29, 3] uint8, seeded (width 29, height 17); img_float = float32(image) / 255
    grey           [17, 29] uint8, seeded; overlays replicate it to RGB
    mask           [17, 29] float32 in [0, 1], seeded; a third of its entries are float32(k / 255),
                   exact index boundaries (255 * float32(k / 255) lands on k in float32, one ulp from k - 1)
    raw            [17, 29] float32, signed, seeded; raw_scaled = pytorch-grad-cam's scale_cam_image([raw])[0]
    overlay_<cmap>_<a>   show_cam_on_image(img_float, mask, alpha a/100) for cmap in jet, viridis; a in 50, 30
    overlay_minmax_jet_50  the same with mask = raw_scaled
    overlay_grey_jet_50    the grey image (replicated) with mask, jet, alpha 0.5
"""
import importlib.machinery
import importlib.util
import os
import sys
import types

import cv2
import matplotlib
import numpy as np
from importlib.metadata import version

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

PINS = {"numpy": "2.4.6", "opencv-python-headless": "4.13.0", "matplotlib": "3.11.2", "grad-cam": "1.5.7"}
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


_STUBBABLE = ["scipy", "scipy.ndimage", "scipy.sparse", "scipy.sparse.linalg", "sklearn", "sklearn.decomposition"]
_MISSING = {m.split(".")[0] for m in _STUBBABLE if importlib.util.find_spec(m.split(".")[0]) is None}
for m in _STUBBABLE:
    if m.split(".")[0] in _MISSING:
        stub = _StubModule(m)
        stub.__spec__ = importlib.machinery.ModuleSpec(m, None)  # torch._dynamo calls find_spec on it
        sys.modules[m] = stub

sys.path.insert(0, HERE)
import tvshim  # noqa: E402,F401  (torchvision 0.28's op schemas on torch 2.13+cpu; pytorch-grad-cam imports torchvision)
from pytorch_grad_cam.utils.image import scale_cam_image, show_cam_on_image  # noqa: E402

W, H = 29, 17


def mpl_table(name, conv=lambda c: np.round(255 * c)):
    c = matplotlib.colormaps[name](np.linspace(0, 1, 256))[:, :3]
    return conv(c).astype(np.uint8)


def cv_table(code):
    return cv2.applyColorMap(np.arange(256, dtype=np.uint8).reshape(256, 1), code)[:, 0, ::-1].copy()


def main():
    tables = {
        "jet": cv_table(cv2.COLORMAP_JET),
        "turbo": mpl_table("turbo"),
        "viridis": mpl_table("viridis"),
        "inferno": mpl_table("inferno"),
        "bwr": mpl_table("bwr"),
        "grey": np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, axis=1),
    }
    for name in ["turbo", "viridis", "inferno", "bwr"]:
        trunc = mpl_table(name, conv=lambda c: np.floor(255 * c))
        print(f"{name}: round vs matplotlib bytes=True (truncation): {(trunc != tables[name]).any(axis=1).sum()} entries differ")
    for name, code in [("viridis", cv2.COLORMAP_VIRIDIS), ("turbo", cv2.COLORMAP_TURBO)]:
        d = np.abs(cv_table(code).astype(int) - tables[name].astype(int))
        print(f"{name}: OpenCV vs matplotlib(round): max diff {d.max()}, {(d > 0).any(axis=1).sum()} entries differ")
        assert d.max() == 0, f"OpenCV's {name} is no longer matplotlib's rounded table"

    rng = np.random.default_rng(20260603)
    image = rng.integers(0, 256, size=(H, W, 3), dtype=np.uint8)
    grey = rng.integers(0, 256, size=(H, W), dtype=np.uint8)
    mask = rng.random((H, W), dtype=np.float32)
    pick = rng.random((H, W)) < 1 / 3
    mask[pick] = (rng.integers(0, 256, size=int(pick.sum())) / 255).astype(np.float32)
    mask[0, 0], mask[0, 1] = 0.0, 1.0
    raw = (rng.standard_normal((H, W)) * 3 - 1).astype(np.float32)
    raw_scaled = scale_cam_image(raw[None])[0]

    def overlay(img_u8, m, table, alpha):
        lut = table[:, ::-1].reshape(256, 1, 3).copy()  # RGB table -> OpenCV's BGR user LUT
        if table is tables["jet"]:
            assert (cv2.applyColorMap(np.arange(256, dtype=np.uint8).reshape(256, 1), lut)
                    == cv2.applyColorMap(np.arange(256, dtype=np.uint8).reshape(256, 1), cv2.COLORMAP_JET)).all()
            colormap = cv2.COLORMAP_JET
        else:
            colormap = lut
        img = np.float32(img_u8) / 255
        return show_cam_on_image(img, m, use_rgb=True, colormap=colormap, image_weight=1 - alpha)

    out = {f"table_{k}": v for k, v in tables.items()}
    out.update(image=image, grey=grey, mask=mask, raw=raw, raw_scaled=raw_scaled)
    for cm in ["jet", "viridis"]:
        for a in [50, 30]:
            out[f"overlay_{cm}_{a}"] = overlay(image, mask, tables[cm], a / 100)
    out["overlay_minmax_jet_50"] = overlay(image, raw_scaled, tables["jet"], 0.5)
    out["overlay_grey_jet_50"] = overlay(np.repeat(grey[:, :, None], 3, axis=2), mask, tables["jet"], 0.5)
    for k, v in out.items():
        assert v.dtype in (np.uint8, np.float32), (k, v.dtype)
    os.makedirs(os.path.join(ROOT, "fixtures", "render"), exist_ok=True)
    np.savez(os.path.join(ROOT, "fixtures", "render", "refs.npz"), **out)

    lines = [
        "// Generated by scripts/reference/render_refs.py; do not edit.",
        "// Each string is 256 RGB entries, 2 hex digits per 8-bit sample (768 bytes): jet is OpenCV's",
        "// COLORMAP_JET as cv2.applyColorMap returns it; turbo, viridis, inferno and bwr are matplotlib's",
        "// 256-entry maps sampled at linspace(0, 1, 256) and rounded (round(255 * c)); grey is (i, i, i).",
        "",
        "enum ColormapTables {",
    ]
    for k in ["jet", "turbo", "viridis", "inferno", "bwr", "grey"]:
        hexs = tables[k].tobytes().hex()
        lines.append(f"    static let {k} = \"\"\"")
        for i in range(0, len(hexs), 96):
            lines.append("        " + hexs[i:i + 96])
        lines.append("        \"\"\"")
    lines.append("}")
    with open(os.path.join(ROOT, "Sources", "Importers", "Render", "ColormapTables.swift"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote fixtures/render/refs.npz and Sources/Importers/Render/ColormapTables.swift")


if __name__ == "__main__":
    main()
