#!/usr/bin/env python3
"""Exports the ONNX backend node test cases relevant to cfcam into
fixtures/onnx-node/ and writes fixtures/onnx-node/manifest.txt.

The pip wheel of onnx no longer ships onnx/backend/test/data/node/, so the
cases are regenerated with onnx.backend.test.case.node.collect_testcases()
(np.random is seeded first, so the data is reproducible for a given onnx
version) and written exactly like onnx's own `backend-test-tools
generate-data`:

  <case>/model.onnx
  <case>/test_data_set_0/input_<j>.pb, output_<j>.pb   (TensorProto files)

A case is *listed* in the manifest when its op family (the top-level ops of
the non-expanded case, Constant ignored) contains an op of cfcam's list
(SUPPORTED). It is `include`d when nothing in EXCLUSION RULES applies, else
`exclude <reason>`. Only included cases are written to disk.

Derived cases: when the only problem of a case is an optional extra output
cfcam's inference kernels do not produce (LayerNormalization Mean/InvStdDev,
Dropout mask, MaxPool Indices), the original is excluded and a derived case
`<case>__first_output` is written whose graph keeps only the first output
(and only output_0.pb).

Every case that would be included is also run through onnxruntime and
compared with the onnx reference outputs at the tolerance the Swift harness
uses (|got - want| <= 1e-4 + 1e-4 * |want|, integers/bools exact). When
onnxruntime computes different values the case is ambiguous and excluded
("onnxruntime disagrees ..."); when onnxruntime cannot load or run it (e.g. an
opset newer than it knows) the case stays included and is listed on stdout.

Usage: node_tests.py [--out fixtures/onnx-node] [--no-ort-check]
"""

import argparse
import collections
import os
import re
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

SUPPORTED = frozenset("""
Conv ConvTranspose Gemm MatMul Add Sub Mul Div Sum Max Min Relu LeakyRelu PRelu Elu Sigmoid
HardSigmoid HardSwish Tanh Clip Erf Gelu Softmax LogSoftmax MaxPool AveragePool GlobalAveragePool
GlobalMaxPool BatchNormalization InstanceNormalization LayerNormalization LRN Concat Split Slice
Flatten Reshape Transpose Squeeze Unsqueeze Pad ReduceMean ReduceSum ReduceMax Shape Gather
Constant ConstantOfShape Identity Dropout Cast Sqrt Pow Exp Log Neg Abs Reciprocal Resize Upsample
Expand Where Equal Range
Ceil Floor Round Sign Mod Less Greater LessOrEqual GreaterOrEqual Not And Or Xor ArgMax ArgMin TopK
Tile DepthToSpace SpaceToDepth Einsum Softplus Softsign Mish Celu Selu ThresholdedRelu
""".split())

# Element types cfcam's importer maps onto its own dtypes (float32, int64, bool).
OK_DTYPES = {"FLOAT", "DOUBLE", "INT32", "INT64", "BOOL"}
NARROW_INT = {"INT8", "INT16", "UINT8", "UINT16", "UINT32", "UINT64"}

# Op -> names of outputs after the first that cfcam's inference kernels do not produce.
# (Dropout's mask and MaxPool's Indices are produced, so those cases run whole.)
EXTRA_OUTPUT_OPS = {"LayerNormalization": "Mean/InvStdDev"}

# Included cases whose expected values are rounded in the onnx source: extra absolute tolerance
# (read by Tests/ConformanceTests/NodeConformanceTests.swift).
ATOL_NOTES = {"test_averagepool_2d_ceil_last_window_starts_on_pad":
              "atol=1e-4 (expected values are written with 4 decimals in the onnx test)"}

RTOL = ATOL = 1e-4
SEED = 0
EXPANDED = re.compile(r"_expanded(_ver\d+)?$")


def all_nodes(graph):
    for node in graph.node:
        yield node
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                yield from all_nodes(attr.g)
            elif attr.type == onnx.AttributeProto.GRAPHS:
                for g in attr.graphs:
                    yield from all_nodes(g)


def value_kinds(model):
    """Element type names / non-tensor kinds of the graph inputs and outputs."""
    kinds = set()
    for v in list(model.graph.input) + list(model.graph.output):
        which = v.type.WhichOneof("value")
        if which == "tensor_type":
            kinds.add(TensorProto.DataType.Name(v.type.tensor_type.elem_type))
        else:
            kinds.add(which)
    return kinds


def attr_value(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def exclusion(case, family_ops):
    """Returns (reason or None, derive_first_output: bool)."""
    model = case.model
    name = case.name
    kinds = value_kinds(model)
    if kinds & {"sequence_type", "optional_type", "map_type", "sparse_tensor_type"}:
        return "sequence/optional/map value types", False
    bad = sorted(kinds - OK_DTYPES - NARROW_INT)
    if bad:
        return f"dtype {','.join(bad)} not computed by cfcam", False
    narrow = sorted(kinds & NARROW_INT)
    if narrow:
        return (f"narrow integer dtype {','.join(narrow)} (cfcam computes integers as int64; "
                f"wrap-around/type limits not modelled)"), False
    nodes = list(all_nodes(model.graph))
    domains = sorted({n.domain for n in nodes if n.domain not in ("", "ai.onnx")})
    if domains:
        return f"non-default domain {','.join(domains)}", False
    ops = {n.op_type for n in nodes}
    missing = sorted(ops - SUPPORTED)
    if missing:
        where = "expanded function body uses" if EXPANDED.search(name) else "uses"
        return f"{where} op(s) outside cfcam's list: {','.join(missing)}", False
    for n in nodes:
        if n.op_type == "BatchNormalization" and (attr_value(n, "training_mode", 0) or len(n.output) > 1):
            return "training-mode BatchNormalization", False
        if n.op_type == "Dropout" and len(n.input) > 2 and n.input[2]:
            return "training-mode Dropout (random mask)", False
        if n.op_type in ("Conv", "ConvTranspose", "MaxPool", "AveragePool"):
            if len(model.graph.input) and _spatial_rank(model, n) >= 3:
                return f"3-D {n.op_type} (cfcam kernels target 1-D/2-D)", False
        if n.op_type in ("ReduceMax", "ReduceSum", "ReduceMean") and "BOOL" in kinds:
            return f"{n.op_type} on bool tensors (cfcam reduces float32/int64)", False
        if n.op_type == "Resize":
            mode = attr_value(n, "mode", b"nearest")
            ctm = attr_value(n, "coordinate_transformation_mode", b"half_pixel")
            if mode == b"cubic":
                return "Resize cubic mode", False
            if ctm == b"tf_crop_and_resize":
                return "Resize tf_crop_and_resize", False
            if attr_value(n, "antialias", 0):
                return "Resize antialias", False
    for n in model.graph.node:
        extra = [o for o in n.output[1:] if o]
        if n.op_type in EXTRA_OUTPUT_OPS and extra and len(model.graph.output) > 1:
            return f"{n.op_type} extra output(s) {EXTRA_OUTPUT_OPS[n.op_type]}", True
    return None, False


def _spatial_rank(model, node):
    """Spatial rank of a conv/pool node, from kernel_shape or the weight/input rank."""
    ks = attr_value(node, "kernel_shape")
    if ks:
        return len(ks)
    shapes = {v.name: v.type.tensor_type.shape for v in model.graph.input}
    for inp in node.input[:2][::-1]:  # weight first for Conv, then X
        if inp in shapes:
            return max(len(shapes[inp].dim) - 2, 0)
    return 0


def select_outputs(model, data_sets, first_output_only):
    """Returns the model and data, trimmed to the first graph output if asked."""
    if not first_output_only:
        return model, data_sets
    model = onnx.ModelProto.FromString(model.SerializeToString())
    del model.graph.output[1:]
    return model, [(ins, outs[:1]) for ins, outs in data_sets]


def write_case(root, name, model, data_sets):
    """Writes model.onnx and test_data_set_<i>/{input,output}_<j>.pb like onnx's generate-data."""
    out_dir = os.path.join(root, name)
    os.makedirs(out_dir)
    with open(os.path.join(out_dir, "model.onnx"), "wb") as f:
        f.write(model.SerializeToString())
    for i, (inputs, outputs) in enumerate(data_sets):
        ds = os.path.join(out_dir, f"test_data_set_{i}")
        os.makedirs(ds)
        for kind, values, infos in (("input", inputs, model.graph.input),
                                    ("output", outputs, model.graph.output)):
            for j, value in enumerate(values):
                proto = value if isinstance(value, TensorProto) else numpy_helper.from_array(
                    np.asarray(value), infos[j].name)
                with open(os.path.join(ds, f"{kind}_{j}.pb"), "wb") as f:
                    f.write(proto.SerializeToString())


def ort_check(model, data_sets):
    """Runs onnxruntime on the case; returns None if within tolerance, else a message."""
    import onnxruntime as ort
    try:
        sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    except Exception as exc:  # e.g. an opset newer than onnxruntime knows
        return "ort-load: " + str(exc).splitlines()[0][:120]
    names = [o.name for o in model.graph.output]
    for inputs, outputs in data_sets:
        feed = {model.graph.input[j].name: (numpy_helper.to_array(v) if isinstance(v, TensorProto) else np.asarray(v))
                for j, v in enumerate(inputs)}
        try:
            got = sess.run(names, feed)
        except Exception as exc:
            return "ort-run: " + str(exc).splitlines()[0][:120]
        for name, g, w in zip(names, got, outputs):
            w = numpy_helper.to_array(w) if isinstance(w, TensorProto) else np.asarray(w)
            g = np.asarray(g)
            if g.shape != w.shape:
                return f"ort shape {g.shape} != {w.shape} for {name}"
            if w.dtype == bool or np.issubdtype(w.dtype, np.integer):
                if not np.array_equal(g, w):
                    return f"ort value mismatch for {name}"
                continue
            g64, w64 = g.astype(np.float64), w.astype(np.float64)
            same_inf = np.isinf(w64) & (g64 == w64)
            ok = same_inf | (np.abs(g64 - w64) <= ATOL + RTOL * np.abs(w64)) | (np.isnan(g64) & np.isnan(w64))
            if not ok.all():
                return f"ort max |diff| {np.nanmax(np.abs(g64 - w64)):.3g} for {name}"
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "..", "fixtures", "onnx-node"))
    ap.add_argument("--no-ort-check", action="store_true")
    args = ap.parse_args(argv)
    root = os.path.normpath(args.out)

    import onnx.backend.test.case.node as node_cases
    np.random.seed(SEED)
    cases = [c for c in node_cases.collect_testcases() if c.kind == "node"]
    by_name = {c.name: c for c in cases}

    def family_ops(case):
        base = by_name.get(EXPANDED.sub("", case.name), case)
        return {n.op_type for n in base.model.graph.node} - {"Constant"} or {"Constant"}

    if os.path.isdir(root):
        shutil.rmtree(root)
    os.makedirs(root)
    lines, stats = [], collections.Counter()
    ort_notes = []
    for case in sorted(cases, key=lambda c: c.name):
        fam = family_ops(case)
        if not fam & SUPPORTED:
            continue
        reason, derive = exclusion(case, fam)
        if reason is not None and not derive:
            lines.append(f"{case.name} exclude {reason}")
            stats["exclude"] += 1
            continue
        if reason is not None:
            lines.append(f"{case.name} exclude {reason}")
            stats["exclude"] += 1
        name = case.name + "__first_output" if derive else case.name
        model, data = select_outputs(case.model, case.data_sets, derive)
        problem = None if args.no_ort_check else ort_check(model, data)
        if problem and not problem.startswith("ort-load"):
            lines.append(f"{name} exclude onnxruntime disagrees with the onnx reference ({problem})")
            if not derive:
                stats["exclude"] += 1
            continue
        if problem:
            ort_notes.append(f"{name}: {problem}")
        write_case(root, name, model, data)
        lines.append(f"{name} include" + (f" {ATOL_NOTES[name]}" if name in ATOL_NOTES else ""))
        stats["written"] += 1
        if not derive:
            stats["include"] += 1
    with open(os.path.join(root, "manifest.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"node_tests: {len(lines)} manifest lines, {stats['include']} original cases included, "
          f"{stats['exclude']} excluded, {stats['written']} case directories written to {root}")
    reasons = collections.Counter(l.split(" ", 2)[2].split(":")[0] for l in lines if " exclude " in l)
    for r, n in reasons.most_common():
        print(f"  exclude x{n}: {r}")
    if ort_notes:
        print(f"onnxruntime could not run {len(ort_notes)} included case(s) (kept):")
        for p in ort_notes:
            print("  " + p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
