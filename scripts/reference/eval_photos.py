#!/usr/bin/env python3
"""Real photos with ImageNet labels and boxes, and EfficientNet-Lite0 as an embedding model.

    .venv/bin/python scripts/reference/eval_photos.py [--check DIR]

1. Copies the photos of PHOTOS byte for byte into fixtures/eval/photos/ and writes its
   manifest.json (the evaluation data contract, fixtures/eval/README.md): ImageNet class indices
   (the bundled models/efficientnet-lite0 order) and boxes in the photo's own pixels, x1/y1
   exclusive. Boxes come from the imgaug quokka annotation where it exists; every other box was
   drawn by hand for cfcam by reading the photo on a 50-px grid (each image's "note" says which).
   `--check DIR` also renders every box on its photo into DIR (how the boxes were checked).
2. Exports EfficientNet-Lite0's feature extractor without the classifier, from the same weights
   and code path as models/efficientnet-lite0 (scripts/reference/real_model.py `build()`, timm's
   tf_efficientnet_lite0, then `reset_classifier(0)`: the global-average-pooled 1280 features), to
   fixtures/eval/models/efficientnet_lite0_embed.onnx: input "input" [batch, 3, 224, 224], output
   "embedding" [batch, 1280], the bundled model's cfcam.preprocess and licence in metadata_props,
   and efficientnet_lite0_embed.io.npz (onnxruntime on chelsea and coffee; max |onnxruntime -
   torch| printed and asserted below 1e-4).
Prints the bundled classifier's top-1 per photo (onnxruntime) beside the manifest's label.
Sources: scripts/reference/eval_sources.py (scikit-image 0.26.0 and imgaug 0.4.0 wheels, Debian's
darknet package). Pinned versions: scripts/reference/requirements*.txt.
"""

import argparse
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import eval_sources  # noqa: E402

OUT = os.path.join(ROOT, "fixtures", "eval", "photos")
MODELS = os.path.join(ROOT, "fixtures", "eval", "models")
BUNDLED = os.path.join(ROOT, "models", "efficientnet-lite0", "efficientnet_lite0.onnx")
HAND = "box drawn by hand for cfcam"
# (source folder key, file, label, [(label, xyxy)], note)
PHOTOS = [
    ("skimage", "chelsea.png", 281, [(281, [0, 0, 385, 300])],
     f"Chelsea, a tabby cat (281 tabby); ImageNet's 282 tiger cat is a near-synonym; {HAND}: the cat"),
    ("skimage", "coffee.png", 967, [(967, [75, 15, 482, 388])], f"an espresso (967); {HAND}: cup and saucer"),
    ("skimage", "rocket.jpg", 657, [(657, [302, 125, 340, 412])],
     f"a Falcon 9 rocket on its pad (657 missile, ImageNet's closest class); {HAND}: the rocket"),
    ("skimage", "camera.png", 872, [(872, [228, 185, 408, 512])],
     f"the cameraman (grey); explained class 872 tripod; {HAND}: the tripod from its head to its feet"),
    ("imgaug", "quokka.jpg", 104, [(104, [148, 50, 550, 642])],
     "a quokka, a small macropod (104 wallaby, ImageNet's closest class); box from imgaug 0.4.0's "
     "quokka_annotations.json (x1, y1, x2, y2 = 148, 50, 550, 642)"),
    ("darknet", "dog.jpg", 249, [(249, [132, 220, 302, 542]), (671, [125, 138, 566, 420]), (717, [466, 72, 692, 170])],
     f"a dog of unknown breed, a road bicycle and a pickup truck; the dog is labelled 249 malamute (the bundled "
     f"model's top-1; the breed is not known), the bicycle 671 mountain bike (ImageNet's closest class), the truck "
     f"717 pickup; {HAND}: all three"),
    ("darknet", "eagle.jpg", 22, [(22, [132, 88, 600, 448])],
     f"a juvenile bald eagle (22; identified by us from its plumage); {HAND}: the bird"),
    ("darknet", "giraffe.jpg", 340, [(340, [248, 205, 420, 428])],
     f"a zebra (340) beside a giraffe (no ImageNet class, so not boxed); {HAND}: the zebra"),
]
SOURCE_NOTES = {
    "skimage": "scikit-image 0.26.0 wheel, skimage/data/",
    "imgaug": "imgaug 0.4.0 wheel, imgaug/quokka.jpg",
    "darknet": "Debian package darknet 0.0.0+git20180914.61c9d02e-2, /usr/share/darknet/data/",
}


def folders(base):
    return {"skimage": eval_sources.skimage_dir(base), "imgaug": eval_sources.imgaug_dir(base),
            "darknet": eval_sources.darknet_dir(base)}


def write_photos(base, check_dir):
    from PIL import Image, ImageDraw
    dirs = folders(base)
    os.makedirs(OUT, exist_ok=True)
    images = []
    for key, f, label, boxes, note in PHOTOS:
        shutil.copyfile(os.path.join(dirs[key], f), os.path.join(OUT, f))
        with Image.open(os.path.join(OUT, f)) as im:
            w, h = im.size
            for _, (x0, y0, x1, y1) in boxes:
                assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h, (f, x0, y0, x1, y1, w, h)
            if check_dir:
                os.makedirs(check_dir, exist_ok=True)
                c = im.convert("RGB")
                d = ImageDraw.Draw(c)
                for bl, (x0, y0, x1, y1) in boxes:
                    d.rectangle([x0, y0, x1 - 1, y1 - 1], outline=(255, 0, 0) if bl == label else (0, 160, 255), width=3)
                c.save(os.path.join(check_dir, os.path.splitext(f)[0] + ".boxes.png"))
        images.append({"file": f, "label": label, "boxes": [{"label": bl, "xyxy": b} for bl, b in boxes],
                       "note": f"{note}. Source: {SOURCE_NOTES[key]}"})
    manifest = {"name": "photos", "source": "packaged photos copied by scripts/reference/eval_photos.py; "
                "labels are ImageNet-1k class indices (models/efficientnet-lite0 order)", "images": images}
    with open(os.path.join(OUT, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)
        fh.write("\n")
    return manifest


def top1(manifest):
    import onnx
    import real_model as rm
    import timm_exports as tx
    m = onnx.load(BUNDLED, load_external_data=False)
    labels = next(e.value for e in m.metadata_props if e.key == "cfcam.labels").split("\n")
    for e in manifest["images"]:
        y = tx.run_ort(BUNDLED, rm.preprocess(os.path.join(OUT, e["file"])))[tx.OUTPUT_NAME][0]
        rank = int(np.sum(y > y[e["label"]])) + 1
        print(f"{e['file']}: label {e['label']} ({labels[e['label']]}) rank {rank}; top-1 {int(np.argmax(y))} "
              f"({labels[int(np.argmax(y))]})")


def export_embedding():
    import onnx
    import onnxruntime as ort
    import torch
    import real_model as rm
    import bundle_model as bm
    torch.set_num_threads(2)
    model = rm.build()
    model.reset_classifier(0)
    model.eval()
    x = np.concatenate([rm.preprocess(os.path.join(ROOT, "fixtures", "photos", p)) for p in ["chelsea.png", "coffee.png"]])
    path = os.path.join(MODELS, "efficientnet_lite0_embed.onnx")
    os.makedirs(MODELS, exist_ok=True)
    torch.onnx.export(model, (torch.from_numpy(x),), path, dynamo=False, opset_version=17, do_constant_folding=True,
                      input_names=["input"], output_names=["embedding"],
                      dynamic_axes={"input": {0: "batch"}, "embedding": {0: "batch"}})
    m = onnx.load(path)
    onnx.helper.set_model_props(m, {"cfcam.preprocess": json.dumps(bm.PREPROCESS, sort_keys=True),
                                    "cfcam.licence": bm.LICENCE + " Classifier removed (global-pooled features)."})
    m.producer_name = "cfcam scripts/reference/eval_photos.py"
    onnx.save(m, path)
    onnx.checker.check_model(path)
    with torch.no_grad():
        want = model(torch.from_numpy(x)).numpy()
    got = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    diff = float(np.abs(got - want).max())
    assert got.shape == (2, 1280), got.shape
    assert diff < 1e-4, diff
    np.savez_compressed(os.path.join(MODELS, "efficientnet_lite0_embed.io.npz"), input=x, embedding=got)
    print(f"efficientnet_lite0_embed: {os.path.getsize(path) / 1e6:.1f} MB, max |onnxruntime - torch| {diff:.2e}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sources", default=eval_sources.DEFAULT_DIR)
    ap.add_argument("--check", default=None, help="render the boxes on the photos into this folder")
    ap.add_argument("--no-embedding", action="store_true")
    args = ap.parse_args(argv)
    manifest = write_photos(args.sources, args.check)
    top1(manifest)
    if not args.no_embedding:
        export_embedding()


if __name__ == "__main__":
    main()
