import Graph

/// Group-CAM (Zhang, Rao, Yang 2021; wofmanaf/Group-CAM `cam/groupcam.py`; docs/methods.md, "groupcam"):
/// 1. Grad-CAM weights w_k = mean dScore/dA_k; weighted maps w_k A_k.
/// 2. The K channels split into `groups` contiguous chunks (torch.chunk: ceil(K/G) channels each).
/// 3. S_g = ReLU(Σ_{k∈g} w_k A_k); M_g = minmax(Up(S_g)) at the input size (bilinear,
///    align_corners=False; a constant group map gives M_g = 0).
/// 4. X_g = X ⊙ M_g + B(X) ⊙ (1 − M_g), B a Gaussian blur (51 x 51, σ 50, reflect) of the
///    normalised input.
/// 5. α_g = ReLU(p_c(X_g) − p_c(B(X))) with p_c the softmax probability of the class (other
///    targets: their raw score).
/// 6. map = minmax(Up(Σ_g α_g S_g)) (the official sum of up-sampled group maps; Up is linear).
/// Masked inputs are evaluated `batchSize` at a time; progress counts them (N·G in all).
public struct GroupCAM: CAMMethod {
    public var groups: Int
    public var blur: GaussianBlur

    public init(groups: Int = 32, blur: GaussianBlur? = nil) throws {
        guard groups > 0 else { throw ExplainError("Group-CAM needs groups > 0, got \(groups)") }
        self.groups = groups
        self.blur = try blur ?? GaussianBlur()
    }
    /// Reads `groups` (default 32), `blur-size` (51) and `blur-sigma` (50).
    public init(parameters: MethodParameters) throws {
        try self.init(groups: parameters.int("groups", default: 32),
                      blur: GaussianBlur(size: parameters.int("blur-size", default: 51),
                                         sigma: Double(parameters.float("blur-sigma", default: 50))))
    }
    public static let parameters: [MethodParameter] = [
        .int("groups", default: 32, "channel groups G (contiguous chunks of ceil(K/G) channels)"),
    ] + GaussianBlur.parameters
    public static let entry = MethodRegistry.Entry(
        name: "groupcam", summary: "Group-CAM: grouped Grad-CAM masks blended with a blurred input", kind: .layer,
        parameters: parameters, batches: true) { try GroupCAM(parameters: $0) }

    public var constantMapReason: String {
        "every group's blended input scored at or below the blurred input (all weights ReLU(p(X_g) - p(blur)) = 0)"
    }

    /// Σ_g α_g S_g at the layer's resolution.
    public func rawMap(_ layer: LayerValues, context: CAMContext) throws -> MapBatch {
        let a = layer.activation
        let x = context.request.input
        let (n, h, w) = try context.request.inputSize()
        let weights = try GradCAM().channelWeights(layer, context: context)
        let chunk = (a.k + groups - 1) / groups
        let groupCount = (a.k + chunk - 1) / chunk
        let resize = BilinearResize(inH: a.h, inW: a.w, outH: h, outW: w, alignCorners: false)
        var batches = try PerturbationBatches(model: context.model, request: context.request, total: n * (groupCount + 1))
        var out = [Float](repeating: 0, count: n * a.hw)
        let shape = Array(x.shape.dropFirst())
        for b in 0..<n {
            let image = try PerturbationBatches.image(x, b)
            let blurred = blur.apply(image, h: h, w: w)
            // S_g for every group.
            var groupMaps: [[Float]] = []
            for g in 0..<groupCount {
                var s = [Float](repeating: 0, count: a.hw)
                for k in (g * chunk)..<min(a.k, (g + 1) * chunk) {
                    let wk = weights[b * a.k + k]
                    for (i, v) in a.channel(b, k).enumerated() { s[i] += wk * v }
                }
                groupMaps.append(s.map { max($0, 0) })
            }
            let target = context.capture.targets[b]
            let base = try batches.scores(count: 1, target: target, probability: true) { _ in
                [context.model.inputName: Tensor(unchecked: [1] + shape, floats: blurred)]
            }[0]
            let scores = try batches.scores(count: groupCount, target: target, probability: true) { range in
                var batch = [Float](repeating: 0, count: range.count * image.count)
                var mask = [Float](repeating: 0, count: h * w)
                for (i, g) in range.enumerated() {
                    resize.apply(groupMaps[g], into: &mask)
                    let lo = mask.min() ?? 0, hi = mask.max() ?? 0
                    let scale: Float = hi > lo ? 1 / (hi - lo) : 0
                    for p in mask.indices { mask[p] = (mask[p] - lo) * scale }
                    for c in 0..<shape[0] {
                        let o = i * image.count + c * h * w
                        for p in 0..<(h * w) {
                            let m = mask[p]
                            batch[o + p] = image[c * h * w + p] * m + blurred[c * h * w + p] * (1 - m)
                        }
                    }
                }
                return [context.model.inputName: Tensor(unchecked: [range.count] + shape, floats: batch)]
            }
            for g in 0..<groupCount {
                let alpha = max(scores[g] - base, 0)
                if alpha == 0 { continue }
                for i in 0..<a.hw { out[b * a.hw + i] += alpha * groupMaps[g][i] }
            }
        }
        return try MapBatch(n: n, h: a.h, w: a.w, values: out)
    }

    public func layerMap(_ layer: LayerValues, context: CAMContext) throws -> MapBatch {
        let (_, h, w) = try context.request.inputSize()
        return try rawMap(layer, context: context).resized(height: h, width: w).minmax()
    }
}
