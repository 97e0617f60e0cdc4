#!/usr/bin/env bash
# Regenerates the libprotobuf-c bindings for the ONNX subset cfcam reads.
# Needs protobuf-c-compiler (protoc-c). Output is committed.
set -euo pipefail
cd "$(dirname "$0")/../Sources/ONNXProto"
protoc-c --c_out=. onnx-subset.proto
mv onnx-subset.pb-c.h include/onnx-subset.pb-c.h
sed -i 's|#include "onnx-subset.pb-c.h"|#include "include/onnx-subset.pb-c.h"|' onnx-subset.pb-c.c
echo "regenerated Sources/ONNXProto/{onnx-subset.pb-c.c,include/onnx-subset.pb-c.h}"
