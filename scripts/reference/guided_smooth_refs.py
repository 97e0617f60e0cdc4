#!/usr/bin/env python3
"""pytorch-grad-cam 1.5.7 references for cfcam's augmentation smoothing, eigen smoothing, guided
backpropagation and Guided Grad-CAM (Tests/MethodsTests/GuidedAndSmoothingTests.swift).

Same seeded torchvision squeezenet1_1 (the torch twin of fixtures/models/squeezenet1_1_op17.onnx),
batch-2 input and layer (`features`) as fixtures/cam/generate.py, whose helpers this imports; every
case uses explicit targets: ClassifierOutputTarget(top-1 class of the un-augmented image).

Cases:
- `gradcam.aug`: GradCAM(..)(x, targets, aug_smooth=True): ttach Compose([HorizontalFlip(),
  Multiply([0.9, 1, 1.1])]) = 6 augmentations of the input tensor, each map de-augmented, then the
  float32 mean (no min-max afterwards).
- `gradcam.eigen`, `gradcam++.eigen`: eigen_smooth=True (first principal component of w_k * A_k).
  pytorch-grad-cam's `get_2d_projection` keeps LAPACK's arbitrary SVD sign; base_cam's name for it
  is monkeypatched with the library's own `get_2d_projection_with_sign_correction` (negate when
  |min| > |max|), the rule cfcam uses for Eigen-CAM and eigen smoothing.
- `guidedbackprop`: GuidedBackpropReLUModel(model)(x[b:b+1], target_category=c_b) per image (the
  library explains row 0 only), transposed back to [C, H, W]. Run in float64 on the float32
  weights and input (the exact gradient; the library's code is dtype-generic), like
  scripts/reference/export_gradients.py, so the ReLU masks follow the exact forward.
- `guidedgradcam`: pytorch-grad-cam's cam.py product before `deprocess_image`: the float32 Grad-CAM
  map times the guided gradient, per channel. To keep the file small the product itself is not
  stored: `guidedgradcam.cam` holds the Grad-CAM map (uint16) and the test forms the product with
  `guidedbackprop` exactly as cam.py does (`cv2.merge([cam] * 3) * gb`); this script checks that the
  stored pieces reproduce the float32 product to 2e-5 of its max.

Storage (small): maps as uint16 round(map * 65535) (error <= 7.7e-6); gradients as int16
round(g / s_b) with s_b = max|g_b| / 32767 per image in `CASE.scale` (error <= 1.6e-5 of max).
`targets` holds the classes, `layer` (uint8 text) the ONNX value of `features`.

Usage (from the repository root; grad-cam==1.5.7, ttach==0.0.3 as for fixtures/cam/generate.py):
    .venv/bin/python scripts/reference/guided_smooth_refs.py
writes fixtures/cam-extra/squeezenet1_1.npz.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "fixtures", "cam"))
import generate as camgen  # noqa: E402  (stubs plotting / scipy / sklearn imports, imports pytorch_grad_cam)
import numpy as np  # noqa: E402
import torch  # noqa: E402
import pytorch_grad_cam as pgc  # noqa: E402
import pytorch_grad_cam.base_cam as base_cam  # noqa: E402
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget  # noqa: E402
from pytorch_grad_cam.utils.svd_on_activations import get_2d_projection_with_sign_correction  # noqa: E402
from pytorch_grad_cam.guided_backprop import GuidedBackpropReLUModel  # noqa: E402

NAME = "squeezenet1_1"
MODEL = os.path.join(ROOT, "fixtures/models/squeezenet1_1_op17.onnx")
OUT = os.path.join(ROOT, "fixtures/cam-extra/squeezenet1_1.npz")

# eigen_smooth=True calls base_cam's `get_2d_projection`; use the sign-corrected projection instead.
base_cam.get_2d_projection = get_2d_projection_with_sign_correction


def cam_map(cls, model, layer, x, targets, **flags):
    model.zero_grad()
    cam = cls(model=model, target_layers=[camgen.module(model, layer)])
    with cam:
        out = cam(input_tensor=torch.from_numpy(x.copy()), targets=targets, **flags)
    return np.ascontiguousarray(out, dtype=np.float32)


def guided_backprop(model, x, classes):
    """d z_c / d x with guided ReLUs, per image, float64; [N, C, H, W]."""
    gb = GuidedBackpropReLUModel(model=model.double(), device="cpu")
    rows = []
    for b, c in enumerate(classes):
        xb = torch.from_numpy(x[b:b + 1].astype(np.float64))
        rows.append(gb(xb, target_category=int(c)).transpose(2, 0, 1))
    model.float()
    return np.stack(rows)


def main():
    torch.set_num_threads(2)
    x = camgen.em.reference_input()
    model = camgen.em.build_model(NAME)
    layer = camgen.LAYERS[NAME][0]
    value = camgen.onnx_value(MODEL, layer)
    camgen.check_value(MODEL, value, model, layer, x)
    with torch.no_grad():
        top = model(torch.from_numpy(x)).argmax(1).numpy()
    targets = [ClassifierOutputTarget(int(c)) for c in top]
    out = {"targets": top.astype(np.int64), "layer": camgen.text(value)}

    def save_map(case, m):
        assert m.min() >= 0 and m.max() <= 1, case
        out[f"{case}.map"] = np.round(m.astype(np.float64) * 65535).astype(np.uint16)
        print(f"{case}: {m.shape} min {m.min():.4f} max {m.max():.4f} mean {m.mean():.4f}", flush=True)

    def save_signed(case, g):
        g = g.astype(np.float64)
        scale = np.abs(g).reshape(g.shape[0], -1).max(axis=1) / 32767
        out[f"{case}.values"] = np.round(g / scale[:, None, None, None]).astype(np.int16)
        out[f"{case}.scale"] = scale.astype(np.float64)
        print(f"{case}: {g.shape} max|g| {np.abs(g).max():.4g} zeros {np.mean(g == 0):.3f}", flush=True)

    save_map("gradcam.aug", cam_map(pgc.GradCAM, model, layer, x, targets, aug_smooth=True))
    save_map("gradcam.eigen", cam_map(pgc.GradCAM, model, layer, x, targets, eigen_smooth=True))
    save_map("gradcam++.eigen", cam_map(pgc.GradCAMPlusPlus, model, layer, x, targets, eigen_smooth=True))
    grayscale = cam_map(pgc.GradCAM, model, layer, x, targets)
    gb = guided_backprop(model, x, top)
    save_signed("guidedbackprop", gb)
    # cam.py: cam_mask = cv2.merge([grayscale_cam] * 3) (H, W, 3); cam_gb = cam_mask * gb (H, W, 3).
    product = np.stack([(np.stack([grayscale[b]] * 3, axis=-1) * gb[b].transpose(1, 2, 0).astype(np.float32))
                        .transpose(2, 0, 1) for b in range(x.shape[0])])
    save_map("guidedgradcam.cam", grayscale)
    rebuilt = (out["guidedgradcam.cam.map"].astype(np.float64) / 65535)[:, None] \
        * out["guidedbackprop.values"] * out["guidedbackprop.scale"][:, None, None, None]
    err = np.abs(rebuilt - product).max() / np.abs(product).max()
    print(f"guidedgradcam: {product.shape} rebuilt from the stored pieces to {err:.2e} of max", flush=True)
    assert err < 2e-5
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    np.savez_compressed(OUT, **out)
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
