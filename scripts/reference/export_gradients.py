"""PyTorch autograd references for cfcam's gradient walk.

Usage (from the repository root, after export_models.py has written the ONNX files):
    .venv/bin/python scripts/reference/export_gradients.py --models-dir fixtures/cache --out fixtures/cache
    .venv/bin/python scripts/reference/export_gradients.py --models-dir fixtures/models --out fixtures/grad --only squeezenet1_1

For each model (the same seeded torchvision model export_models.py exported) and the same batch-2
input, the objective is sum_b logits[b, argmax_b] (a logit per image, pytorch-grad-cam's default
target). `<name>.grad.npz` holds:
    input       the input [2, 3, 224, 224]
    target      int64 [2], the class per image
    grad_input  d objective / d input
    grad_layer  d objective / d (output of LAYER[name]), the layer explanation methods use
    layer_value the ONNX value name of that layer's output (uint8-encoded string)
Autograd runs in float64 on the float32 model's weights (see main()).
The ONNX value name is found from the legacy exporter's scope names: the last node whose name
starts with "/a/a.b/" for module path "a.b".
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_models as em  # noqa: E402
import numpy as np  # noqa: E402
import onnx  # noqa: E402
import torch  # noqa: E402

LAYER = {
    "resnet18": "layer4", "resnet50": "layer4", "squeezenet1_1": "features", "mobilenet_v2": "features",
    "densenet121": "features", "vgg16_bn": "features", "efficientnet_b0": "features",
    "mobilenet_v3_large": "features", "shufflenet_v2_x1_0": "conv5", "googlenet": "inception5b",
    "regnet_y_400mf": "trunk_output", "convnext_tiny": "features",
}


def scope_prefix(path: str) -> str:
    parts = path.split(".")
    return "/" + "/".join(".".join(parts[: i + 1]) for i in range(len(parts))) + "/"


def onnx_value_for(model_path: str, module_path: str) -> str:
    g = onnx.load(model_path, load_external_data=False).graph
    prefix = scope_prefix(module_path)
    last = [n for n in g.node if n.name.startswith(prefix)]
    if not last:
        raise SystemExit(f"{model_path}: no node under scope {prefix}")
    return last[-1].output[0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models-dir", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", help="comma-separated model names")
    ap.add_argument("--variant", default="op17")
    args = ap.parse_args()
    names = [n for n in LAYER if not args.only or n in args.only.split(",")]
    x_np = em.reference_input()
    for name in names:
        onnx_path = os.path.join(args.models_dir, f"{name}_{args.variant}.onnx")
        out_path = os.path.join(args.out, f"{name}.grad.npz")
        if not os.path.exists(onnx_path) or os.path.exists(out_path):
            continue
        # float64 (the float32 weights and input, exactly widened): the reference is the exact
        # gradient, the same on every CPU; a float32 forward's ReLU / max-pool routing near ties
        # depends on the machine's kernels (oneDNN's summation order), so a float32 reference made
        # on another machine routes differently. Saved as float32.
        model = em.build_model(name).double()
        layer = dict(model.named_modules())[LAYER[name]]
        captured = {}
        # Capture the module's output and hand the rest of the network a copy, so an in-place op
        # after it (densenet's F.relu(features, inplace=True)) can't turn `a.grad` into the
        # gradient of that op's output.
        def hook(m, i, o):
            captured["a"] = o
            return o.clone()
        hook = layer.register_forward_hook(hook)
        x = torch.from_numpy(x_np.astype(np.float64)).requires_grad_(True)
        logits = model(x)
        hook.remove()
        act = captured["a"]
        act.retain_grad()
        target = logits.argmax(dim=1)
        logits.gather(1, target[:, None]).sum().backward()
        value = onnx_value_for(onnx_path, LAYER[name])
        np.savez(out_path, input=x_np, target=target.numpy().astype(np.int64),
                 grad_input=x.grad.numpy().astype(np.float32), grad_layer=act.grad.numpy().astype(np.float32),
                 layer_value=np.frombuffer(value.encode(), dtype=np.uint8))
        print(f"{name}: layer {LAYER[name]} -> {value}, |grad_input|max {x.grad.abs().max():.3g}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
