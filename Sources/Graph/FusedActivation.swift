/// An element-wise activation that an op may apply itself before storing its output, so the
/// activation node does not run (the executor's fusion, `Executor.activationFusions`).
///
/// Exporters leave ReLU6 as `Clip(x, 0, 6)` and MobileNetV3's HardSwish as its own node after
/// each convolution; fusing them saves one pass over each feature map. Each case computes
/// exactly what the activation op computes (NaN stays NaN for `relu` and `clip`).
public enum FusedActivation: Sendable, Equatable {
    /// max(x, 0): ONNX `Relu`.
    case relu
    /// min(max(x, lo), hi): ONNX `Clip` with constant bounds (ReLU6 is clip(0, 6)).
    case clip(lo: Float, hi: Float)
    /// x · max(0, min(1, x / 6 + 1/2)): ONNX `HardSwish`.
    case hardSwish
    /// 1 / (1 + e^-x): ONNX `Sigmoid` (the squeeze-excite gate's last convolution).
    case sigmoid
    /// x · sigmoid(x): SiLU / Swish, which exporters write as `Mul(x, Sigmoid(x))`.
    case silu

    /// The key of an op's fused-activation kernel in `OpDefinition.extensions`.
    public static let extensionKey = "graph.fusedActivation"

    /// The activation node `node` computes on its first input, when it is one an op can fuse:
    /// `Relu`, `HardSwish`, or `Clip` whose bounds are graph initializers (opset 11+ inputs).
    public static func of(_ node: Node, in graph: Graph) -> FusedActivation? {
        guard OpRegistry.canonicalDomain(node.domain) == "", node.outputs.count == 1, !node.outputs[0].isEmpty,
              let x = node.inputs.first, !x.isEmpty else { return nil }
        switch node.opType {
        case "Relu" where node.inputs.count == 1: return .relu
        case "HardSwish" where node.inputs.count == 1: return .hardSwish
        case "Sigmoid" where node.inputs.count == 1: return .sigmoid
        case "Clip" where graph.opset(of: "") >= 11 && node.attributes.isEmpty:
            // The bound's value; nil when it is not a constant scalar (no fusion).
            func bound(_ i: Int, _ absent: Float) -> Float? {
                guard i < node.inputs.count, !node.inputs[i].isEmpty else { return absent }
                guard let t = graph.initializers[node.inputs[i]], t.dtype == .float32, t.count == 1,
                      let v = try? t.floats().first else { return nil }
                return v
            }
            guard let lo = bound(1, -.infinity), let hi = bound(2, .infinity) else { return nil }
            return .clip(lo: lo, hi: hi)
        default: return nil
        }
    }
}

/// An op's kernel with a fused activation: `forward(ctx)` followed by the activation (none when
/// nil), in one pass. Registered in `OpDefinition.extensions[FusedActivation.extensionKey]`.
/// The executor also calls it with folded parameters (`Executor` folds a per-channel Mul / Add
/// by constants into a Conv's weights and bias).
public struct FusedActivationKernel: Sendable {
    public typealias Forward = @Sendable (OpContext, FusedActivation?) throws -> Tensor
    public let forward: Forward
    public init(_ forward: @escaping Forward) { self.forward = forward }
}
