/// Eigen smoothing of a channel-weight CAM: pytorch-grad-cam's `eigen_smooth=True`
/// (`BaseCAM.get_cam_image` → `get_2d_projection`; docs/methods.md, "Smoothing any method").
///
/// The base method's channel weights w_k are computed as usual; the raw map is then the first
/// principal component of the weighted activations w_k·A_k (per image, channels centred over the
/// positions, projected on the first right-singular vector) instead of their sum Σ_k w_k A_k. The
/// shared post-processing follows (ReLU → minmax → resize, pytorch-grad-cam's order), whatever
/// order the base method uses for its own maps.
///
/// The SVD's sign is arbitrary. pytorch-grad-cam's `get_2d_projection` keeps LAPACK's sign; this
/// uses the sign correction of Eigen-CAM (`EigenCAM.projection`, pytorch-grad-cam's
/// `get_2d_projection_with_sign_correction`): the projection is negated when |min| > |max|.
public struct EigenSmoothedCAM: CAMMethod {
    public var base: any ChannelWeightCAM

    public init(base: any ChannelWeightCAM) { self.base = base }

    public var usesGradients: Bool { base.usesGradients }
    public var constantMapReason: String {
        "the first principal component of the weighted channels is <= 0 everywhere (after its sign correction)"
    }

    public func rawMap(_ layer: LayerValues, context: CAMContext) throws -> MapBatch {
        let a = layer.activation
        let weights = try base.channelWeights(layer, context: context)
        guard weights.count == a.n * a.k else {
            throw ExplainError("eigen smoothing: \(weights.count) channel weights for \(a.n) x \(a.k) channels of '\(layer.name)'")
        }
        var out: [Float] = []
        out.reserveCapacity(a.n * a.hw)
        for b in 0..<a.n {
            var weighted = Array(a.values[(b * a.k * a.hw)..<((b + 1) * a.k * a.hw)])
            for c in 0..<a.k {
                let wt = weights[b * a.k + c]
                for p in 0..<a.hw { weighted[c * a.hw + p] *= wt }
            }
            out += EigenCAM.projection(weighted, k: a.k, hw: a.hw)
        }
        return try MapBatch(n: a.n, h: a.h, w: a.w, values: out)
    }
}

extension MethodRegistry.Entry {
    /// This entry's method with eigen smoothing; throws unless it is a channel-weight CAM (its
    /// map a weighted sum of channels: cam, gradcam, gradcam++, xgradcam, scorecam, ablationcam,
    /// relevancecam, fam).
    public func eigenSmoothed(_ parameters: MethodParameters = MethodParameters()) throws -> any ExplanationMethod {
        let m = try method(parameters)
        guard let cam = m as? any ChannelWeightCAM else {
            let eligible = BuiltinMethods.all.filter { e in
                e.kind == .layer && (try? e.make(MethodParameters())).map { $0 is any ChannelWeightCAM } == true
            }.map(\.name)
            throw ExplainError("eigen smoothing applies to channel-weight CAMs (\(eligible.joined(separator: ", "))), whose map is a weighted sum of channels; \(name) is not one")
        }
        return EigenSmoothedCAM(base: cam)
    }
}
