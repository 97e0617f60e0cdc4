import Graph
import Methods
import Rules

/// Variants of `TinyModel` as third-party exporters write them, for the method pipeline tests:
/// channels-last inputs and feature maps, fixed batches, Softmax outputs, extra outputs, and a
/// small token (ViT-like) model. Each variant computes the same function as `TinyModel` (except the
/// token model), so maps can be compared with the plain model's.
enum PipelineModels {
    static func ints(_ v: [Int64]) -> Tensor { Tensor.vector(v) }

    /// NHWC input [N, 6, 6, 2] (a tf2onnx-style Transpose in front of the first Conv), and after
    /// relu2 a Transpose to NHWC followed by a Keras-style global average pool (ReduceMean over axes
    /// 1, 2), so `auto` must look through the layout Transpose.
    static func channelsLast() -> Graph {
        var g = TinyModel.graph()
        g.inputs = [ValueInfo(name: "image", shape: [.symbol("N"), .fixed(6), .fixed(6), .fixed(2)])]
        let toNCHW = Node(name: "to_nchw", opType: "Transpose", inputs: ["image"], outputs: ["input"], attributes: ["perm": .ints([0, 3, 1, 2])])
        let toNHWC = Node(name: "to_nhwc", opType: "Transpose", inputs: ["relu2"], outputs: ["relu2_nhwc"], attributes: ["perm": .ints([0, 2, 3, 1])])
        let gap = Node(name: "gap", opType: "ReduceMean", inputs: ["relu2_nhwc", "gap_axes"], outputs: ["flat"], attributes: ["keepdims": .int(0)])
        g.initializers["gap_axes"] = ints([1, 2])
        let rest = g.nodes.filter { !["gap", "flatten"].contains($0.name) }
        g.nodes = [toNCHW] + rest.prefix(4) + [toNHWC, gap] + rest.dropFirst(4)
        return g
    }

    /// The tiny model with its batch fixed at 1; `reshapeHead` replaces Flatten by Reshape [1, 3]
    /// (exporters bake the batch into such shapes); `allowZero` sets allowzero = 1 on that Reshape,
    /// so the batch cannot be freed and the model must run in chunks.
    static func fixedBatch(reshapeHead: Bool = false, allowZero: Bool = false) -> Graph {
        var g = TinyModel.graph()
        g.inputs = [ValueInfo(name: "input", shape: [.fixed(1), .fixed(2), .fixed(6), .fixed(6)])]
        g.outputs = [ValueInfo(name: "logits", shape: [.fixed(1), .fixed(5)])]
        if reshapeHead, let i = g.nodes.firstIndex(where: { $0.name == "flatten" }) {
            g.nodes[i] = Node(name: "flatten", opType: "Reshape", inputs: ["gap", "head_shape"], outputs: ["flat"],
                              attributes: allowZero ? ["allowzero": .int(1)] : [:])
            g.initializers["head_shape"] = ints([1, 3])
        }
        return g
    }

    /// The tiny model ending in a Softmax (`probabilities`), with the features as a first output and
    /// an ArgMax post-processing output in an unknown domain no score depends on.
    static func withExtraOutputs() -> Graph {
        var g = TinyModel.graph()
        g.nodes.append(Node(name: "softmax", opType: "Softmax", inputs: ["logits"], outputs: ["probabilities"], attributes: ["axis": .int(1)]))
        g.nodes.append(Node(name: "decode", opType: "Decode", domain: "vendor.postprocess", inputs: ["probabilities"], outputs: ["label"]))
        g.outputs = [ValueInfo(name: "flat", shape: [.symbol("N"), .fixed(3)]),
                     ValueInfo(name: "probabilities", shape: [.symbol("N"), .fixed(5)]),
                     ValueInfo(name: "label", dtype: .int64, shape: [.symbol("N")])]
        return g
    }

    /// A token model: 2x2 patches of a [N, 2, 4, 4] image → 4 tokens of 3 channels after a
    /// class token (half the first patch token) → LayerNormalization → self-attention (softmax(T Tᵀ) T) → the class
    /// token → Gemm (4 classes).
    static func tokens() -> Graph {
        let nodes = [
            Node(name: "patch", opType: "Conv", inputs: ["input", "wp", "bp"], outputs: ["patches"],
                 attributes: ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])]),
            Node(name: "flat", opType: "Reshape", inputs: ["patches", "tok_shape"], outputs: ["tok_cf"]),
            Node(name: "tok", opType: "Transpose", inputs: ["tok_cf"], outputs: ["tok"], attributes: ["perm": .ints([0, 2, 1])]),
            Node(name: "first", opType: "Slice", inputs: ["tok", "s0", "s1", "tok_axis"], outputs: ["first"]),
            Node(name: "cls", opType: "Mul", inputs: ["first", "half"], outputs: ["cls"]),
            Node(name: "cat", opType: "Concat", inputs: ["cls", "tok"], outputs: ["seq"], attributes: ["axis": .int(1)]),
            Node(name: "norm1", opType: "LayerNormalization", inputs: ["seq", "ln_g", "ln_b"], outputs: ["norm1"], attributes: ["axis": .int(-1)]),
            Node(name: "kt", opType: "Transpose", inputs: ["norm1"], outputs: ["kt"], attributes: ["perm": .ints([0, 2, 1])]),
            Node(name: "qk", opType: "MatMul", inputs: ["norm1", "kt"], outputs: ["qk"]),
            Node(name: "attn", opType: "Softmax", inputs: ["qk"], outputs: ["attn"], attributes: ["axis": .int(-1)]),
            Node(name: "mix", opType: "MatMul", inputs: ["attn", "norm1"], outputs: ["mixed"]),
            Node(name: "res", opType: "Add", inputs: ["mixed", "seq"], outputs: ["block"]),
            Node(name: "take", opType: "Gather", inputs: ["block", "zero"], outputs: ["cls_out"], attributes: ["axis": .int(1)]),
            Node(name: "head", opType: "Gemm", inputs: ["cls_out", "wh", "bh"], outputs: ["logits"], attributes: ["transB": .int(1)]),
        ]
        return Graph(name: "tokens", nodes: nodes,
                     inputs: [ValueInfo(name: "input", shape: [.symbol("N"), .fixed(2), .fixed(4), .fixed(4)])],
                     outputs: [ValueInfo(name: "logits", shape: [.symbol("N"), .fixed(4)])],
                     initializers: [
                        "wp": Tensor(unchecked: [3, 2, 2, 2], floats: TinyModel.values(24, seed: 11, scale: 0.8)),
                        "bp": Tensor(unchecked: [3], floats: [0.1, -0.2, 0.05]),
                        "tok_shape": ints([0, 3, 4]), "tok_axis": ints([1]), "s0": ints([0]), "s1": ints([1]), "half": Tensor.scalar(Float(0.5)), "zero": Tensor.scalar(Int64(0)),
                        "ln_g": Tensor(unchecked: [3], floats: [1.1, 0.9, 1.3]), "ln_b": Tensor(unchecked: [3], floats: [0.1, 0, -0.1]),
                        "wh": Tensor(unchecked: [4, 3], floats: TinyModel.values(12, seed: 12)),
                        "bh": Tensor(unchecked: [4], floats: [0.1, 0.2, -0.1, 0]),
                     ])
    }

    /// `TinyModel.input` in NHWC.
    static func nhwc(_ x: Tensor) throws -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let v = try x.floats()
        var out = [Float](repeating: 0, count: v.count)
        for b in 0..<n { for k in 0..<c { for y in 0..<h { for i in 0..<w {
            out[((b * h + y) * w + i) * c + k] = v[((b * c + k) * h + y) * w + i]
        } } } }
        return Tensor(unchecked: [n, h, w, c], floats: out)
    }
}
