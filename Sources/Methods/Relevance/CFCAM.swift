import Graph
import Rules

/// CF-CAM, coarse-to-fine CAM based on contrastive LRP (Sun, Shi, Wang, JEIT 2023,
/// doi 10.11999/JEIT220113), reconstructed from its abstract (docs/methods.md, "cfcam"):
///
/// 1. forward: A = the layer's activation [K, h, w], logits z; class c (default top-1);
/// 2. contrastive relevance R at the layer (as Relevance-CAM: R-CAM preset, `clrp_rcam`);
/// 3. coarse, spatial: P(i,j) = Σ_k R_k(i,j) (a sum over *channels*); M = minmax(Up(ReLU(P)));
/// 4. fine, channel: per unit u (a channel; or a group, see `groups`) a mask H_u
///    (`maskSource`, default minmax(Up(ReLU(A_u))) ⊙ M), the blended input
///    X_u = X ⊙ H_u + B(X) ⊙ (1 − H_u), and a weight α_u from the network's score of X_u
///    (`score`, default ReLU(p_c(X_u) − p_c(B(X))));
/// 5. map = minmax(ReLU(Σ_u α_u Up(A_u))) (`combination`).
///
/// Choices made where the abstract leaves room (docs/methods.md, "Reconstructed methods"):
/// - every minmax inside the masks (M, H_u) has δ = 0 and gives zeros for a constant map
///   (Group-CAM's convention); the final map's minmax has the shared δ = 1e-7;
/// - a unit whose mask source is constant at the layer's resolution (range < 1e-12; e.g. a
///   channel that ReLU zeroes everywhere) gets α_u = 0 and is not evaluated, for every `score`
///   (a constant channel has H_k = 0 and weight 0); with
///   `logit_softmax_over_channels` the softmax runs over the evaluated units only;
/// - up-sampling is bilinear with align_corners=False everywhere; Up is linear, so
///   Σ_u α_u Up(A_u) is computed as Up(Σ_u α_u A_u);
/// - grouping replaces channels by G contiguous chunks with group map S_g = ReLU(Σ_{k∈g} w_k A_k)
///   (Group-CAM) and group relevance Σ_{k∈g} R_k; every step above then uses S_g and the group
///   relevance in place of A_k and R_k. The default weights w_k are the Relevance-CAM weights
///   (mean R_k), so grouping needs no gradient;
/// - non-class targets (similarity, contrast, functions) are scored by their raw score in the
///   probability modes (there is no class probability), and their relevance starts from the
///   score's gradient (see `RelevanceOptions.contrast`).
///
/// Cost: one forward + one LRP forward/backward, then per image K + 1 forwards (G + 1 grouped;
/// no blurred-baseline forward unless `score` is `prob_minus_blur`), from the input,
/// `batchSize` blended inputs per forward; progress counts those forwards' inputs.
public struct CFCAM: CAMMethod {
    public var options: CFCAMOptions

    public init(_ options: CFCAMOptions) { self.options = options }
    public init() throws { self.init(try CFCAMOptions()) }
    /// See `CFCAMOptions.init(parameters:)` for the keys.
    public init(parameters: MethodParameters) throws { self.init(try CFCAMOptions(parameters: parameters)) }
    public static let entry = MethodRegistry.Entry(
        name: "cfcam", summary: "CF-CAM: contrastive-relevance spatial mask, then blurred-blend re-scoring per channel", kind: .layer,
        parameters: CFCAMOptions.parameters, batches: true) { try CFCAM(parameters: $0) }

    public var usesGradients: Bool { options.groups != nil && options.groupWeights == .gradient }

    public var constantMapReason: String {
        switch options.score {
        case .probMinusBlur:
            return "every \(options.groups == nil ? "channel" : "group")'s blended input scored at or below the blurred input (all weights ReLU(p(X_u) - p(blur)) = 0)" + (options.groups != nil ? "; fewer groups or groups=0 give more units a chance" : "")
        case .prob, .logitSoftmaxOverChannels:
            return "every unit's mask was constant, or the weighted units sum to <= 0 everywhere"
        }
    }

    /// The units of one image: their maps S_u and relevances at the layer's resolution.
    struct Units {
        var maps: [[Float]]
        var relevance: [[Float]]
    }

    func units(_ b: Int, activation a: FeatureMap, relevance r: FeatureMap, gradientWeights: [Float]?) -> Units {
        guard let g = options.groups else {
            return Units(maps: (0..<a.k).map { Array(a.channel(b, $0)) }, relevance: (0..<a.k).map { Array(r.channel(b, $0)) })
        }
        let chunk = (a.k + g - 1) / g
        let relTotals = r.channelTotals()
        var maps: [[Float]] = [], rels: [[Float]] = []
        for start in stride(from: 0, to: a.k, by: chunk) {
            var s = [Float](repeating: 0, count: a.hw), rs = [Float](repeating: 0, count: a.hw)
            for k in start..<min(a.k, start + chunk) {
                let wk: Float
                switch options.groupWeights {
                case .relevance: wk = relTotals[b * a.k + k] / Float(a.hw)
                case .gradient: wk = gradientWeights?[b * a.k + k] ?? 0
                case .none: wk = 1
                }
                for (i, v) in a.channel(b, k).enumerated() { s[i] += wk * v }
                for (i, v) in r.channel(b, k).enumerated() { rs[i] += v }
            }
            maps.append(s.map { max($0, 0) }); rels.append(rs)
        }
        return Units(maps: maps, relevance: rels)
    }

    /// The low-resolution source of unit u's mask.
    func maskSource(_ units: Units, _ u: Int) -> [Float] {
        switch options.maskSource {
        case .actXSpatial: return units.maps[u].map { max($0, 0) }
        case .relChannel: return units.relevance[u].map { max($0, 0) }
        case .actOnly: return units.maps[u]
        }
    }

    /// Raw CF-CAM maps [N, H, W] at the input size, before the final minmax.
    public func rawMap(_ layer: LayerValues, context: CAMContext) throws -> MapBatch {
        let a = layer.activation, x = context.request.input
        let (n, h, w) = try context.request.inputSize()
        guard a.n == n else { throw ExplainError("layer '\(layer.name)' has batch \(a.n), the input \(n)") }
        let rel = try LayerRelevance.compute(model: context.model, request: context.request, capture: context.capture,
                                             layers: [layer.name], options: options.relevance)
        guard let rt = rel[layer.name] else { throw GraphError.missingValue(layer.name) }
        let r = try FeatureMap(rt, name: layer.name)
        let gradWeights = usesGradients ? try GradCAM().channelWeights(layer, context: context) : nil
        let low = { (v: [Float]) in MapBatch(unchecked: 1, h: a.h, w: a.w, values: v) }

        let all = (0..<n).map { units($0, activation: a, relevance: r, gradientWeights: gradWeights) }
        let evaluated: [[Int]] = all.map { un in
            un.maps.indices.filter { u in
                let s = maskSource(un, u)
                return ((s.max() ?? 0) - (s.min() ?? 0)) >= 1e-12
            }
        }
        let baseline = options.score == .probMinusBlur
        let total = evaluated.reduce(0) { $0 + $1.count + (baseline ? 1 : 0) }
        var batches = try PerturbationBatches(model: context.model, request: context.request, total: total)
        let shape = Array(x.shape.dropFirst())
        let plane = h * w
        var out = [Float](repeating: 0, count: n * plane)

        for b in 0..<n {
            let un = all[b], target = context.capture.targets[b]
            // Coarse: the spatial relevance mask M.
            var p = [Float](repeating: 0, count: a.hw)
            for k in 0..<r.k { for (i, v) in r.channel(b, k).enumerated() { p[i] += v } }
            let spatial = low(p).relu().resized(height: h, width: w).minmax(delta: 0).values
            func mask(_ u: Int) -> [Float] {
                var m = low(maskSource(un, u)).resized(height: h, width: w).minmax(delta: 0).values
                if options.maskSource == .actXSpatial { for i in m.indices { m[i] *= spatial[i] } }
                return m
            }
            // Fine: score the blended inputs.
            let image = try PerturbationBatches.image(x, b)
            let blurred = options.blur.apply(image, h: h, w: w)
            let probability = options.score != .logitSoftmaxOverChannels
            var base: Float = 0
            if baseline {
                base = try batches.scores(count: 1, target: target, probability: true) { _ in
                    [context.model.inputName: Tensor(unchecked: [1] + shape, floats: blurred)]
                }[0]
            }
            let units = evaluated[b]
            let scores = try batches.scores(count: units.count, target: target, probability: probability) { range in
                var batch = [Float](repeating: 0, count: range.count * image.count)
                for (i, j) in range.enumerated() {
                    let m = mask(units[j])
                    for c in 0..<shape[0] {
                        let o = i * image.count + c * plane, src = c * plane
                        for q in 0..<plane { batch[o + q] = blurred[src + q] + (image[src + q] - blurred[src + q]) * m[q] }
                    }
                }
                return [context.model.inputName: Tensor(unchecked: [range.count] + shape, floats: batch)]
            }
            var alpha = [Float](repeating: 0, count: un.maps.count)
            switch options.score {
            case .probMinusBlur: for (j, u) in units.enumerated() { alpha[u] = max(scores[j] - base, 0) }
            case .prob: for (j, u) in units.enumerated() { alpha[u] = scores[j] }
            case .logitSoftmaxOverChannels:
                let s = softmax(scores)
                for (j, u) in units.enumerated() { alpha[u] = s[j] }
            }
            // Combination.
            var cam = [Float](repeating: 0, count: plane)
            switch options.combination {
            case .act, .actXMask:
                var sum = [Float](repeating: 0, count: a.hw)
                for (u, al) in alpha.enumerated() where al != 0 { for (i, v) in un.maps[u].enumerated() { sum[i] += al * v } }
                cam = low(sum).resized(height: h, width: w).relu().values
                if options.combination == .actXMask { for i in cam.indices { cam[i] *= spatial[i] } }
            case .masks:
                for (u, al) in alpha.enumerated() where al != 0 { for (i, v) in mask(u).enumerated() { cam[i] += al * v } }
            }
            for i in 0..<plane { out[b * plane + i] = cam[i] }
        }
        return try MapBatch(n: n, h: h, w: w, values: out)
    }

    public func layerMap(_ layer: LayerValues, context: CAMContext) throws -> MapBatch {
        try rawMap(layer, context: context).minmax()
    }
}
