import Graph

/// Guided Grad-CAM (Selvaraju et al. 2017; pytorch-grad-cam `cam.py`; docs/methods.md,
/// "guidedgradcam"): the Grad-CAM map at the input size, in [0, 1] (after the shared multi-layer
/// aggregation), times the guided-backpropagation gradient, channel by channel: [N, C, H, W].
/// This is cam.py's `cam_mask * gb` before its `deprocess_image` display scaling, which is left
/// to rendering.
///
/// Both parts explain the same target, resolved on the same input (a `top1` target picks the
/// same class for both).
///
/// Cost: Grad-CAM's 1 F + 1 B, then guided backprop's 1 F + 1 F + 1 B.
public struct GuidedGradCAM: ExplanationMethod {
    public init() {}

    public static let entry = MethodRegistry.Entry(
        name: "guidedgradcam", summary: "Guided Grad-CAM: the Grad-CAM map times the guided-backprop gradient, [N, C, H, W]",
        kind: .layer, output: .gradient) { _ in GuidedGradCAM() }

    public func explain(_ request: ExplainRequest, model: ExplainModel) throws -> Tensor {
        let (n, h, w) = try request.inputSize()
        let cam = try GradCAM().explain(request, model: model).floats()
        let gb = try GuidedBackprop().explain(request, model: model)
        let g = try gb.floats()
        let hw = h * w
        guard cam.count == n * hw, g.count % (n * hw) == 0 else {
            throw ExplainError("guidedgradcam: a map of \(cam.count) values and a gradient \(gb.shape) for an input of \(n) x \(h) x \(w)")
        }
        let channels = g.count / (n * hw)
        var out = g
        for b in 0..<n {
            for c in 0..<channels {
                let o = (b * channels + c) * hw
                for i in 0..<hw { out[o + i] *= cam[b * hw + i] }
            }
        }
        return Tensor(unchecked: gb.shape, floats: out)
    }
}
