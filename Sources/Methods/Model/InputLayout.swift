import Graph

/// Where an image tensor keeps its channels: `nchw` ([N, C, H, W], PyTorch, ONNX's convolutions)
/// or `nhwc` ([N, H, W, C], Keras / TensorFlow exports).
///
/// Methods always see NCHW: a model whose input is NHWC gets an adapter node in front
/// (`GraphAdapters.nchwInput`), so masks, blends, noise and maps are written once, in one layout.
public enum InputLayout: String, Sendable, CaseIterable, CustomStringConvertible {
    case nchw, nhwc

    public var description: String { rawValue.uppercased() }

    /// The layout of a rank-4 image input, read from the graph:
    /// 1. every consumer of the input is a Transpose with perm [0, 3, 1, 2] (what tf2onnx writes in
    ///    front of the first convolution): NHWC;
    /// 2. else from the declared shape: the last axis holds 1..4 values and axis 1 does not: NHWC;
    /// 3. else NCHW (also when the shape is unknown).
    public static func infer(input: String, graph: Graph) -> InputLayout {
        let consumers = graph.nodes.filter { $0.inputs.contains(input) }
        if !consumers.isEmpty, consumers.allSatisfy({ n in
            n.opType == "Transpose" && n.domain.isEmpty && (try? n.attr("perm", default: [Int]())) == [0, 3, 1, 2]
        }) { return .nhwc }
        guard let dims = graph.inputs.first(where: { $0.name == input })?.shape, dims.count == 4 else { return .nchw }
        func channelLike(_ d: Dim) -> Bool { d.value.map { (1...4).contains($0) } ?? false }
        if channelLike(dims[3]) && !channelLike(dims[1]) { return .nhwc }
        return .nchw
    }

    /// The permutation from NCHW to this layout (applied by the input adapter).
    var fromNCHW: [Int] { self == .nchw ? [0, 1, 2, 3] : [0, 2, 3, 1] }

    /// A tensor in this layout as NCHW (rank-4; other ranks are returned unchanged).
    public func toNCHW(_ t: Tensor) throws -> Tensor {
        guard self == .nhwc, t.rank == 4 else { return t }
        return try LayoutTranspose.apply(t, perm: [0, 3, 1, 2])
    }

    /// An NCHW tensor in this layout (what the model itself is fed; `--dump-input`).
    public func fromNCHW(_ t: Tensor) throws -> Tensor {
        guard self == .nhwc, t.rank == 4 else { return t }
        return try LayoutTranspose.apply(t, perm: fromNCHW)
    }

    /// [N, H, W, C] -> [N, C, H, W] dims of a declared shape.
    func nchwDims(_ dims: [Dim]) -> [Dim] {
        guard self == .nhwc, dims.count == 4 else { return dims }
        return [dims[0], dims[3], dims[1], dims[2]]
    }
}

/// A rank-4 float transpose (layout conversion of inputs and maps).
enum LayoutTranspose {
    static func apply(_ t: Tensor, perm: [Int]) throws -> Tensor {
        guard t.rank == 4, perm.count == 4 else { throw ExplainError("layout transpose needs a rank-4 tensor, got \(t.shape)") }
        let v = try t.floats()
        let s = t.shape
        let out = perm.map { s[$0] }
        var strides = [Int](repeating: 1, count: 4)
        for i in stride(from: 2, through: 0, by: -1) { strides[i] = strides[i + 1] * s[i + 1] }
        let ps = perm.map { strides[$0] }
        var r = [Float](repeating: 0, count: v.count)
        var o = 0
        for a in 0..<out[0] { for b in 0..<out[1] { for c in 0..<out[2] {
            let base = a * ps[0] + b * ps[1] + c * ps[2]
            for d in 0..<out[3] { r[o] = v[base + d * ps[3]]; o += 1 }
        } } }
        return Tensor(unchecked: out, floats: r)
    }
}
