#!/usr/bin/env python3
"""Exports torchvision classifiers with seeded random weights to ONNX and
records onnxruntime reference outputs for cfcam's model-level tests.

For every architecture and variant (see VARIANTS) it writes into --out:

  <name>_<variant>.onnx          the model (input "input" [batch,3,224,224],
                                 output "logits" [batch,1000]; batch dynamic)
  <name>_<variant>.io.npz        batch 2: the input under the graph input name
                                 and every output under its graph output name
  <name>_<variant>.b1.io.npz     the same for batch 1 (first row of the input)
  manifest.json                  one entry per exported model (files, opset,
                                 exporter, shapes, ORT-vs-torch diff)
  export.stamp                   generator hash; present + matching = skip

All arrays are float32 and saved with np.savez. Expected outputs come from
onnxruntime (CPU, default graph optimizations); the PyTorch output of the same
input is compared against them as a sanity check (max_abs_diff_torch).

Usage:
  export_models.py --out DIR [--only resnet18,squeezenet1_1] [--small-only]
                   [--variants op11,op17,dynamo18] [--force]
"""

import argparse
import hashlib
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tvshim  # noqa: E402,F401  (must precede torchvision)
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402
import torchvision  # noqa: E402

INPUT_NAME = "input"
OUTPUT_NAME = "logits"
INPUT_SEED = 20240611
BATCH = 2

# name -> constructor keyword arguments (torchvision.models.<name>(**kwargs)).
MODELS = {
    "resnet18": {},
    "resnet50": {},
    "vgg16_bn": {},
    "densenet121": {},
    "mobilenet_v2": {},
    "mobilenet_v3_large": {},
    "efficientnet_b0": {},
    "squeezenet1_1": {},
    "shufflenet_v2_x1_0": {},
    "googlenet": {"aux_logits": False, "init_weights": True},
    "regnet_y_400mf": {},
    "convnext_tiny": {},
}

# (model, variants) small enough to be committed under fixtures/models/
# (--small-only); about 24.5 MB together. squeezenet1_1 covers the plain
# Conv/Relu/MaxPool(ceil_mode)/Concat path, shufflenet_v2_x1_0 the
# Shape/Gather/Unsqueeze/Concat/Reshape/Transpose/Slice channel-shuffle chain.
SMALL_MODELS = {"squeezenet1_1": ["op11", "op17"], "shufflenet_v2_x1_0": ["op17"]}

# variant -> (exporter, opset). "legacy" is the TorchScript exporter
# (dynamo=False), "dynamo" the torch.export-based one (needs onnxscript).
VARIANTS = {
    "op11": ("legacy", 11),
    "op17": ("legacy", 17),
    "dynamo18": ("dynamo", 18),
}
# Models exported with each variant (None = all).
VARIANT_MODELS = {"op11": None, "op17": None, "dynamo18": ["resnet18"]}


def model_seed(name: str) -> int:
    """A stable per-model seed derived from the model name."""
    return int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)


def build_model(name: str) -> torch.nn.Module:
    """Constructs `name` with seeded random weights and non-trivial BatchNorm."""
    torch.manual_seed(model_seed(name))
    model = getattr(torchvision.models, name)(weights=None, num_classes=1000, **MODELS[name])
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.running_mean.normal_(0.0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                if m.weight is not None:
                    m.weight.uniform_(0.5, 1.5)
                    m.bias.normal_(0.0, 0.1)
    return model.eval()


def reference_input() -> np.ndarray:
    rng = np.random.default_rng(INPUT_SEED)
    return rng.standard_normal((BATCH, 3, 224, 224)).astype(np.float32)


def export(model: torch.nn.Module, x: torch.Tensor, path: str, exporter: str, opset: int) -> None:
    dynamic_axes = {INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}}
    common = dict(input_names=[INPUT_NAME], output_names=[OUTPUT_NAME], opset_version=opset)
    if exporter == "legacy":
        torch.onnx.export(model, (x,), path, dynamo=False, dynamic_axes=dynamic_axes,
                          do_constant_folding=True, **common)
    else:
        batch = torch.export.Dim("batch", min=1, max=1024)
        program = torch.onnx.export(model, (x,), dynamo=True, dynamic_shapes=({0: batch},),
                                    external_data=False, **common)
        program.save(path, external_data=False)
    onnx.checker.check_model(path)


def run_ort(path: str, x: np.ndarray) -> dict:
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    inputs = sess.get_inputs()
    if len(inputs) != 1:
        raise RuntimeError(f"{path}: expected 1 graph input, got {[i.name for i in inputs]}")
    names = [o.name for o in sess.get_outputs()]
    outs = sess.run(names, {inputs[0].name: x})
    arrays = {inputs[0].name: x}
    for n, o in zip(names, outs):
        arrays[n] = np.asarray(o, dtype=np.float32)
    return arrays


def generator_hash() -> str:
    h = hashlib.sha256()
    with open(os.path.abspath(__file__), "rb") as f:
        h.update(f.read())
    for v in (torch.__version__, torchvision.__version__, onnx.__version__, ort.__version__,
              np.__version__):
        h.update(v.encode())
    return h.hexdigest()[:16]


def planned(names, variants, small_only=False):
    for name in names:
        for variant in variants:
            allowed = VARIANT_MODELS[variant]
            if small_only and variant not in SMALL_MODELS.get(name, []):
                continue
            if allowed is None or name in allowed:
                yield name, variant


def export_one(out: str, name: str, variant: str, x_np: np.ndarray) -> dict:
    exporter, opset = VARIANTS[variant]
    stem = f"{name}_{variant}"
    onnx_path = os.path.join(out, stem + ".onnx")
    t0 = time.perf_counter()
    model = build_model(name)
    x = torch.from_numpy(x_np)
    export(model, x, onnx_path, exporter, opset)
    t_export = time.perf_counter() - t0

    t1 = time.perf_counter()
    io2 = run_ort(onnx_path, x_np)
    io1 = run_ort(onnx_path, np.ascontiguousarray(x_np[:1]))
    np.savez(os.path.join(out, stem + ".io.npz"), **io2)
    np.savez(os.path.join(out, stem + ".b1.io.npz"), **io1)
    t_ort = time.perf_counter() - t1

    with torch.no_grad():
        ref = model(x).numpy()
    ort_out = io2[OUTPUT_NAME]
    diff_torch = float(np.max(np.abs(ref - ort_out)))
    diff_b1 = float(np.max(np.abs(io1[OUTPUT_NAME][0] - ort_out[0])))
    entry = {
        "name": name, "variant": variant, "exporter": exporter, "opset": opset,
        "onnx": stem + ".onnx", "io": stem + ".io.npz", "io_b1": stem + ".b1.io.npz",
        "input": INPUT_NAME, "outputs": [OUTPUT_NAME], "input_shape": list(x_np.shape),
        "output_shape": list(ort_out.shape), "seed": model_seed(name), "input_seed": INPUT_SEED,
        "onnx_bytes": os.path.getsize(onnx_path),
        "logits_abs_max": float(np.max(np.abs(ort_out))),
        "max_abs_diff_torch": diff_torch, "max_abs_diff_batch1": diff_b1,
    }
    print(f"{stem:32s} {entry['onnx_bytes'] / 1e6:7.2f} MB  export {t_export:6.1f}s  "
          f"ort {t_ort:5.1f}s  |logits|max {entry['logits_abs_max']:.3g}  "
          f"torch-vs-ort {diff_torch:.2e}  b1-vs-b2 {diff_b1:.2e}", flush=True)
    return entry


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--only", help="comma-separated model names")
    ap.add_argument("--small-only", action="store_true", help=f"only the committed fixtures {SMALL_MODELS}")
    ap.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated variants")
    ap.add_argument("--force", action="store_true", help="ignore the stamp and re-export")
    args = ap.parse_args(argv)

    names = list(MODELS)
    if args.small_only:
        names = [n for n in names if n in SMALL_MODELS]
    if args.only:
        wanted = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in wanted if n not in MODELS]
        if unknown:
            ap.error(f"unknown model(s) {unknown}; known: {list(MODELS)}")
        names = [n for n in names if n in wanted]
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    bad = [v for v in variants if v not in VARIANTS]
    if bad:
        ap.error(f"unknown variant(s) {bad}; known: {list(VARIANTS)}")

    os.makedirs(args.out, exist_ok=True)
    stamp_path = os.path.join(args.out, "export.stamp")
    manifest_path = os.path.join(args.out, "manifest.json")
    ghash = generator_hash()
    manifest = {}
    if os.path.exists(manifest_path) and os.path.exists(stamp_path):
        with open(stamp_path) as f:
            if f.read().strip() == ghash:
                with open(manifest_path) as mf:
                    manifest = {f"{e['name']}_{e['variant']}": e for e in json.load(mf)["models"]}

    failed_path = os.path.join(args.out, "export.failed")
    if os.path.exists(failed_path):
        os.remove(failed_path)
    x_np = reference_input()
    t_all = time.perf_counter()
    done = skipped = 0
    for name, variant in planned(names, variants, args.small_only):
        key = f"{name}_{variant}"
        entry = manifest.get(key)
        if (not args.force and entry is not None and
                all(os.path.exists(os.path.join(args.out, entry[k])) for k in ("onnx", "io", "io_b1"))):
            skipped += 1
            continue
        try:
            manifest[key] = export_one(args.out, name, variant, x_np)
        except Exception as exc:  # report and keep going; the exit status says it failed
            print(f"{key}: FAILED: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            manifest.pop(key, None)
            with open(failed_path, "a") as f:
                f.write(f"{key}\t{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}\n")
            continue
        done += 1
        with open(manifest_path, "w") as f:
            json.dump({"generator": ghash, "models": sorted(manifest.values(), key=lambda e: (e["name"], e["variant"]))}, f, indent=1)
        with open(stamp_path, "w") as f:
            f.write(ghash + "\n")

    total = sum(1 for _ in planned(names, variants, args.small_only))
    ok = all(k in manifest for k in (f"{n}_{v}" for n, v in planned(names, variants, args.small_only)))
    print(f"export_models: {done} exported, {skipped} up to date, {total - done - skipped} failed; "
          f"{time.perf_counter() - t_all:.1f}s; out={args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
