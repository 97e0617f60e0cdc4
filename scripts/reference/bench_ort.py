#!/usr/bin/env python3
"""Times onnxruntime CPU inference of one ONNX model (baseline for cfcam benchmarks).

  bench_ort.py MODEL.onnx [--threads 2] [--batch 1] [--runs 20] [--warmup 3] [--seed 0]

Session: CPUExecutionProvider, intra_op_num_threads=--threads,
inter_op_num_threads=1, ORT_SEQUENTIAL, ORT_ENABLE_ALL. Every float graph input
gets seeded standard-normal data (integer inputs get zeros, bools False); a
symbolic or unknown dimension becomes --batch when it is the first dimension
and 1 otherwise. After --warmup untimed runs, --runs runs are timed one by one.
Prints `median_ms=<x>` (plus min/mean on a second line).
"""

import argparse
import statistics
import sys
import time

import numpy as np
import onnxruntime as ort

_NP_TYPES = {
    "tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(float16)": np.float16,
    "tensor(int64)": np.int64, "tensor(int32)": np.int32, "tensor(int8)": np.int8,
    "tensor(uint8)": np.uint8, "tensor(bool)": np.bool_,
}


def make_inputs(sess, batch, seed):
    rng = np.random.default_rng(seed)
    feed = {}
    for inp in sess.get_inputs():
        shape = [d if isinstance(d, int) and d >= 0 else (batch if i == 0 else 1)
                 for i, d in enumerate(inp.shape)]
        dtype = _NP_TYPES.get(inp.type)
        if dtype is None:
            raise SystemExit(f"bench_ort: input {inp.name!r} has unsupported type {inp.type}")
        if np.issubdtype(dtype, np.floating):
            feed[inp.name] = rng.standard_normal(shape).astype(dtype)
        else:
            feed[inp.name] = np.zeros(shape, dtype=dtype)
    return feed


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.runs < 1 or args.threads < 1 or args.batch < 1 or args.warmup < 0:
        ap.error("--runs, --threads and --batch must be >= 1, --warmup >= 0")

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = args.threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(args.model, sess_options=opts, providers=["CPUExecutionProvider"])
    feed = make_inputs(sess, args.batch, args.seed)
    names = [o.name for o in sess.get_outputs()]

    for _ in range(args.warmup):
        sess.run(names, feed)
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        sess.run(names, feed)
        times.append((time.perf_counter() - t0) * 1e3)
    print(f"median_ms={statistics.median(times):.3f}")
    print(f"min_ms={min(times):.3f} mean_ms={statistics.fmean(times):.3f} runs={args.runs} "
          f"threads={args.threads} batch={args.batch} ort={ort.__version__}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
