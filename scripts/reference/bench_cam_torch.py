"""pytorch-grad-cam timing baseline (grad-cam 1.5.7, torch 2.13 CPU) for scripts/bench-methods.sh.

    .venv/bin/python scripts/reference/bench_cam_torch.py --model resnet50 --method gradcam --threads 2 --runs 5

Builds the same seeded torchvision model as export_models.py, runs the method on one seeded
224x224 image (top-1 target, pytorch-grad-cam's default) after a warm-up call, and prints
`median_ms=<x>`. Layers: resnet `layer4`; `--model tf_efficientnet_lite0` (timm) `--layer bn2`. Score-CAM uses pytorch-grad-cam's default batch size.
"""
import argparse
import importlib.util
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
spec = importlib.util.spec_from_file_location("camgen", os.path.join(ROOT, "fixtures", "cam", "generate.py"))
camgen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(camgen)  # imports pytorch_grad_cam with the unused plotting deps stubbed
em, pgc, torch = camgen.em, camgen.pgc, camgen.torch

# timm models (seeded random weights: the timing does not depend on them), e.g. the
# architecture of the real EfficientNet-Lite0 (models/efficientnet-lite0), layer `bn2`.
TIMM_MODELS = {"tf_efficientnet_lite0"}
METHODS = {"gradcam": pgc.GradCAM, "scorecam": pgc.ScoreCAM, "ablationcam": pgc.AblationCAM}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="resnet50")
    ap.add_argument("--method", default="gradcam", choices=sorted(METHODS))
    ap.add_argument("--layer", default="layer4")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.model in TIMM_MODELS:
        import timm  # after export_models' tvshim import, which torchvision (imported by timm) needs
        torch.manual_seed(0)
        model = timm.create_model(args.model, pretrained=False).eval()
    else:
        model = em.build_model(args.model)
    layer = dict(model.named_modules())[args.layer]
    x = torch.from_numpy(em.reference_input()[:1].copy())
    times = []
    with METHODS[args.method](model=model, target_layers=[layer]) as cam:
        cam(input_tensor=x, targets=None)
        for _ in range(args.runs):
            t0 = time.perf_counter()
            cam(input_tensor=x, targets=None)
            times.append((time.perf_counter() - t0) * 1000)
    print(f"median_ms={statistics.median(times):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
