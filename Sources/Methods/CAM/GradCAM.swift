/// Grad-CAM (Selvaraju et al. 2017; pytorch-grad-cam `grad_cam.py`; docs/methods.md, "gradcam"):
/// w_k = mean_ij dScore/dA_k(i,j); map = ReLU(Σ_k w_k A_k).
public struct GradCAM: ChannelWeightCAM {
    public static let entry = MethodRegistry.Entry(name: "gradcam", summary: "Grad-CAM: spatially averaged gradients as channel weights", kind: .layer) { _ in GradCAM() }
    public init() {}

    public func channelWeights(_ layer: LayerValues, context: CAMContext) throws -> [Float] {
        let g = try layer.requireGradient()
        let inv = 1 / Float(g.hw)
        return g.channelTotals().map { $0 * inv }
    }
}

/// Grad-CAM++ (Chattopadhyay et al. 2018; pytorch-grad-cam `grad_cam_plusplus.py`;
/// docs/methods.md, "gradcam++"):
/// a_k(i,j) = G² / (2G² + (Σ_ab A_k(a,b))·G³ + 1e-6), 0 where G == 0; w_k = Σ_ij a_k(i,j)·ReLU(G).
/// The denominator uses the spatial sum of A times G³ (paper / pytorch-grad-cam), not Σ(A·G³)
/// as the Relevance-CAM repository.
public struct GradCAMPlusPlus: ChannelWeightCAM {
    public static let entry = MethodRegistry.Entry(name: "gradcam++", summary: "Grad-CAM++: second-order positive-gradient weights", kind: .layer) { _ in GradCAMPlusPlus() }
    public init() {}

    public func channelWeights(_ layer: LayerValues, context: CAMContext) throws -> [Float] {
        let g = try layer.requireGradient(), a = layer.activation
        let sums = a.channelTotals()
        return try g.channelSum(with: a) { grad, _, bc in
            guard grad != 0 else { return 0 }
            let g2 = grad * grad, g3 = g2 * grad
            let alpha = g2 / (2 * g2 + sums[bc] * g3 + 1e-6)
            return alpha * max(grad, 0)
        }
    }
}

/// XGrad-CAM (Fu et al. 2020; pytorch-grad-cam `xgrad_cam.py`; docs/methods.md, "xgradcam"):
/// w_k = Σ_ij A_k(i,j) / (Σ_ab A_k(a,b) + 1e-7) · G_k(i,j).
public struct XGradCAM: ChannelWeightCAM {
    public static let entry = MethodRegistry.Entry(name: "xgradcam", summary: "XGrad-CAM: activation-normalised gradient weights", kind: .layer) { _ in XGradCAM() }
    public init() {}

    public func channelWeights(_ layer: LayerValues, context: CAMContext) throws -> [Float] {
        let g = try layer.requireGradient(), a = layer.activation
        let sums = a.channelTotals()
        return try g.channelSum(with: a) { grad, act, bc in grad * act / (sums[bc] + 1e-7) }
    }
}

/// HiResCAM (Draelos & Carin 2020; pytorch-grad-cam `hirescam.py`; docs/methods.md, "hirescam"):
/// map(i,j) = Σ_k G_k(i,j)·A_k(i,j), then the shared ReLU.
public struct HiResCAM: CAMMethod {
    public static let entry = MethodRegistry.Entry(name: "hirescam", summary: "HiResCAM: element-wise gradient x activation", kind: .layer) { _ in HiResCAM() }
    public init() {}

    public func rawMap(_ layer: LayerValues, context: CAMContext) throws -> MapBatch {
        try layer.activation.pixelSum(with: try layer.requireGradient()) { a, g in a * g }
    }
}

/// LayerCAM (Jiang et al. 2021; pytorch-grad-cam `layer_cam.py`; docs/methods.md, "layercam"):
/// map(i,j) = Σ_k ReLU(G_k(i,j))·A_k(i,j), then the shared ReLU. Several layers are fused by the
/// shared aggregation (mean), as pytorch-grad-cam; the paper's tanh rescaling of shallow layers is
/// not applied.
public struct LayerCAM: CAMMethod {
    public static let entry = MethodRegistry.Entry(name: "layercam", summary: "LayerCAM: element-wise positive gradient x activation", kind: .layer) { _ in LayerCAM() }
    public init() {}

    public func rawMap(_ layer: LayerValues, context: CAMContext) throws -> MapBatch {
        try layer.activation.pixelSum(with: try layer.requireGradient()) { a, g in max(g, 0) * a }
    }
}
