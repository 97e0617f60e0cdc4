import Graph
import Methods
import Rules

/// An FC-less embedding net built in code: input [N, 2, 6, 6] → Conv(4, 3x3, pad 1) → Relu →
/// Conv(3, 1x1) → Relu ("relu2") → GlobalAveragePool → Flatten = the embedding [N, 3]. With
/// `head`, a Gemm (3 → 2) after the flatten makes the embedding a projection of GAP(relu2).
enum FAMEmbeddingModel {
    static let layer = "relu2"

    static func graph(head: Bool = false) -> Graph {
        let v = TinyModel.values
        var nodes = [
            Node(name: "conv1", opType: "Conv", inputs: ["input", "w1", "b1"], outputs: ["conv1"],
                 attributes: ["pads": .ints([1, 1, 1, 1]), "kernel_shape": .ints([3, 3])]),
            Node(name: "relu1", opType: "Relu", inputs: ["conv1"], outputs: ["relu1"]),
            Node(name: "conv2", opType: "Conv", inputs: ["relu1", "w2", "b2"], outputs: ["conv2"], attributes: ["kernel_shape": .ints([1, 1])]),
            Node(name: "relu2", opType: "Relu", inputs: ["conv2"], outputs: ["relu2"]),
            Node(name: "gap", opType: "GlobalAveragePool", inputs: ["relu2"], outputs: ["gap"]),
            Node(name: "flatten", opType: "Flatten", inputs: ["gap"], outputs: [head ? "flat" : "embedding"], attributes: ["axis": .int(1)]),
        ]
        var inits: [String: Tensor] = [
            "w1": Tensor(unchecked: [4, 2, 3, 3], floats: v(72, 11, 0.5)),
            "b1": Tensor(unchecked: [4], floats: v(4, 12, 0.2).map { $0 + 0.3 }),
            "w2": Tensor(unchecked: [3, 4, 1, 1], floats: v(12, 13, 1)),
            "b2": Tensor(unchecked: [3], floats: [0.4, 0.3, 0.5]),
        ]
        let outDim = head ? 2 : 3
        if head {
            nodes.append(Node(name: "head", opType: "Gemm", inputs: ["flat", "wh", "bh"], outputs: ["embedding"], attributes: ["transB": .int(1)]))
            inits["wh"] = Tensor(unchecked: [2, 3], floats: v(6, 14, 1))
            inits["bh"] = Tensor(unchecked: [2], floats: [0.1, -0.2])
        }
        return Graph(name: head ? "embed-head" : "embed", nodes: nodes,
                     inputs: [ValueInfo(name: "input", shape: [.symbol("N"), .fixed(2), .fixed(6), .fixed(6)])],
                     outputs: [ValueInfo(name: "embedding", shape: [.symbol("N"), .fixed(outDim)])],
                     initializers: inits)
    }

    static func model(head: Bool = false) throws -> ExplainModel {
        try ExplainModel(graph: graph(head: head), registry: standardRegistry(), threads: 1)
    }

    /// Query batch (2 images) and a reference image [1, 2, 6, 6].
    static func query() -> Tensor { Tensor(unchecked: [2, 2, 6, 6], floats: TinyModel.values(144, seed: 21)) }
    static func referenceImage() -> Tensor { Tensor(unchecked: [1, 2, 6, 6], floats: TinyModel.values(72, seed: 22)) }
}
