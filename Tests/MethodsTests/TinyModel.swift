import Graph
import Methods
import Rules

/// A small CNN built in code: input [N, 2, 6, 6] → Conv(4, 3x3, pad 1) → Relu → Conv(3, 1x1) → Relu
/// → GlobalAveragePool → Flatten → Gemm(5 classes, transB). Deterministic pseudo-random weights.
enum TinyModel {
    static let layer = "relu2"

    static func values(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var s = seed &* 6364136223846793005 &+ 1442695040888963407
        return (0..<count).map { _ in
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return (Float(s >> 40) / Float(1 << 24) * 2 - 1) * scale
        }
    }

    static func graph() -> Graph {
        let conv1 = Node(name: "conv1", opType: "Conv", inputs: ["input", "w1", "b1"], outputs: ["conv1"],
                         attributes: ["pads": .ints([1, 1, 1, 1]), "kernel_shape": .ints([3, 3])])
        let relu1 = Node(name: "relu1", opType: "Relu", inputs: ["conv1"], outputs: ["relu1"])
        let conv2 = Node(name: "conv2", opType: "Conv", inputs: ["relu1", "w2", "b2"], outputs: ["conv2"],
                         attributes: ["kernel_shape": .ints([1, 1])])
        let relu2 = Node(name: "relu2", opType: "Relu", inputs: ["conv2"], outputs: ["relu2"])
        let gap = Node(name: "gap", opType: "GlobalAveragePool", inputs: ["relu2"], outputs: ["gap"])
        let flat = Node(name: "flatten", opType: "Flatten", inputs: ["gap"], outputs: ["flat"], attributes: ["axis": .int(1)])
        let fc = Node(name: "fc", opType: "Gemm", inputs: ["flat", "wfc", "bfc"], outputs: ["logits"],
                      attributes: ["transB": .int(1)])
        return Graph(name: "tiny", nodes: [conv1, relu1, conv2, relu2, gap, flat, fc],
                     inputs: [ValueInfo(name: "input", shape: [.symbol("N"), .fixed(2), .fixed(6), .fixed(6)])],
                     outputs: [ValueInfo(name: "logits", shape: [.symbol("N"), .fixed(5)])],
                     initializers: [
                        "w1": Tensor(unchecked: [4, 2, 3, 3], floats: values(72, seed: 1, scale: 0.5)),
                        "b1": Tensor(unchecked: [4], floats: values(4, seed: 2, scale: 0.2).map { $0 + 0.3 }),
                        "w2": Tensor(unchecked: [3, 4, 1, 1], floats: values(12, seed: 3)),
                        "b2": Tensor(unchecked: [3], floats: [0.2, 0.1, 0.3]),
                        "wfc": Tensor(unchecked: [5, 3], floats: values(15, seed: 4)),
                        "bfc": Tensor(unchecked: [5], floats: values(5, seed: 5)),
                     ])
    }

    static func model() throws -> ExplainModel {
        try ExplainModel(graph: graph(), registry: standardRegistry(), threads: 1)
    }

    static func input(batch: Int = 2) -> Tensor {
        Tensor(unchecked: [batch, 2, 6, 6], floats: values(batch * 72, seed: 9))
    }
}
