import Graph

/// Ablation-CAM (Desai & Ramaswamy 2020; pytorch-grad-cam `ablation_cam.py`; docs/methods.md, "ablationcam"):
/// w_k = (y − y_k) / y, where y is the target score and y_k the score with channel k of the layer
/// ablated; map = Σ_k w_k A_k, then the shared ReLU / minmax / resize.
///
/// The ablated batches start at the layer (the executor runs only what follows it, as
/// pytorch-grad-cam's replaced layer does), `batchSize` channels per forward; progress counts
/// ablated channels (N·K). The ablated value is 0 when the image's activation minimum is 0, else
/// (minimum − 1e7), as pytorch-grad-cam's `AblationLayer`; pytorch-grad-cam subtracts a further
/// 1e7 for every later item of a batch in that case (the running minimum includes the items
/// already ablated), which this does not copy. All channels are ablated
/// (`ratio_channels_to_ablate = 1`).
public struct AblationCAM: ChannelWeightCAM {
    public init() {}
    public init(parameters: MethodParameters) throws {}
    public static let entry = MethodRegistry.Entry(
        name: "ablationcam", summary: "Ablation-CAM: score drop when each channel is zeroed", kind: .layer, batches: true) { try AblationCAM(parameters: $0) }

    public var usesGradients: Bool { false }

    public func channelWeights(_ layer: LayerValues, context: CAMContext) throws -> [Float] {
        let a = layer.activation
        let model = context.model
        let output = model.outputName(for: context.request.target)
        let needsInput = PerturbationBatches.needsInput(model: model, from: layer.name, output: output)
        var batches = try PerturbationBatches(model: model, request: context.request, total: a.n * a.k)
        let per = a.k * a.hw
        var weights: [Float] = []
        for b in 0..<a.n {
            let item = Array(a.values[(b * per)..<((b + 1) * per)])
            let lowest = item.min() ?? 0
            let ablated: Float = lowest == 0 ? 0 : lowest - 1e7
            let image = needsInput ? try PerturbationBatches.image(context.request.input, b) : []
            let scores = try batches.scores(count: a.k, target: context.capture.targets[b]) { range in
                var batch = PerturbationBatches.repeated(item, shape: [a.k, a.h, a.w], times: range.count)
                try batch.withMutableFloats { p in
                    for (i, k) in range.enumerated() {
                        let o = i * per + k * a.hw
                        for j in 0..<a.hw { p[o + j] = ablated }
                    }
                }
                var feeds = [layer.name: batch]
                if needsInput {
                    feeds[model.inputName] = PerturbationBatches.repeated(image, shape: Array(context.request.input.shape.dropFirst()),
                                                                          times: range.count)
                }
                return feeds
            }
            let y = context.capture.scores[b]
            // pytorch-grad-cam divides by y; a zero score would give NaN, so it is left out then
            // (the map's minmax makes the two equal up to sign).
            weights += scores.map { y != 0 ? (y - $0) / y : y - $0 }
        }
        return weights
    }
}
