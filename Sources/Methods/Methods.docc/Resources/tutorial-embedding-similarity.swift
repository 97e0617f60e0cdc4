// The same network as an embedding model: its pooled 1280-d features, not its logits.
let embedder = try ExplainModel(graph: graph, registry: registry,
                                options: ExplainModel.Options(output: "/global_pool/flatten/Flatten_output_0"))
let query = try Preprocessor.apply(try ImageDecoder.read(path: "fixtures/photos/chelsea.png"),
                                   spec: spec, channels: 3, height: 224, width: 224)
let reference = try Preprocessor.apply(try ImageDecoder.read(path: "fixtures/photos/coffee.png"),
                                       spec: spec, channels: 3, height: 224, width: 224)

// The target: cosine similarity of the query's embedding to the reference photo's.
let similar = ExplainJob(target: try Target.similarity(toImage: reference.tensor, metric: .cosine, model: embedder))
let similarity = try similar.predict(query.tensor, model: embedder)
print("cosine similarity:", similarity.targets[0].score)
let why = try similar.explain(gradcam, input: query.tensor, prediction: similarity, model: embedder)
// why.map [1, 224, 224]: where the query looks like the reference (fam works here too)
