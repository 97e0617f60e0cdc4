import Methods

/// A small extra method: Grad-CAM with the spatial mean of |gradient| as channel weights, so
/// channels whose gradients cancel out spatially still count.
public struct AbsGradCAM: ChannelWeightCAM {
    public static let entry = MethodRegistry.Entry(
        name: "absgradcam", summary: "Grad-CAM with mean |gradient| channel weights (swish-example plugin)", kind: .layer
    ) { _ in AbsGradCAM() }

    public init() {}

    public func channelWeights(_ layer: LayerValues, context: CAMContext) throws -> [Float] {
        let g = try layer.requireGradient()
        let inv = 1 / Float(g.hw)
        return try g.channelSum(with: g) { grad, _, _ in abs(grad) * inv }
    }
}
