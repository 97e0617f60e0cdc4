import Graph

/// One layer's captured values, as CAM methods see them.
public struct LayerValues: Sendable {
    /// The value name.
    public let name: String
    /// Activation A [N, K, h, w].
    public let activation: FeatureMap
    /// Gradient dScore/dA [N, K, h, w] (nil for gradient-free methods).
    public let gradient: FeatureMap?

    public func requireGradient() throws -> FeatureMap {
        guard let g = gradient else { throw ExplainError("layer '\(name)': no gradient was captured") }
        return g
    }
}

/// Everything a CAM method may use beyond the layer values.
public struct CAMContext: Sendable {
    public let request: ExplainRequest
    public let model: ExplainModel
    public let capture: LayerCapture
}

/// A class-activation-map method: builds a raw map [N, h, w] at each layer; the shared pipeline
/// (`CAMPipeline`) does capture, ReLU, minmax, resizing and multi-layer aggregation
/// (docs/methods.md, "Conventions").
public protocol CAMMethod: ExplanationMethod {
    /// Whether the capture runs a backward walk for dScore/dA.
    var usesGradients: Bool { get }
    /// The raw map Σ_k w_k A_k (or a per-pixel equivalent) at the layer's resolution, before ReLU.
    func rawMap(_ layer: LayerValues, context: CAMContext) throws -> MapBatch
    /// The layer's map normalised to [0, 1] at the input size. Default: pytorch-grad-cam's
    /// ReLU -> minmax (δ 1e-7) -> bilinear resize (align_corners=False, as cv2.resize).
    func layerMap(_ layer: LayerValues, context: CAMContext) throws -> MapBatch
    /// Why this method's map can come out constant (all zero), for the warning the pipeline gives.
    var constantMapReason: String { get }
}

/// A CAM defined by one weight per channel and image: map = Σ_k w_k A_k.
public protocol ChannelWeightCAM: CAMMethod {
    /// Weights [N * K] (row-major [N, K]).
    func channelWeights(_ layer: LayerValues, context: CAMContext) throws -> [Float]
}

extension ChannelWeightCAM {
    public func rawMap(_ layer: LayerValues, context: CAMContext) throws -> MapBatch {
        try layer.activation.weightedSum(try channelWeights(layer, context: context))
    }
}

extension CAMMethod {
    public var usesGradients: Bool { true }
    public var constantMapReason: String {
        "the weighted sum of the channels is <= 0 everywhere (every channel weight <= 0, or the positive ones sit on zero activations)"
    }

    public func layerMap(_ layer: LayerValues, context: CAMContext) throws -> MapBatch {
        let (_, h, w) = try context.request.inputSize()
        return try rawMap(layer, context: context).relu().minmax().resized(height: h, width: w)
    }

    public func explain(_ request: ExplainRequest, model: ExplainModel) throws -> Tensor {
        try CAMPipeline.run(self, request: request, model: model).tensor
    }
}

/// The shared CAM pipeline: resolve layers, add NCHW views of channels-last and token layers,
/// capture, per-layer maps, aggregate, and warn about constant maps.
public enum CAMPipeline {
    public static func run(_ method: some CAMMethod, request: ExplainRequest, model: ExplainModel) throws -> MapBatch {
        _ = try request.inputSize()
        let resolved = try LayerResolver.resolve(request.layers, model: model, output: model.outputName(for: request.target))
        let (viewed, layers) = try model.withViews(of: resolved)
        let capture = try LayerCapture.run(model: viewed, input: request.input, layers: layers, target: request.target,
                                           gradients: method.usesGradients)
        let context = CAMContext(request: request, model: viewed, capture: capture)
        var maps: [MapBatch] = []
        for name in layers {
            guard let a = capture.activations[name] else { throw GraphError.missingValue(name) }
            let act = try FeatureMap(a, name: name)
            let grad = try capture.gradients[name].map { try FeatureMap($0, name: name) }
            maps.append(try method.layerMap(LayerValues(name: name, activation: act, gradient: grad), context: context))
        }
        let out = try MapBatch.aggregate(maps)
        if let warn = request.warn {
            for b in 0..<out.n {
                let m = out.map(b)
                if let lo = m.min(), let hi = m.max(), hi - lo < 1e-12 {
                    warn("image \(b): the map is constant (all \(lo)) at layer \(resolved.joined(separator: ", ")): \(method.constantMapReason)")
                }
            }
        }
        return out
    }
}
