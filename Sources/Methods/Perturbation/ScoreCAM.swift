import Graph

/// Score-CAM (Wang et al. CVPRW 2020; docs/methods.md, "scorecam"): each channel's up-sampled, min-max normalised
/// activation masks the input; the target's score on the masked input weights the channel.
/// No gradients. The masked inputs of each image are evaluated `batchSize` at a time, each batch a
/// forward from the input; progress counts masked inputs (N·K in all).
///
/// Variants (the reference codes compute different maps):
/// - `pytorchGradCAM` (default, what pytorch-grad-cam 1.5.7 `score_cam.py` computes): masks
///   up-sampled with align_corners=True and normalised with δ = 1e-8; α = softmax over channels of
///   the target score (the raw logit for class targets); map = Σ α_k A_k at the layer's
///   resolution, then the shared ReLU / minmax / resize.
/// - `official` (haofanwang/Score-CAM): masks up-sampled with align_corners=False, normalised with
///   δ = 0 and channels with a constant map skipped (α_k = 0); α_k = softmax(output)[c], the class
///   probability (other targets: their raw score), no channel softmax; map = ReLU(Σ α_k Up(A_k))
///   at the input size, then minmax (a constant map gives zeros rather than the official None).
///   Up is linear, so Σ α_k Up(A_k) = Up(Σ α_k A_k) is computed at the layer's resolution first.
public struct ScoreCAM: ChannelWeightCAM {
    public enum Variant: String, CaseIterable, Sendable {
        case pytorchGradCAM = "pytorch-grad-cam"
        case official
    }
    public var variant: Variant

    public init(variant: Variant = .pytorchGradCAM) { self.variant = variant }
    /// Reads `variant` (pytorch-grad-cam | official).
    public init(parameters: MethodParameters) throws {
        variant = try parameters.choice("variant", default: Variant.pytorchGradCAM)
    }
    public static let parameters: [MethodParameter] = [
        .choice("variant", default: Variant.pytorchGradCAM, "pytorch-grad-cam 1.5.7's computation, or the official repository's"),
    ]
    public static let entry = MethodRegistry.Entry(
        name: "scorecam", summary: "Score-CAM: channel weights from scores of activation-masked inputs", kind: .layer,
        parameters: parameters, batches: true) { try ScoreCAM(parameters: $0) }

    public var usesGradients: Bool { false }

    public var constantMapReason: String {
        variant == .official ? "every channel was constant or scored a class probability of 0 on its masked input"
            : "the channel-softmax weights sum the activations to <= 0 everywhere"
    }

    public func layerMap(_ layer: LayerValues, context: CAMContext) throws -> MapBatch {
        let (_, h, w) = try context.request.inputSize()
        let raw = try rawMap(layer, context: context)
        switch variant {
        case .pytorchGradCAM: return raw.relu().minmax().resized(height: h, width: w)
        case .official: return raw.resized(height: h, width: w).relu().minmax(delta: 0)
        }
    }

    public func channelWeights(_ layer: LayerValues, context: CAMContext) throws -> [Float] {
        let x = context.request.input
        let (n, h, w) = try context.request.inputSize()
        let a = layer.activation
        guard a.n == n else { throw ExplainError("layer '\(layer.name)' has batch \(a.n), the input \(n)") }
        let channels = x.shape[1]
        let official = variant == .official
        let resize = BilinearResize(inH: a.h, inW: a.w, outH: h, outW: w, alignCorners: !official)
        // A channel whose map is constant (often all zero after a ReLU) masks the input with zeros:
        // every such channel has the same masked input, so one forward of the zero image scores
        // them all (the official variant skips them). Exact: the other channels run as before.
        let plans = (0..<n).map { b in ScoreCAM.plan(a, image: b, official: official) }
        var batches = try PerturbationBatches(model: context.model, request: context.request,
                                              total: plans.reduce(0) { $0 + $1.items.count })
        var weights: [Float] = []
        for b in 0..<n {
            let image = try PerturbationBatches.image(x, b)
            let items = plans[b].items
            var skipped = Set(official ? plans[b].constant : [])
            let scored = try batches.scores(count: items.count, target: context.capture.targets[b], probability: official) { range in
                var batch = [Float](repeating: 0, count: range.count * image.count)
                var mask = [Float](repeating: 0, count: h * w)
                for (i, item) in range.enumerated() {
                    guard let k = items[item] else { continue }   // the zero image
                    guard try ScoreCAM.mask(Array(a.channel(b, k)), resize: resize, into: &mask, official: official) else {
                        skipped.insert(k); continue   // official: constant after up-sampling
                    }
                    for c in 0..<channels {
                        let o = i * image.count + c * h * w, src = c * h * w
                        for p in 0..<(h * w) { batch[o + p] = image[src + p] * mask[p] }
                    }
                }
                return [context.model.inputName: Tensor(unchecked: [range.count] + Array(x.shape.dropFirst()), floats: batch)]
            }
            var scores = [Float](repeating: 0, count: a.k)
            for (item, k) in items.enumerated() {
                if let k { scores[k] = scored[item] } else { for c in plans[b].constant { scores[c] = scored[item] } }
            }
            if official {
                weights += (0..<a.k).map { skipped.contains($0) ? 0 : scores[$0] }
            } else {
                weights += softmax(scores)
            }
        }
        return weights
    }

    /// The masked inputs one image needs: each non-constant channel (its index), plus one zero
    /// image (`nil`) standing for all constant channels in the pytorch-grad-cam variant.
    static func plan(_ a: FeatureMap, image b: Int, official: Bool) -> (items: [Int?], constant: [Int]) {
        var items: [Int?] = [], constant: [Int] = []
        for k in 0..<a.k {
            let ch = a.channel(b, k)
            if let first = ch.first, ch.allSatisfy({ $0 == first }) { constant.append(k) } else { items.append(k) }
        }
        if !official && !constant.isEmpty { items.append(nil) }
        return (items, constant)
    }

    /// The normalised up-sampled mask of one channel; false when the official variant skips it.
    static func mask(_ channel: [Float], resize: BilinearResize, into out: inout [Float], official: Bool) throws -> Bool {
        resize.apply(channel, into: &out)
        let lo = out.min() ?? 0, hi = out.max() ?? 0
        if official {
            guard hi > lo else { return false }
            let s = 1 / (hi - lo)
            for i in out.indices { out[i] = (out[i] - lo) * s }
        } else {
            let s = 1 / (hi - lo + 1e-8)
            for i in out.indices { out[i] = (out[i] - lo) * s }
        }
        return true
    }
}
