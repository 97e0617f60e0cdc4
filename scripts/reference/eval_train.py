#!/usr/bin/env python3
"""Trains the evaluation models on the synthetic shapes and commits them as ONNX.

    .venv/bin/python scripts/reference/eval_train.py [--only shapes_resnet,...] [--epochs N]

Data: scripts/reference/eval_data.py's generator. Training split seed 1 (12000 images, a quarter
with two objects of different classes), validation split seed 2 (800 images, same mix), both in
memory only; the committed test split fixtures/eval/synthetic/ (seed 0, 180 images) is read from its
PNGs. Input: each 112 x 112 image resized to 56 x 56 (PIL bilinear, as cfcam's preprocessing), then
(pixel / 255 - ImageNet mean) / ImageNet std; no augmentation (the generator already varies
background, colour, size, rotation and position).

Classifiers (eval_models.py: shapes_resnet, shapes_vgg, shapes_mobilenet): cross-entropy against
soft targets (1 for a one-object image's class; 1/2 and 1/2 for a two-object image's classes),
AdamW (lr 3e-3, weight decay 5e-4), one-cycle schedule (10 % warm-up), batch 32, 8 epochs. Accuracy: top-1 on one-object
images; on two-object images a hit when the two largest logits are the two classes present.
Embedding (shapes_embed): its trunk starts from the trained shapes_resnet's `features` (the same
architecture; so shapes_resnet is trained first, and its state_dict is kept in the cache folder),
then the whole network is trained with a supervised contrastive loss (Khosla et al. 2020,
temperature 0.1) on L2-normalised embeddings of one-object images. (From scratch, a batch-hard
triplet loss collapsed every embedding to one point, recall@1 at chance after 2 epochs, and the
contrastive loss reached recall@1 48 % on the test split after 8 epochs.) batches of 6 images of each of the 6 classes, same optimiser and schedule.
Retrieval recall@1: for each one-object image, the most cosine-similar other one-object image of
the same split has its class.

Every seed is fixed (torch.manual_seed(0) before each model, the data seeds above); 1 thread per
process (`--only` lets two processes train different models side by side; accuracy.json and
README.md are updated under a file lock).
Outputs, in fixtures/eval/models/:
  <name>.onnx      opset 17 (legacy TorchScript exporter), input "input" [batch, 3, 56, 56],
                   output "logits" [batch, 6] or "embedding" [batch, 32]; metadata_props
                   cfcam.preprocess (docs/preprocessing.md), cfcam.labels (classifiers),
                   cfcam.licence
  <name>.io.npz    onnxruntime's output for the first 4 test images ("input", output name)
  accuracy.json    per model: accuracies / recall@1 (validation and test, with counts), training
                   wall time, parameters, epochs, max |onnxruntime - torch| on the test split, and
                   onnxruntime's per-image prediction on the test split (top-2 classes, or the
                   retrieved neighbour)
  README.md        one line per model (architecture, data, accuracy, licence)
Each run rewrites the entries of the models it trains and keeps the others.
Pinned versions: scripts/reference/requirements.txt (torch 2.13.0+cpu, onnx 1.23.2,
onnxruntime 1.32.0, numpy 2.4.6, Pillow 13.0.0).
"""

import argparse
import fcntl
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from PIL import Image  # noqa: E402

import eval_data as data  # noqa: E402
import eval_models as arch  # noqa: E402
import eval_sources  # noqa: E402

OUT = os.path.join(ROOT, "fixtures", "eval", "models")
TEST = os.path.join(ROOT, "fixtures", "eval", "synthetic")
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)
INPUT = data.SIZE // 2
PREPROCESS = {"resize": [INPUT, INPUT], "interpolation": "bilinear", "scale": 255.0,
              "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]}  # = MEAN, STD as written
LICENCE = ("Trained from scratch by scripts/reference/eval_train.py on synthetic images "
           "(scripts/reference/eval_data.py); no third-party weights. Same licence as cfcam.")
N_TRAIN, N_VAL, TWO_FRACTION = 12000, 800, 0.25
BATCH, LR, WD = 32, 3e-3, 5e-4
EPOCHS = {"shapes_resnet": 8, "shapes_vgg": 8, "shapes_mobilenet": 8, "shapes_embed": 6}
EMBED_INIT = "shapes_resnet"
WARMUP = 0.1
TEMPERATURE, PER_CLASS = 0.1, 6
IO_IMAGES = 4
OPSET = 17


def split(seed, n, sources):
    rng = np.random.default_rng([seed, 10**6])
    plan = data.random_plan(rng, n, TWO_FRACTION)
    imgs = np.empty((n, data.SIZE, data.SIZE, 3), np.uint8)
    for i, classes in enumerate(plan):
        imgs[i] = data.sample(seed, i, classes, sources)[0]
    return imgs, plan


def cached_split(seed, n, sources, cache_dir):
    path = os.path.join(cache_dir, f"shapes-split-s{seed}-n{n}.npz")
    if os.path.exists(path):
        z = np.load(path)
        return z["images"], [list(map(int, c[c >= 0])) for c in z["classes"]]
    imgs, plan = split(seed, n, sources)
    tmp = f"{path}.{os.getpid()}.npz"
    np.savez(tmp, images=imgs, classes=np.array([c + [-1] * (2 - len(c)) for c in plan], np.int64))
    os.replace(tmp, path)
    return imgs, plan


def test_split():
    with open(os.path.join(TEST, "manifest.json")) as f:
        m = json.load(f)
    imgs = np.stack([np.asarray(Image.open(os.path.join(TEST, e["file"])).convert("RGB")) for e in m["images"]])
    return imgs, [[b["label"] for b in e["boxes"]] for e in m["images"]]


def to_input(imgs):
    small = np.stack([np.asarray(Image.fromarray(i).resize((INPUT, INPUT), Image.BILINEAR)) for i in imgs])
    x = (small.astype(np.float32) / np.float32(255) - MEAN) / STD
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))


def soft_targets(plan):
    t = np.zeros((len(plan), len(data.CLASSES)), np.float32)
    for i, classes in enumerate(plan):
        t[i, classes] = 1.0 / len(classes)
    return t


def optimiser(model, steps):
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=WD)
    return opt, torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=LR, total_steps=steps, pct_start=WARMUP)


def train_classifier(model, x, plan, epochs):
    t = torch.from_numpy(soft_targets(plan))
    x = torch.from_numpy(x)
    steps_per_epoch = len(plan) // BATCH
    opt, sched = optimiser(model, epochs * steps_per_epoch)
    g = torch.Generator().manual_seed(0)
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(len(plan), generator=g)
        total = 0.0
        for s in range(steps_per_epoch):
            idx = perm[s * BATCH:(s + 1) * BATCH]
            loss = torch.sum(-t[idx] * F.log_softmax(model(x[idx]), 1), 1).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
        print(f"  epoch {ep + 1}/{epochs} loss {total / steps_per_epoch:.4f}", flush=True)


def supervised_contrastive(e, labels):
    """Khosla et al. 2020 (SupCon, "L_out"): for each anchor, the mean over its positives of
    -log softmax of the cosine similarity / temperature against every other image of the batch."""
    z = F.normalize(e, dim=1)
    sim = z @ z.T / TEMPERATURE
    self_mask = torch.eye(len(z), dtype=torch.bool)
    sim = sim.masked_fill(self_mask, float("-inf"))
    log_prob = sim - torch.logsumexp(sim, dim=1, keepdim=True)
    pos = (labels[:, None] == labels[None, :]) & ~self_mask
    return -(log_prob.masked_fill(~pos, 0).sum(1) / pos.sum(1)).mean()


def train_embedding(model, x, plan, epochs):
    single = [i for i, c in enumerate(plan) if len(c) == 1]
    by_class = [torch.tensor([i for i in single if plan[i][0] == k]) for k in range(len(data.CLASSES))]
    x = torch.from_numpy(x)
    per_batch = PER_CLASS * len(data.CLASSES)
    steps_per_epoch = len(single) // per_batch
    opt, sched = optimiser(model, epochs * steps_per_epoch)
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(len(data.CLASSES)).repeat_interleave(PER_CLASS)
    for ep in range(epochs):
        model.train()
        total = 0.0
        for _ in range(steps_per_epoch):
            idx = torch.cat([c[torch.randint(len(c), (PER_CLASS,), generator=g)] for c in by_class])
            loss = supervised_contrastive(model(x[idx]), labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item()
        print(f"  epoch {ep + 1}/{epochs} contrastive loss {total / steps_per_epoch:.4f}", flush=True)


@torch.no_grad()
def predict(model, x):
    model.eval()
    return torch.cat([model(torch.from_numpy(x[i:i + 256])) for i in range(0, len(x), 256)]).numpy()


def classifier_scores(logits, plan):
    """(one-object hits, count, two-object hits, count, per-image top-2)."""
    top2 = np.argsort(-logits, 1, kind="stable")[:, :2]
    s1 = [int(top2[i, 0] == c[0]) for i, c in enumerate(plan) if len(c) == 1]
    s2 = [int(set(top2[i].tolist()) == set(c)) for i, c in enumerate(plan) if len(c) == 2]
    return sum(s1), len(s1), sum(s2), len(s2), top2.tolist()


def retrieval(emb, plan):
    """(recall@1 hits, count, per-image neighbour index into the one-object images)."""
    single = [i for i, c in enumerate(plan) if len(c) == 1]
    e = emb[single] / np.linalg.norm(emb[single], axis=1, keepdims=True)
    sim = e @ e.T
    np.fill_diagonal(sim, -np.inf)
    nn_idx = np.argmax(sim, 1)
    hits = [int(plan[single[j]][0] == plan[single[i]][0]) for i, j in enumerate(nn_idx)]
    return sum(hits), len(hits), [int(single[j]) for j in nn_idx]


def export(model, name, output, x):
    path = os.path.join(OUT, f"{name}.onnx")
    model.eval()
    torch.onnx.export(model, (torch.from_numpy(x[:2]),), path, dynamo=False, opset_version=OPSET,
                      do_constant_folding=True, input_names=["input"], output_names=[output],
                      dynamic_axes={"input": {0: "batch"}, output: {0: "batch"}})
    m = onnx.load(path)
    props = {"cfcam.preprocess": json.dumps(PREPROCESS, sort_keys=True), "cfcam.licence": LICENCE}
    if output == "logits":
        props["cfcam.labels"] = json.dumps(data.CLASSES)
    onnx.helper.set_model_props(m, props)
    m.producer_name = "cfcam scripts/reference/eval_train.py"
    onnx.save(m, path)
    onnx.checker.check_model(path)
    return path


def run_ort(path, x):
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return np.concatenate([sess.run(None, {"input": x[i:i + 64]})[0] for i in range(0, len(x), 64)])


def train_one(name, epochs, train, val, test, cache):
    torch.manual_seed(0)
    embed = name in arch.EMBEDDERS
    model = arch.EMBEDDERS[name]() if embed else arch.CLASSIFIERS[name](len(data.CLASSES))
    if embed:
        init = os.path.join(cache, f"{EMBED_INIT}.pt")
        if not os.path.exists(init):
            raise SystemExit(f"{name} starts from {EMBED_INIT}'s trunk: train it first ({init} is missing)")
        state = torch.load(init, weights_only=True)
        model.features.load_state_dict({k[len("features."):]: v for k, v in state.items() if k.startswith("features.")})
    params = sum(p.numel() for p in model.parameters())
    print(f"{name}: {params} parameters, {epochs} epochs", flush=True)
    t0 = time.perf_counter()
    (train_embedding if embed else train_classifier)(model, train[0], train[1], epochs)
    seconds = time.perf_counter() - t0
    if not embed:
        torch.save(model.state_dict(), os.path.join(cache, f"{name}.pt"))
    output = "embedding" if embed else "logits"
    path = export(model, name, output, test[0])
    torch_test = predict(model, test[0])
    ort_test = run_ort(path, test[0])
    diff = float(np.abs(torch_test - ort_test).max())
    np.savez_compressed(os.path.join(OUT, f"{name}.io.npz"), input=test[0][:IO_IMAGES],
             **{output: run_ort(path, test[0][:IO_IMAGES])})
    entry = {"architecture": arch_line(name), "parameters": params, "epochs": epochs,
             "train_seconds": round(seconds, 1), "threads": torch.get_num_threads(),
             "onnx_bytes": os.path.getsize(path), "max_abs_diff_onnxruntime_vs_torch": diff}
    if embed:
        hv, nv, _ = retrieval(predict(model, val[0]), val[1])
        ht, nt, neighbours = retrieval(ort_test, test[1])
        entry.update({"output": "embedding", "val_recall_at_1": [hv, nv, hv / nv], "test_recall_at_1": [ht, nt, ht / nt],
                      "test_neighbour": neighbours})
        print(f"{name}: recall@1 val {hv}/{nv}, test {ht}/{nt}; {seconds:.0f} s; max|ort-torch| {diff:.2e}")
    else:
        v = classifier_scores(predict(model, val[0]), val[1])
        t = classifier_scores(ort_test, test[1])
        entry.update({"output": "logits",
                      "val_top1_one_object": [v[0], v[1], v[0] / v[1]], "val_top2_two_objects": [v[2], v[3], v[2] / v[3]],
                      "test_top1_one_object": [t[0], t[1], t[0] / t[1]], "test_top2_two_objects": [t[2], t[3], t[2] / t[3]],
                      "test_top2": t[4]})
        print(f"{name}: val top-1 {v[0]}/{v[1]}, two-object top-2 {v[2]}/{v[3]}; test top-1 {t[0]}/{t[1]}, "
              f"two-object {t[2]}/{t[3]}; {seconds:.0f} s; max|ort-torch| {diff:.2e}")
    return entry


def arch_line(name):
    doc = arch.__doc__.split("\n")
    start = next(i for i, line in enumerate(doc) if line.strip().startswith(name + " "))
    lines = [doc[start].strip()[len(name):].strip()]
    for line in doc[start + 1:]:
        if not line.startswith("                    "):
            break
        lines.append(line.strip())
    return " ".join(lines)


def write_readme(entries):
    rows = []
    for name in sorted(entries):
        e = entries[name]
        if e["output"] == "logits":
            acc = (f"held-out top-1 {e['test_top1_one_object'][2]:.1%} ({e['test_top1_one_object'][0]}/{e['test_top1_one_object'][1]}) "
                   f"on the test split's one-object images, two-object top-2 {e['test_top2_two_objects'][2]:.1%} "
                   f"({e['test_top2_two_objects'][0]}/{e['test_top2_two_objects'][1]}); validation {e['val_top1_one_object'][2]:.1%} / "
                   f"{e['val_top2_two_objects'][2]:.1%}")
        else:
            acc = (f"retrieval recall@1 {e['test_recall_at_1'][2]:.1%} ({e['test_recall_at_1'][0]}/{e['test_recall_at_1'][1]}) "
                   f"on the test split's one-object images; validation {e['val_recall_at_1'][2]:.1%}")
        rows.append(f"| `{name}.onnx` | {e['architecture']} ({e['parameters']:,} parameters) | synthetic shapes, "
                    f"{e['epochs']} epochs, {e['train_seconds']:.0f} s wall on {e['threads']} thread (2 shared cores) | {acc} | "
                    f"max abs diff onnxruntime vs torch {e['max_abs_diff_onnxruntime_vs_torch']:.1e} | same as cfcam (trained here) |")
    text = ["# Evaluation models", "",
            "Generated by `.venv/bin/python scripts/reference/eval_train.py` (trained here, no third-party weights, on the synthetic shapes of",
            "`scripts/reference/eval_data.py`; see `fixtures/eval/README.md`), except `efficientnet_lite0_embed.onnx`",
            "(`scripts/reference/eval_photos.py`). Figures: `accuracy.json`. Input 56 x 56 RGB (the 112-px images halved by the preprocessing), preprocessing and class",
            "names in each file's metadata (`cfcam.preprocess`, `cfcam.labels`).", "",
            "| model | architecture | training | accuracy (held-out) | export check | licence |", "|---|---|---|---|---|---|"] + rows
    text.append("| `efficientnet_lite0_embed.onnx` | EfficientNet-Lite0 without its classifier: input [batch, 3, 224, 224], "
                "output the global-average-pooled features [batch, 1280] (13.5 MB) | ImageNet-1k (the weights of "
                "`models/efficientnet-lite0`) | the bundled classifier's; not re-measured | max abs diff onnxruntime vs torch "
                "below 1e-4 (asserted by `eval_photos.py`) | Apache-2.0 (weights) |")
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write("\n".join(text) + "\n")


def main(argv=None):
    global OUT
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default=",".join(list(arch.CLASSIFIERS) + list(arch.EMBEDDERS)))
    ap.add_argument("--epochs", type=int, default=None, help="override every model's epoch count")
    ap.add_argument("--sources", default=eval_sources.DEFAULT_DIR)
    ap.add_argument("--readme-only", action="store_true", help="rewrite README.md from accuracy.json")
    ap.add_argument("--out", default=OUT, help="output folder (default fixtures/eval/models)")
    args = ap.parse_args(argv)
    OUT = os.path.abspath(args.out)
    if args.readme_only:
        with open(os.path.join(OUT, "accuracy.json")) as f:
            write_readme(json.load(f))
        return
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    os.makedirs(args.sources, exist_ok=True)
    sources = data.load_backgrounds(args.sources)
    t0 = time.perf_counter()
    tr_imgs, tr_plan = cached_split(data.TRAIN_SEED, N_TRAIN, sources, args.sources)
    va_imgs, va_plan = cached_split(data.VAL_SEED, N_VAL, sources, args.sources)
    te_imgs, te_plan = test_split()
    print(f"data ready in {time.perf_counter() - t0:.0f} s", flush=True)
    train, val, test = (to_input(tr_imgs), tr_plan), (to_input(va_imgs), va_plan), (to_input(te_imgs), te_plan)
    acc_path = os.path.join(OUT, "accuracy.json")
    for name in args.only.split(","):
        entry = train_one(name, args.epochs or EPOCHS[name], train, val, test, args.sources)
        with open(os.path.join(args.sources, "eval_train.lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            entries = json.load(open(acc_path)) if os.path.exists(acc_path) else {}
            entries[name] = entry
            with open(acc_path, "w") as f:
                json.dump(entries, f, indent=1, sort_keys=True)
                f.write("\n")
            write_readme(entries)


if __name__ == "__main__":
    main()
