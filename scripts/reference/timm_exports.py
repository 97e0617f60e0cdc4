#!/usr/bin/env python3
"""timm architectures (seeded random weights, pretrained=False) exported to ONNX, with
onnxruntime outputs, pytorch-grad-cam Grad-CAM references and (for the plain conv/BN/ReLU net)
Zennit LRP references, for cfcam's third-party model tests.

Models (MODELS below; small input sizes keep debug-build tests fast):

  tf_efficientnet_b0   128x128  squeeze-excite, SiLU, depthwise convs, TF "same" padding
                                (dynamic: Shape/Ceil/Pad chains for the strided convs)
  convnext_atto        128x128  LayerNorm2d (channels-last LayerNorm between Transposes),
                                7x7 depthwise convs, GELU; built with conv_mlp=False so every
                                block runs its LayerNorm + MLP on [N, H, W, C] (MatMul on 4-D)
  resnet10t            128x128  plain conv/BN/ReLU, deep tiered stem, average-pool downsampling
                                (also the Zennit LRP model)
  resnet10t_fixed      128x128  the resnet10t weights exported with a fixed batch of 1
  vit_p16_96           96x96    a small DeiT-style VisionTransformer (patch 16, 6x6 patches +
                                class token, embed 96, depth 3, 3 heads): token maps [N, 37, 96]
  vit_p16_96_fixed     96x96    the same weights exported with a fixed batch of 1

Every model: torch.manual_seed(sha256(name)) before timm.create_model(pretrained=False), then
BatchNorm statistics/affines and LayerNorm affines (and ConvNeXt's layer scale, 1e-6 at init) are
re-drawn so no branch is trivial. Legacy TorchScript exporter, opset 17, constant folding, input
"input" [batch, 3, S, S], output "logits" [batch, 1000]; "batch" symbolic except for *_fixed.

Files, in --out (default fixtures/cache/timm):
  <name>.onnx
  <name>.io.npz       batch 2 (not for fixed-batch models): "input" (seeded standard normal) and
                      every graph output by name, from onnxruntime
  <name>.b1.io.npz    batch 1: the first image, outputs from onnxruntime at batch 1
  <name>.cam.npz      pytorch-grad-cam 1.5.7 GradCAM, ClassifierOutputTarget(top-1 of each image),
                      on the batch-2 input "input" (the fixed-batch model: the same two images;
                      the reference does not depend on how the ONNX batch is declared). Cases as
                      in fixtures/cam/generate.py: "<case>.map" (uint16, round(map * 65535)),
                      "<case>.layers" / "<case>.method" (uint8 text), "targets" (top-1, int64),
                      "margin" (top-1 minus top-2 logit per image). Case "gradcam" is the
                      manifest's cam_layer; convnext_atto adds "gradcam.nhwc" on a channels-last
                      value ([N, H, W, C], pytorch-grad-cam with a permuting reshape_transform).
  <name>.lrp.npz      (resnet10t) Zennit 0.5.1 relevance in float64, stored float32: "input",
                      "seed" (one-hot top-1 at the logits), "<preset>.input" and "<preset>.mid"
                      for epsilon-plus-flat and epsilon-gamma-box (box = the ImageNet-normalised
                      [0, 1] range), canonizers: SequentialMergeBatchNorm + a residual-sum
                      canonizer for timm's BasicBlock (the counterpart of zennit's torchvision
                      ResNetCanonizer)
  report.json         measured numbers: sizes, ORT-vs-torch diffs, top-1 margins, timings
  timm.stamp          generator hash; when it matches and every file exists, nothing is redone

The committed manifest (--manifest, default fixtures/timm/manifest.json) lists every model with
paths relative to fixtures/; it only changes when this script's model list changes.

Usage (repository root):  .venv/bin/python scripts/reference/timm_exports.py [--force] [--only a,b]
"""

import argparse
import hashlib
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "fixtures", "cam"))
import stamps  # noqa: E402

SOURCES = [os.path.abspath(__file__), os.path.join(ROOT, "fixtures", "cam", "generate.py"),
           os.path.join(HERE, "zennit_refs.py"), os.path.join(HERE, "stamps.py")]
DEFAULT_OUT = os.path.join(ROOT, "fixtures", "cache", "timm")
DEFAULT_MANIFEST = os.path.join(ROOT, "fixtures", "timm", "manifest.json")


def quick_exit_when_current():
    """A plain run whose stamp matches and whose manifest's files all exist ends here, before torch loads."""
    if len(sys.argv) > 1 or not os.path.exists(DEFAULT_MANIFEST):
        return
    with open(DEFAULT_MANIFEST) as f:
        models = json.load(f)["models"]
    wanted = [os.path.join(ROOT, "fixtures", m[k]) for m in models for k in ("onnx", "io", "io_b1", "cam", "lrp") if m[k]]
    if stamps.up_to_date(os.path.join(DEFAULT_OUT, "timm.stamp"), stamps.files_hash(SOURCES), wanted):
        print(f"timm_exports: {len(models)} models up to date ({DEFAULT_OUT})")
        sys.exit(0)


if __name__ == "__main__":
    quick_exit_when_current()

import numpy as np  # noqa: E402
import tvshim  # noqa: E402,F401  (must precede torchvision, which timm imports)
import generate as camgen  # noqa: E402  (pytorch-grad-cam import with its optional deps stubbed)
import zennit_refs  # noqa: E402  (LRP presets, box bounds, relevance read-out)
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import timm  # noqa: E402
import torch  # noqa: E402
from importlib.metadata import version  # noqa: E402

TIMM_VERSION = "1.0.31"
assert timm.__version__ == TIMM_VERSION, f"need timm=={TIMM_VERSION}, found {timm.__version__}"

INPUT_NAME, OUTPUT_NAME = "input", "logits"
INPUT_SEED = 20251202
OPSET = 17
GENERATED_BY = ".venv/bin/python scripts/reference/timm_exports.py"

# name -> how it is built and explained. "create": timm model name or "vit" (VisionTransformer
# built directly); "kwargs": constructor arguments; "cam_layer": the torch module whose output
# pytorch-grad-cam reads; "token_grid": patch grid of a ViT (reshape_transform drops the class
# token); "extra_cams": (case, module, layout) further Grad-CAM cases; "same_as": export the weights
# of another entry; "fixed_batch": no symbolic batch axis.
VIT_KWARGS = dict(img_size=96, patch_size=16, embed_dim=96, depth=3, num_heads=3, mlp_ratio=4.0, num_classes=1000)
MODELS = {
    "tf_efficientnet_b0": dict(create="tf_efficientnet_b0", kwargs={}, size=128, cam_layer="bn2",
                               covers="squeeze-excite, SiLU, depthwise convs, TF same padding (Ceil/Pad)"),
    "convnext_atto": dict(create="convnext_atto", kwargs={"conv_mlp": False}, size=128, cam_layer="stages.3",
                          extra_cams=[("gradcam.nhwc", "stages.3.blocks.1.norm", "NHWC")],
                          covers="LayerNorm (channels-last, between Transposes), 7x7 depthwise convs, GELU, "
                                 "Linear on [N,H,W,C], layer scale"),
    "resnet10t": dict(create="resnet10t", kwargs={}, size=128, cam_layer="layer4", lrp_mid="layer2",
                      covers="plain conv/BN/ReLU, deep tiered stem, average-pool downsampling; Zennit LRP"),
    "resnet10t_fixed": dict(create="resnet10t", kwargs={}, size=128, cam_layer="layer4", same_as="resnet10t",
                            fixed_batch=True, covers="the resnet10t weights with a fixed batch of 1"),
    "vit_p16_96": dict(create="vit", kwargs=VIT_KWARGS, size=96, cam_layer="blocks.2.norm1", token_grid=[6, 6],
                       covers="DeiT-style ViT: patch embedding, class token, attention, token maps [N, T, C]"),
    "vit_p16_96_fixed": dict(create="vit", kwargs=VIT_KWARGS, size=96, cam_layer="blocks.2.norm1", token_grid=[6, 6],
                             same_as="vit_p16_96", fixed_batch=True,
                             covers="the vit_p16_96 weights with a fixed batch of 1"),
}
LRP_PRESETS = ["epsilon-plus-flat", "epsilon-gamma-box"]


def model_seed(name):
    return int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)


def build(name):
    spec = MODELS[name]
    seed_name = spec.get("same_as", name)
    torch.manual_seed(model_seed(seed_name))
    if spec["create"] == "vit":
        from timm.models.vision_transformer import VisionTransformer
        model = VisionTransformer(**spec["kwargs"])
    else:
        model = timm.create_model(spec["create"], pretrained=False, num_classes=1000, **spec["kwargs"])
    gen = torch.Generator().manual_seed(model_seed(seed_name) + 1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                c = m.num_features
                m.running_mean.copy_(0.1 * torch.randn(c, generator=gen))
                m.running_var.copy_(0.5 + torch.rand(c, generator=gen))
                m.weight.copy_(0.5 + torch.rand(c, generator=gen))
                m.bias.copy_(0.1 * torch.randn(c, generator=gen))
            elif isinstance(m, torch.nn.LayerNorm):
                c = m.weight.numel()
                m.weight.copy_(0.5 + torch.rand(c, generator=gen).view_as(m.weight))
                m.bias.copy_(0.1 * torch.randn(c, generator=gen).view_as(m.bias))
            if getattr(m, "gamma", None) is not None and isinstance(m.gamma, torch.nn.Parameter):
                m.gamma.copy_(0.5 + 0.5 * torch.rand(m.gamma.shape, generator=gen))
    return model.eval()


def reference_input(size):
    return np.random.default_rng(INPUT_SEED).standard_normal((2, 3, size, size)).astype(np.float32)


def export(model, x, path, fixed):
    kw = {} if fixed else {"dynamic_axes": {INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}}}
    torch.onnx.export(model, (torch.from_numpy(x),), path, dynamo=False, opset_version=OPSET,
                      do_constant_folding=True, input_names=[INPUT_NAME], output_names=[OUTPUT_NAME], **kw)
    onnx.checker.check_model(path)


def run_ort(path, x):
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    outs = sess.run(names, {INPUT_NAME: x})
    return {INPUT_NAME: x, **{n: np.asarray(o, dtype=np.float32) for n, o in zip(names, outs)}}


def vit_reshape(grid):
    """pytorch-grad-cam's documented ViT reshape_transform: drop the class token, patch tokens to a
    [N, C, h, w] grid."""
    h, w = grid

    def reshape(t):
        r = t[:, 1:, :].reshape(t.size(0), h, w, t.size(2))
        return r.transpose(2, 3).transpose(1, 2)
    return reshape


def nhwc_reshape(t):
    return t.permute(0, 3, 1, 2)


def onnx_value(model_path, module_path):
    """The ONNX value of a module's output: the last node in the exporter's scope for the module.
    The legacy exporter names a scope by attribute name, and a Sequential's child `i` of attribute
    `blocks` as `blocks.i` (`/stages/stages.3/blocks/blocks.1/norm/...`)."""
    parts = module_path.split(".")
    scopes = [f"{parts[i - 1]}.{p}" if p.isdigit() and i > 0 else p for i, p in enumerate(parts)]
    prefix = "/" + "/".join(scopes) + "/"
    nodes = [n for n in onnx.load(model_path, load_external_data=False).graph.node if n.name.startswith(prefix)]
    return nodes[-1].output[0] if nodes else camgen.onnx_value(model_path, module_path)


def grad_cam(model, layer, x, targets, reshape=None):
    model.zero_grad()
    cam = camgen.pgc.GradCAM(model=model, target_layers=[camgen.module(model, layer)], reshape_transform=reshape)
    with cam:
        out = cam(input_tensor=torch.from_numpy(x.copy()),
                  targets=[camgen.ClassifierOutputTarget(int(c)) for c in targets])
    return np.ascontiguousarray(out, dtype=np.float32)


def quantised(cam_map):
    assert cam_map.min() >= 0 and cam_map.max() <= 1
    return np.round(cam_map.astype(np.float64) * 65535).astype(np.uint16)


def cam_reference(name, model, onnx_path, x):
    spec = MODELS[name]
    with torch.no_grad():
        logits = model(torch.from_numpy(x)).numpy()
    order = np.argsort(-logits, axis=1)
    top = order[:, 0]
    margin = logits[np.arange(len(x)), top] - logits[np.arange(len(x)), order[:, 1]]
    out = {"input": x, "targets": top.astype(np.int64), "margin": margin.astype(np.float32)}
    cases = [("gradcam", spec["cam_layer"], "token" if spec.get("token_grid") else "NCHW")]
    cases += spec.get("extra_cams", [])
    values = {}
    for case, layer, layout in cases:
        value = onnx_value(onnx_path, layer)
        # The fixed-batch graph only takes batch 1: check the value on the first image there.
        camgen.check_value(onnx_path, value, model, layer, x[:1] if spec.get("fixed_batch") else x)
        reshape = {"token": vit_reshape(spec.get("token_grid") or [0, 0]), "NHWC": nhwc_reshape}.get(layout)
        cam_map = grad_cam(model, layer, x, top, reshape)
        out[f"{case}.map"] = quantised(cam_map)
        out[f"{case}.layers"] = camgen.text(value)
        out[f"{case}.method"] = camgen.text("gradcam")
        values[case] = {"layer": layer, "value": value, "layout": layout}
        print(f"  {name} {case}: {layer} -> {value} ({layout}), map {cam_map.shape} mean {cam_map.mean():.4f}",
              flush=True)
    return out, values, margin


class TimmBasicBlockCanonizer:
    """Residual sums of timm's BasicBlock as a zennit Sum module (so LRP splits relevance between
    the branches in proportion to their contributions), built on zennit's AttributeCanonizer."""

    @staticmethod
    def make():
        from timm.models.resnet import BasicBlock
        from zennit.canonizers import AttributeCanonizer
        from zennit.layer import Sum

        def forward(self, x):
            shortcut = x
            x = self.act1(self.drop_block(self.bn1(self.conv1(x))))
            x = self.bn2(self.conv2(self.aa(x)))
            if self.downsample is not None:
                shortcut = self.downsample(shortcut)
            return self.act2(self.canonizer_sum(torch.stack([shortcut, x], dim=-1)))

        def attributes(name, module):
            if isinstance(module, BasicBlock):
                assert module.se is None and module.drop_path is None
                return {"forward": forward.__get__(module), "canonizer_sum": Sum()}
            return None

        return AttributeCanonizer(attributes)


def lrp_reference(name, model, onnx_path, x):
    """zennit_refs.py's presets and relevance read-out, on the float64 copy of the model."""
    from zennit.canonizers import SequentialMergeBatchNorm

    mid = MODELS[name]["lrp_mid"]
    model64 = build(name).double()
    x64 = torch.from_numpy(x).double()
    with torch.no_grad():
        top = model64(x64).argmax(1)
    seed = torch.zeros(len(x), 1000, dtype=torch.float64)
    seed[torch.arange(len(x)), top] = 1
    out = {"input": x, "seed": seed.float().numpy()}
    for preset in LRP_PRESETS:
        composite = zennit_refs.presets()[preset]([SequentialMergeBatchNorm(), TimmBasicBlockCanonizer.make()])
        r_in, r_mid = zennit_refs.relevance(model64, x64, seed, composite, camgen.module(model64, mid))
        out[f"{preset}.input"], out[f"{preset}.mid"] = r_in, r_mid
        print(f"  {name} lrp {preset}: input relevance sum {r_in.sum():.4g}, max|.| {np.abs(r_in).max():.3g}", flush=True)
    value = onnx_value(onnx_path, mid)
    camgen.check_value(onnx_path, value, model, mid, x)
    return out, value


def generator_hash():
    return stamps.files_hash(SOURCES)


def files(name, out_rel):
    spec = MODELS[name]
    f = {"onnx": f"{out_rel}/{name}.onnx", "io": None if spec.get("fixed_batch") else f"{out_rel}/{name}.io.npz",
         "io_b1": f"{out_rel}/{name}.b1.io.npz", "cam": f"{out_rel}/{name}.cam.npz",
         "lrp": f"{out_rel}/{name}.lrp.npz" if "lrp_mid" in spec else None}
    return f


def manifest_entry(name, out_rel, cams, lrp_value):
    spec = MODELS[name]
    f = files(name, out_rel)
    return {
        "name": name, "onnx": f["onnx"], "io": f["io"], "io_b1": f["io_b1"], "layout": "NCHW",
        "input": INPUT_NAME, "output": OUTPUT_NAME, "input_shape": [1 if spec.get("fixed_batch") else "batch", 3,
                                                                      spec["size"], spec["size"]],
        "fixed_batch": bool(spec.get("fixed_batch")), "cam": f["cam"], "cam_layer": cams["gradcam"]["value"],
        "cam_module": spec["cam_layer"], "token_grid": spec.get("token_grid"),
        "cams": [{"case": c, "module": v["layer"], "layer": v["value"], "layout": v["layout"]} for c, v in cams.items()],
        "lrp": f["lrp"], "lrp_mid": lrp_value, "lrp_presets": LRP_PRESETS if f["lrp"] else None,
        "lrp_box": {"low": zennit_refs.LOW, "high": zennit_refs.HIGH} if f["lrp"] else None,
        "timm_model": "VisionTransformer" if spec["create"] == "vit" else spec["create"], "timm_kwargs": spec["kwargs"],
        "seed": model_seed(spec.get("same_as", name)), "input_seed": INPUT_SEED, "opset": OPSET,
        "covers": spec["covers"], "generated_by": GENERATED_BY,
    }


def generate(name, out_dir, out_rel):
    spec = MODELS[name]
    fixed = bool(spec.get("fixed_batch"))
    f = {k: (os.path.join(ROOT, "fixtures", v) if v else None) for k, v in files(name, out_rel).items()}
    t0 = time.perf_counter()
    model = build(name)
    x = reference_input(spec["size"])
    export(model, x[:1] if fixed else x, f["onnx"], fixed)
    t_export = time.perf_counter() - t0
    io1 = run_ort(f["onnx"], np.ascontiguousarray(x[:1]))
    np.savez(f["io_b1"], **io1)
    with torch.no_grad():
        ref = model(torch.from_numpy(x)).numpy()
    report = {"onnx_bytes": os.path.getsize(f["onnx"]), "logits_abs_max": float(np.abs(ref).max()),
              "max_abs_diff_torch_b1": float(np.abs(io1[OUTPUT_NAME] - ref[:1]).max())}
    if not fixed:
        io2 = run_ort(f["onnx"], x)
        np.savez(f["io"], **io2)
        report["max_abs_diff_torch"] = float(np.abs(io2[OUTPUT_NAME] - ref).max())
    t1 = time.perf_counter()
    cam, cams, margin = cam_reference(name, model, f["onnx"], x)
    np.savez_compressed(f["cam"], **cam)
    report["top1_margin"] = margin.tolist()
    t_cam = time.perf_counter() - t1
    lrp_value = None
    if f["lrp"]:
        lrp, lrp_value = lrp_reference(name, model, f["onnx"], x)
        np.savez(f["lrp"], **lrp)
    report["seconds"] = {"export": round(t_export, 2), "cam": round(t_cam, 2),
                         "total": round(time.perf_counter() - t0, 2)}
    ops = sorted({n.op_type for n in onnx.load(f["onnx"], load_external_data=False).graph.node})
    report["ops"] = ops
    print(f"{name:20s} {report['onnx_bytes'] / 1e6:6.2f} MB  |logits|max {report['logits_abs_max']:.3g}  "
          f"torch-vs-ort {report.get('max_abs_diff_torch', report['max_abs_diff_torch_b1']):.2e}  "
          f"margin {np.round(margin, 4).tolist()}  {report['seconds']['total']:.1f}s", flush=True)
    return manifest_entry(name, out_rel, cams, lrp_value), report


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--manifest", default=DEFAULT_MANIFEST)
    ap.add_argument("--only", help="comma-separated model names")
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    out_dir = os.path.abspath(args.out)
    out_rel = os.path.relpath(out_dir, os.path.join(ROOT, "fixtures"))
    names = [n.strip() for n in args.only.split(",")] if args.only else list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        ap.error(f"unknown model(s) {unknown}; known: {list(MODELS)}")
    os.makedirs(out_dir, exist_ok=True)
    stamp_path, report_path = os.path.join(out_dir, "timm.stamp"), os.path.join(out_dir, "report.json")
    ghash = generator_hash()
    # Models this same generator made in an earlier run (complete or --only) are kept.
    reports = {}
    if not args.force and os.path.exists(report_path):
        with open(report_path) as fh:
            previous = json.load(fh)
        reports = previous["models"] if previous.get("generator") == ghash else {}
    entries = {}
    if os.path.exists(args.manifest):
        entries = {e["name"]: e for e in json.load(open(args.manifest))["models"]}
    t_all = time.perf_counter()
    done = 0
    for name in names:
        wanted = [v for v in files(name, out_rel).values() if v]
        if name in reports and name in entries and all(
                os.path.exists(os.path.join(ROOT, "fixtures", p)) for p in wanted):
            continue
        entries[name], reports[name] = generate(name, out_dir, out_rel)
        done += 1
        with open(report_path, "w") as fh:
            json.dump({"generator": ghash, "models": reports}, fh, indent=1)
        # The stamp says "everything is from this generator": written once every model is.
        if set(reports) >= set(MODELS):
            with open(stamp_path, "w") as fh:
                fh.write(ghash + "\n")
    manifest = {"generated_by": GENERATED_BY, "timm": TIMM_VERSION, "grad_cam": version("grad-cam"),
                "zennit": version("zennit"), "torch": torch.__version__, "onnxruntime": ort.__version__,
                "models": [entries[n] for n in MODELS if n in entries]}
    text = json.dumps(manifest, indent=1) + "\n"
    os.makedirs(os.path.dirname(os.path.abspath(args.manifest)), exist_ok=True)
    if not os.path.exists(args.manifest) or open(args.manifest).read() != text:
        with open(args.manifest, "w") as fh:
            fh.write(text)
    print(f"timm_exports: {done} generated, {len(names) - done} up to date; "
          f"{time.perf_counter() - t_all:.1f}s; out={out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
