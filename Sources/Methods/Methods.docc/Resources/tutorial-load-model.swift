let registry = standardRegistry()
let modelPath = "models/efficientnet-lite0/efficientnet_lite0.onnx"
let graph = try ModelLoader.load(modelPath, registry: registry)
let model = try ExplainModel(graph: graph, registry: registry)
print(model.summary)

// Preprocessing and class names travel in the file (ONNX metadata_props).
let metadata = try ModelMetadata.load(modelPath: modelPath)
let spec = try metadata.preprocess ?? PreprocessPreset.spec(named: "imagenet", inputSize: 224)
let labels = metadata.labels ?? []
