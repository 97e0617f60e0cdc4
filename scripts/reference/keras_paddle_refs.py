#!/usr/bin/env python3
"""onnxruntime references and manifests for the Keras (tf2onnx) and PaddlePaddle
(paddle2onnx) models under fixtures/keras/ and fixtures/paddle/.

Needs only numpy, onnx, onnxruntime and Pillow (the default reference venv or
the TensorFlow venv; both pin onnxruntime 1.32.0). The Keras .onnx files come
from keras_exports.py (TensorFlow venv, run by hand); the PaddlePaddle ones are
copied byte for byte out of the rapidocr-onnxruntime wheel. Real images come
from the scikit-image wheel (astronaut.png for the face, page.png for text).

Writes, per model NAME in fixtures/<framework>/:
  NAME.io.npz        batch 2: the seeded input under the graph input name, every
                     graph output under its output name, plus the values named in
                     the manifest's "logits_value", "last_conv_value" and
                     "final_activation.input" (under their ONNX value names),
                     all from onnxruntime
  NAME.b1.io.npz     the same at batch 1 (first row of the batch-2 input)
  NAME.real.io.npz   the same for a real image (where the model has one)
  manifest.json      one entry per model (see scripts/reference/README.md)

Usage (from the repository root):
  PY scripts/reference/keras_paddle_refs.py --rapidocr-wheel W --skimage-wheel W
"""

import argparse
import hashlib
import json
import os
import shutil
import sys
import zipfile

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(REPO, "fixtures")
INPUT_SEED = 20240611

# Keras models (built by keras_exports.py). "range": the seeded inputs are uniform in it
# (the applications with preprocessing inside take pixels in [0, 255]; MobileNetV2 and fer
# take [-1, 1]). Inputs are NHWC; tf2onnx keeps the batch dimension symbolic.
KERAS_MODELS = {
    "mobilenet_v3_small": {"builder": "MobileNetV3Small", "alpha": 0.75, "classes": 100,
                           "input_shape": [96, 96, 3], "input": "image", "range": [0.0, 255.0]},
    "mobilenet_v2": {"builder": "MobileNetV2", "alpha": 0.35, "classes": 100,
                     "input_shape": [96, 96, 3], "input": "image", "range": [-1.0, 1.0]},
    "efficientnet_w035": {"builder": "EfficientNet", "width": 0.35, "depth": 0.35, "classes": 100,
                          "input_shape": [96, 96, 3], "input": "image", "range": [0.0, 255.0]},
    "fer_mini_xception": {"builder": "fer", "classes": 7, "input_shape": [64, 64, 1],
                          "input": "input_1", "range": [-1.0, 1.0]},
    # The same trained model exported with a fixed batch of 1 (SavedModel signature [1, 64, 64, 1]).
    "fer_mini_xception_fixed1": {"builder": "fer", "classes": 7, "input_shape": [64, 64, 1],
                                 "input": "input_1", "range": [-1.0, 1.0], "fixed_batch": 1},
}

FER_LABELS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
# Square face box (left, top, right, bottom) in skimage's 512x512 astronaut.png, with
# fer's 10-pixel margins included.
ASTRONAUT_FACE_BOX = (150, 45, 300, 195)

# PaddlePaddle models: member of the rapidocr-onnxruntime 1.4.4 wheel -> fixture name.
RAPIDOCR_DIR = "rapidocr_onnxruntime/models/"
PADDLE_MODELS = {
    "ppocr_cls_mobile_v2": {"member": "ch_ppocr_mobile_v2.0_cls_infer.onnx", "classes": 2,
                            "input": "x", "input_shape": [3, 48, 192], "range": [-1.0, 1.0]},
    "ppocr_det_v4": {"member": "ch_PP-OCRv4_det_infer.onnx", "classes": None,
                     "input": "x", "input_shape": [3, 64, 96], "range": [-1.0, 1.0]},
}
PPOCR_CLS_LABELS = ["0", "180"]
# A line of printed text in skimage's page.png (384x191, grayscale): "Region-based".
PAGE_TEXT_BOX = (4, 6, 134, 38)


def model_seed(name: str) -> int:
    return int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)


def seeded_input(name: str, spec: dict, batch: int) -> np.ndarray:
    """Uniform in spec["range"]; batch 1 is the first row of batch 2."""
    rng = np.random.default_rng(INPUT_SEED + model_seed(name) % 1000)
    lo, hi = spec["range"]
    x = rng.uniform(lo, hi, [2] + list(spec["input_shape"])).astype(np.float32)
    return np.ascontiguousarray(x[:batch])


# ---------------------------------------------------------------- real images

def wheel_png(wheel: str, member: str):
    from PIL import Image
    import io
    with zipfile.ZipFile(wheel) as z:
        return Image.open(io.BytesIO(z.read(member))).copy()


def astronaut_face(skimage_wheel: str) -> np.ndarray:
    """fer's preprocessing of the astronaut's face: grayscale (ITU-R 601 luma, as
    cv2.COLOR_RGB2GRAY), 64x64 bilinear, x / 255, (x - 0.5) * 2 -> [1, 64, 64, 1]."""
    from PIL import Image
    img = wheel_png(skimage_wheel, "skimage/data/astronaut.png").convert("RGB").crop(ASTRONAUT_FACE_BOX)
    rgb = np.asarray(img, dtype=np.float64)
    gray = rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114
    gray = Image.fromarray(np.clip(np.round(gray), 0, 255).astype(np.uint8)).resize((64, 64), Image.BILINEAR)
    x = (np.asarray(gray, dtype=np.float32) / 255.0 - 0.5) * 2.0
    return x[None, :, :, None].astype(np.float32)


def page_text_pair(skimage_wheel: str) -> np.ndarray:
    """PP-OCR's classifier preprocessing of a text line, upright and rotated by 180
    degrees: height 48, width ceil(48 * w / h) capped at 192, x / 255, (x - 0.5) / 0.5,
    gray replicated to 3 channels, right-padded with zeros to 192 -> [2, 3, 48, 192]."""
    from PIL import Image
    crop = wheel_png(skimage_wheel, "skimage/data/page.png").convert("L").crop(PAGE_TEXT_BOX)
    out = np.zeros((2, 3, 48, 192), np.float32)
    for i, im in enumerate([crop, crop.rotate(180)]):
        w = min(192, int(np.ceil(48 * im.width / im.height)))
        a = np.asarray(im.resize((w, 48), Image.BILINEAR), dtype=np.float32) / 255.0
        out[i, :, :, :w] = (a - 0.5) / 0.5
    return out


def page_for_detection(skimage_wheel: str) -> np.ndarray:
    """The whole page.png at 96x192 (multiples of 32), mean 0.5 / std 0.5, 3 channels."""
    from PIL import Image
    im = wheel_png(skimage_wheel, "skimage/data/page.png").convert("L").resize((192, 96), Image.BILINEAR)
    a = (np.asarray(im, dtype=np.float32) / 255.0 - 0.5) / 0.5
    return np.repeat(a[None, None], 3, axis=1).astype(np.float32)


# ---------------------------------------------------------------- graph inspection

def producers(graph):
    return {o: n for n in graph.node for o in n.output}


def consumers(graph):
    out = {}
    for n in graph.node:
        for i in n.input:
            out.setdefault(i, []).append(n)
    return out


def attr(node, name, default=None):
    import onnx
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def const_ints(graph, name):
    """Integer values of an initializer or Constant output (None when not constant)."""
    from onnx import numpy_helper
    for t in graph.initializer:
        if t.name == name:
            return [int(v) for v in numpy_helper.to_array(t).ravel()]
    for n in graph.node:
        if n.op_type == "Constant" and n.output[0] == name:
            return [int(v) for v in numpy_helper.to_array(attr(n, "value")).ravel()]
    return None


def final_activation(graph):
    """{"op", "input"} of the Softmax or Sigmoid producing the first graph output
    (through Identity nodes), else None."""
    prod = producers(graph)
    n = prod.get(graph.output[0].name)
    while n is not None and n.op_type == "Identity":
        n = prod.get(n.input[0])
    if n is not None and n.op_type in ("Softmax", "Sigmoid"):
        return {"op": n.op_type, "input": n.input[0]}
    return None


def softmax_info(graph):
    """(ends_in_softmax, Softmax input value, Softmax axis). The graph ends in Softmax
    when its output is a Softmax's output, possibly through Identity nodes."""
    prod = producers(graph)
    for o in graph.output:
        n = prod.get(o.name)
        while n is not None and n.op_type == "Identity":
            n = prod.get(n.input[0])
        if n is not None and n.op_type == "Softmax":
            return True, n.input[0], attr(n, "axis", -1)
    return False, None, None


def global_pools(graph):
    """Global average poolings in node order: (node, layout). GlobalAveragePool is
    NCHW; ReduceMean over axes {1, 2} of a 4-d value is NHWC, over {2, 3} NCHW."""
    out = []
    for n in graph.node:
        if n.op_type == "GlobalAveragePool":
            out.append((n, "NCHW"))
        elif n.op_type == "ReduceMean":
            axes = attr(n, "axes")
            if axes is None and len(n.input) > 1:
                axes = const_ints(graph, n.input[1])
            if axes is not None and sorted(axes) == [1, 2]:
                out.append((n, "NHWC"))
            elif axes is not None and sorted(axes) == [2, 3]:
                out.append((n, "NCHW"))
    return out


def classifier_pool(graph, logits):
    """The classifier's global pooling: the last one in node order (ONNX nodes are
    topologically sorted, and squeeze-excite poolings all come before the head's) from
    whose output the logits value is reachable."""
    cons = consumers(graph)
    for node, layout in reversed(global_pools(graph)):
        frontier, seen = [node.output[0]], set()
        while frontier:
            v = frontier.pop()
            if v == logits:
                return node, layout
            if v not in seen:
                seen.add(v)
                for c in cons.get(v, []):
                    frontier.extend(c.output)
    return None


def op_counts(graph):
    out = {}
    for n in graph.node:
        out[n.op_type] = out.get(n.op_type, 0) + 1
    return dict(sorted(out.items()))


def dims(value_info):
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?")
            for d in value_info.type.tensor_type.shape.dim]


# ---------------------------------------------------------------- onnxruntime

def run_ort(path: str, feeds: dict, extra: list) -> dict:
    """Every graph output plus the named intermediate values, from onnxruntime."""
    import onnx
    import onnxruntime as ort
    model = onnx.load(path)
    known = {o.name for o in model.graph.output}
    for v in extra:
        if v and v not in known:
            model.graph.output.append(onnx.ValueInfoProto(name=v))
            known.add(v)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    arrays = dict(feeds)
    for n, a in zip(names, sess.run(names, feeds)):
        arrays[n] = np.asarray(a, dtype=np.float32)
    return arrays


def save_npz(path: str, arrays: dict) -> None:
    np.savez(path, **{k: np.ascontiguousarray(v, dtype=np.float32) for k, v in arrays.items()})


# ---------------------------------------------------------------- per model

def describe(framework: str, name: str, spec: dict, onnx_path: str) -> dict:
    import onnx
    model = onnx.load(onnx_path)
    g = model.graph
    feeds = [i for i in g.input if i.name not in {t.name for t in g.initializer}]
    if len(feeds) != 1 or feeds[0].name != spec["input"]:
        raise RuntimeError(f"{name}: graph inputs {[i.name for i in feeds]}, expected [{spec['input']}]")
    ends, logits, axis = softmax_info(g)
    pool = classifier_pool(g, logits) if logits else None
    last_conv = last_layout = None
    transposed = False
    if pool is not None:
        last_conv, last_layout = pool[0].input[0], pool[1]
        p = producers(g).get(last_conv)
        transposed = p is not None and p.op_type == "Transpose"
    batch_dim = dims(feeds[0])[0]
    return {
        "name": name, "framework": framework,
        "onnx": f"{framework}/{name}.onnx",
        "layout": "NHWC" if framework == "keras" else "NCHW",
        "input": spec["input"], "input_shape": dims(feeds[0]),
        "outputs": [o.name for o in g.output], "output_shapes": [dims(o) for o in g.output],
        "fixed_batch": not (isinstance(batch_dim, str) or batch_dim <= 0),
        "classes": spec["classes"],
        "ends_in_softmax": ends, "softmax_axis": axis, "logits_value": logits,
        "final_activation": final_activation(g),
        "last_conv_value": last_conv, "last_conv_layout": last_layout,
        "last_conv_after_transpose": transposed,
        "opsets": {o.domain or "ai.onnx": o.version for o in model.opset_import},
        "producer": f"{model.producer_name} {model.producer_version}".strip(),
        "op_counts": op_counts(g), "initializers": len(g.initializer),
        "onnx_bytes": os.path.getsize(onnx_path),
        "input_range": spec["range"], "input_seed": INPUT_SEED + model_seed(name) % 1000,
    }


def references(entry: dict, spec: dict, real=None) -> dict:
    """Writes the io files; returns the manifest fields that describe them."""
    framework, name = entry["framework"], entry["name"]
    folder = os.path.join(FIXTURES, framework)
    onnx_path = os.path.join(FIXTURES, entry["onnx"])
    act = entry["final_activation"]
    extra = [entry["logits_value"], entry["last_conv_value"], act["input"] if act else None]
    cases = [("io", seeded_input(name, spec, 2)), ("b1.io", seeded_input(name, spec, 1))]
    if spec.get("fixed_batch") == 1:
        cases = cases[1:]
    if real is not None:
        cases.append(("real.io", real))
    io_files, stats = [], {}
    for suffix, x in cases:
        arrays = run_ort(onnx_path, {entry["input"]: x}, extra)
        fname = f"{name}.{suffix}.npz"
        save_npz(os.path.join(folder, fname), arrays)
        io_files.append(f"{framework}/{fname}")
        stats[suffix] = arrays
    b2 = stats.get("io", stats["b1.io"])
    out0 = entry["outputs"][0]
    fields = {
        "io": io_files,
        "output_abs_max": float(np.max(np.abs(b2[out0]))),
        "max_abs_diff_batch1": float(np.max(np.abs(stats["b1.io"][out0][0] - b2[out0][0]))),
    }
    if entry["logits_value"]:
        fields["logits_shape"] = list(b2[entry["logits_value"]].shape)
        fields["logits_abs_max"] = float(np.max(np.abs(b2[entry["logits_value"]])))
    if act:
        fields["final_activation"] = {**act, "input_abs_max": float(np.max(np.abs(b2[act["input"]])))}
    if entry["last_conv_value"]:
        fields["last_conv_shape"] = list(b2[entry["last_conv_value"]].shape)
    return fields, stats


def keras_entries(skimage_wheel: str) -> list:
    info_path = os.path.join(FIXTURES, "keras", "keras_export.json")
    info = json.load(open(info_path)) if os.path.exists(info_path) else {"models": {}, "versions": {}}
    entries = []
    for name, spec in KERAS_MODELS.items():
        path = os.path.join(FIXTURES, "keras", name + ".onnx")
        if not os.path.exists(path):
            raise FileNotFoundError(f"{path}: run keras_exports.py (TensorFlow venv) first")
        e = describe("keras", name, spec, path)
        real = astronaut_face(skimage_wheel) if spec["builder"] == "fer" else None
        if real is not None:
            np.save(os.path.join(FIXTURES, "keras", "astronaut_face_64.npy"), real)
        fields, stats = references(e, spec, real)
        e.update(fields)
        e["export"] = info["models"].get(name, {})
        if real is not None:
            p = stats["real.io"][e["outputs"][0]][0]
            e["real_input"] = {"npy": "keras/astronaut_face_64.npy", "io": f"keras/{name}.real.io.npz",
                               "source": "scikit-image 0.26.0 wheel, skimage/data/astronaut.png, "
                                         f"box {list(ASTRONAUT_FACE_BOX)}, fer preprocessing",
                               "top1": FER_LABELS[int(np.argmax(p))],
                               "probabilities": {l: round(float(v), 4) for l, v in zip(FER_LABELS, p)}}
        entries.append(e)
    return entries, info.get("versions", {})


def paddle_entries(rapidocr_wheel: str, skimage_wheel: str) -> list:
    folder = os.path.join(FIXTURES, "paddle")
    os.makedirs(folder, exist_ok=True)
    entries = []
    with zipfile.ZipFile(rapidocr_wheel) as z:
        for name, spec in PADDLE_MODELS.items():
            with z.open(RAPIDOCR_DIR + spec["member"]) as src, open(os.path.join(folder, name + ".onnx"), "wb") as dst:
                shutil.copyfileobj(src, dst)
    for name, spec in PADDLE_MODELS.items():
        e = describe("paddle", name, spec, os.path.join(folder, name + ".onnx"))
        e["source"] = f"rapidocr-onnxruntime 1.4.4 wheel, {RAPIDOCR_DIR}{spec['member']} (unchanged)"
        real = page_text_pair(skimage_wheel) if name == "ppocr_cls_mobile_v2" else page_for_detection(skimage_wheel)
        fields, stats = references(e, spec, real)
        e.update(fields)
        out = stats["real.io"][e["outputs"][0]]
        if name == "ppocr_cls_mobile_v2":
            e["real_input"] = {"io": f"paddle/{name}.real.io.npz",
                               "source": "scikit-image 0.26.0 wheel, skimage/data/page.png, box "
                                         f"{list(PAGE_TEXT_BOX)}; row 0 upright, row 1 rotated 180 degrees",
                               "top1": [PPOCR_CLS_LABELS[int(i)] for i in np.argmax(out, axis=1)],
                               "probabilities": [[round(float(v), 4) for v in r] for r in out]}
        else:
            e["real_input"] = {"io": f"paddle/{name}.real.io.npz",
                               "source": "scikit-image 0.26.0 wheel, skimage/data/page.png at 96x192",
                               "text_pixels_above_0.3": int(np.sum(out > 0.3))}
        entries.append(e)
    return entries


NOTES = {
    "mobilenet_v3_small": "keras.applications.MobileNetV3Small(alpha=0.75, classes=100, 96x96, weights=None, "
                          "seeded). tf2onnx's transpose optimizer failed on this graph (it logs a traceback and "
                          "keeps going), so every Conv sits between Transpose(perm 0,3,1,2) and "
                          "Transpose(perm 0,2,3,1): 108 Transposes, and everything else (Rescaling as Mul + Add "
                          "on the input, folded-BN leftovers, activations, pooling, SE gates) runs in NHWC. "
                          "hard-swish = x * (Clip(x + 3, 0, 6) * 1/6) (Add, Clip, Mul, Mul); squeeze-excite = "
                          "ReduceMean(axes 1,2, keepdims) -> Conv -> Relu -> Conv -> hard-sigmoid -> Mul gate; "
                          "head: ReduceMean(keepdims) -> 1x1 Conv -> hard-swish -> 1x1 Conv (logits, no "
                          "activation) -> Transpose -> Reshape -> Softmax. last_conv_value is the NHWC "
                          "hard-swish output [N, 3, 3, 432] that feeds the head's ReduceMean.",
    "mobilenet_v2": "keras.applications.MobileNetV2(alpha=0.35, classes=100, 96x96, weights=None, seeded); "
                    "inputs expected in [-1, 1] (no preprocessing inside). tf2onnx's transpose optimizer "
                    "succeeded: one Transpose(perm 0,3,1,2) right after the NHWC input, and the rest of the "
                    "graph is NCHW. BatchNorm folded into Conv (Conv has a bias input); ReLU6 = Clip with "
                    "min/max inputs; 'same' padding of stride-2 convs as asymmetric pads [0,0,1,1] or a "
                    "separate Pad node before depthwise Convs (group = channels). Head: GlobalAveragePool -> "
                    "Squeeze -> MatMul (the Dense bias is zero and was dropped) -> Softmax (axis -1).",
    "efficientnet_w035": "Keras' EfficientNet builder (the one behind EfficientNetB0..B7, "
                         "keras.src.applications.efficientnet.EfficientNet) with width 0.35, depth 0.35, 96x96, "
                         "classes=100, weights=None, seeded. Rescaling (1/255) + Normalization (Mul, Add, Mul) on "
                         "the NHWC input, then one Transpose to NCHW (optimizer succeeded). swish = x * "
                         "Sigmoid(x); squeeze-excite = GlobalAveragePool -> Squeeze -> Reshape -> Conv -> swish "
                         "-> Conv -> Sigmoid -> Mul gate; head GlobalAveragePool -> Squeeze -> MatMul -> Softmax. "
                         "Full EfficientNetB0 (~21 MB) was too large to commit.",
    "fer_mini_xception": "The trained mini-Xception emotion classifier shipped in the fer 25.10.3 wheel "
                         "(fer/data/emotion_model.hdf5, MIT licence), read by Keras 3 "
                         "keras.models.load_model(path, compile=False) directly (no tf_keras needed). Input "
                         "64x64x1 grayscale, (x/255 - 0.5) * 2; 7 classes (angry, disgust, fear, happy, sad, "
                         "surprise, neutral). With one channel tf2onnx converts NHWC->NCHW with a Reshape "
                         "instead of a Transpose; the rest is NCHW. Separable convs = depthwise Conv + 1x1 Conv, "
                         "BatchNorm folded; residual Add of MaxPool and a strided 1x1 Conv. The last Conv has "
                         "7 channels (one map per class) and feeds GlobalAveragePool -> Squeeze -> Softmax "
                         "(axis 1): the logits are the pooled class maps, so last_conv_value is itself a "
                         "class-activation map [N, 7, 4, 4].",
    "fer_mini_xception_fixed1": "fer_mini_xception exported with model.export(dir, input_signature="
                                "[TensorSpec([1, 64, 64, 1])]): the same graph with batch fixed to 1 "
                                "(input and output shapes [1, ...]); batch-1 and real io files only.",
    "ppocr_cls_mobile_v2": "PP-OCR text-direction classifier (PaddleOCR ch_ppocr_mobile_v2.0_cls, converted by "
                           "paddle2onnx, opset 11), classes '0' and '180'. All weights are Constant nodes (no "
                           "initializers). Input batch dim is dim_value -1 and H, W are dim_param '?'; the "
                           "output batch dim is -1 too. hard-swish as x * Clip(x + 3, 0, 6) / 6 (Add, Clip, Mul, "
                           "Div), squeeze-excite with HardSigmoid Mul gates, BatchNormalization nodes not folded; "
                           "head: hard-swish -> MaxPool 2x2 -> GlobalAveragePool -> Reshape (shape computed by "
                           "Shape/Cast/Slice/Concat) -> MatMul + Add -> Softmax(axis 1) -> Identity. At 48x192 the "
                           "last feature map is [N, 200, 1, 48] (height pooled to 1). last_conv_value is the "
                           "MaxPool output feeding the GlobalAveragePool; the last conv activation before it is "
                           "hardswish_17.tmp_0 [N, 200, 2, 96].",
    "ppocr_det_v4": "PP-OCRv4 text detector (DBNet, PaddleOCR ch_PP-OCRv4_det, paddle2onnx, opset 12): not a "
                    "classifier; output is a per-pixel text probability map [N, 1, H, W] = Sigmoid(p2o.Add.281) "
                    "at the input resolution (H, W multiples of 32). Weights are Constant nodes; nearest Resize "
                    "(asymmetric, floor, scales input) in the FPN; two ConvTranspose 2x2 stride 2 in the head; "
                    "HardSigmoid squeeze-excite gates. On the seeded noise input the map is ~0 everywhere "
                    "(max 4e-7, pre-sigmoid values -39..-15), where onnxruntime's Sigmoid is only accurate "
                    "to ~7e-8 absolute (8.9e-8 at x = -17.74, exact 1.97e-8): compare that map with an "
                    "absolute floor, or compare the pre-sigmoid value. The real page gives text regions.",
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rapidocr-wheel", required=True, help="rapidocr_onnxruntime-1.4.4-py3-none-any.whl")
    ap.add_argument("--skimage-wheel", required=True, help="scikit_image-0.26.0-*.whl (any platform)")
    ap.add_argument("--only", choices=["keras", "paddle"], help="one framework only")
    args = ap.parse_args(argv)
    import onnx
    import onnxruntime as ort
    import PIL
    versions = {"onnx": onnx.__version__, "onnxruntime": ort.__version__, "numpy": np.__version__,
                "pillow": PIL.__version__}
    jobs = []
    if args.only in (None, "keras"):
        k, kv = keras_entries(args.skimage_wheel)
        jobs.append(("keras", k, {**kv, **{f"refs_{a}": b for a, b in versions.items()}}))
    if args.only in (None, "paddle"):
        jobs.append(("paddle", paddle_entries(args.rapidocr_wheel, args.skimage_wheel), versions))
    for framework, entries, vers in jobs:
        for e in entries:
            e["notes"] = NOTES[e["name"]]
        path = os.path.join(FIXTURES, framework, "manifest.json")
        with open(path, "w") as f:
            json.dump({"generator": "scripts/reference/keras_paddle_refs.py", "versions": vers,
                       "models": entries}, f, indent=1)
            f.write("\n")
        for e in entries:
            print(f"{framework}/{e['name']:24s} {e['onnx_bytes'] / 1e6:6.2f} MB  logits={e['logits_value']}  "
                  f"last_conv={e['last_conv_value']} ({e['last_conv_layout']}, {e.get('last_conv_shape')})  "
                  f"|out|max {e['output_abs_max']:.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
