#!/usr/bin/env bash
# The test command: sets up the machine (C libraries, pinned Python references), generates the
# large reference models into fixtures/cache (once; cached), then runs the whole Swift test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --python
source scripts/openblas-env.sh
.venv/bin/python scripts/reference/export_models.py --out fixtures/cache
.venv/bin/python scripts/reference/export_state_dicts.py --out fixtures/cache
.venv/bin/python scripts/reference/export_gradients.py --models-dir fixtures/cache --out fixtures/cache
# float64 zennit LRP on vgg16_bn (LRPPrecisionTests); about a minute, once.
[ -f fixtures/cache/vgg16_bn.zennit.npz ] || .venv/bin/python scripts/reference/zennit_vgg16_bn_ref.py --out fixtures/cache
[ -f fixtures/cache/resnet18.cam.npz ] && [ -f fixtures/cache/resnet18_embedding_op17.onnx ] && [ -f fixtures/cache/vgg16_bn.cam.npz ] || \
  .venv/bin/python fixtures/cam/generate.py --only resnet18,mobilenet_v2,vgg16_bn
# timm architectures (seeded) and a trained fixed-batch EfficientNet-Lite0, each with onnxruntime
# outputs and pytorch-grad-cam / Zennit references (fixtures/cache/{timm,real}; stamped, skipped when current).
.venv/bin/python scripts/reference/timm_exports.py
.venv/bin/python scripts/reference/real_model.py
# The slow tests run in a release build: Score-CAM on resnet18 layer4 (1024 forwards) against
# pytorch-grad-cam, and every registry method on the trained fixed-batch EfficientNet-Lite0.
swift build -c release --build-tests -Xswiftc -enable-testing --scratch-path .build-release-tests
CFCAM_SLOW_TESTS=1 swift test -c release -Xswiftc -enable-testing --scratch-path .build-release-tests --skip-build \
  --disable-swift-testing --filter "ResNet18ReferenceTests.testScoreCAM|ThirdPartyMethodTests.testEveryRegistryMethodOnTheTrainedFixedBatchModel"
swift build --build-tests
# DocC for the library products (catalogs and tutorials; a broken link is an error).
bash scripts/docs.sh
# The sample plugin package (a separate SwiftPM package depending on this one, as a user's plugin
# would): its own tests (VJP by finite differences, LRP conservation), then its library, which
# CLIPluginTests loads into the cfcam executable.
swift build --build-tests --package-path Examples/SwishPlugin
swift test --skip-build --disable-swift-testing --package-path Examples/SwishPlugin
# XCTest only: the suite has no swift-testing tests, and its empty "0 tests" summary would be the last line.
swift test --skip-build --disable-swift-testing 2>&1 | tee .build/test.log
