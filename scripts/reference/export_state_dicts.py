"""torchvision state_dicts as .npz, for cfcam's built-in architectures (`ARCH:WEIGHTS.npz`).

Usage (from the repository root):
    .venv/bin/python scripts/reference/export_state_dicts.py --out fixtures/cache

For every architecture that export_models.py also exports to ONNX, the state_dict of the *same*
seeded model is written as `<arch>.state_dict.npz`, so a test can check that the built-in
architecture reproduces the onnxruntime outputs recorded for the ONNX path (`<arch>_op17.io.npz`).
For the other built-in architectures the issue asks for (no ONNX export), the state_dict is
written with PyTorch's own eval-mode outputs as `<arch>.torch.io.npz` (same input as the ONNX
references). Files that exist are kept.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_models as em  # noqa: E402  (imports tvshim, torch, torchvision)
import numpy as np  # noqa: E402
import torch  # noqa: E402

# Built-in architectures that export_models.py also exports to ONNX.
WITH_ONNX = ["resnet18", "resnet50", "vgg16_bn", "densenet121", "mobilenet_v2", "squeezenet1_1"]
# Built-in architectures checked against PyTorch directly.
TORCH_ONLY = ["resnet34", "vgg11", "vgg11_bn", "vgg16", "alexnet"]


def save_state_dict(model: torch.nn.Module, path: str) -> None:
    state = {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}
    np.savez(path, **state)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    x = torch.from_numpy(em.reference_input())
    for name in WITH_ONNX + TORCH_ONLY:
        sd_path = os.path.join(args.out, f"{name}.state_dict.npz")
        io_path = os.path.join(args.out, f"{name}.torch.io.npz")
        need_io = name in TORCH_ONLY and not os.path.exists(io_path)
        if os.path.exists(sd_path) and not need_io:
            continue
        if name not in em.MODELS:
            em.MODELS[name] = {}
        model = em.build_model(name)
        save_state_dict(model, sd_path)
        if name in TORCH_ONLY:
            with torch.no_grad():
                logits = model(x).numpy()
            np.savez(io_path, **{em.INPUT_NAME: x.numpy(), em.OUTPUT_NAME: logits})
        print(f"{name}: state_dict -> {sd_path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
