import Graph
import XCTest

/// The flatten pattern torch.onnx emits: y = Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])).
/// (Unsqueeze is modelled by Concat of a 1-element Gather here, which the toy registry supports.)
private func exporterFlatten() throws -> Graph {
    var g = Graph(nodes: [
        Node(name: "pre", opType: "AddOne", inputs: ["x"], outputs: ["h"]),
        Node(name: "shape", opType: "Shape", inputs: ["h"], outputs: ["s"]),
        Node(name: "gather", opType: "Gather", inputs: ["s", "zero"], outputs: ["n"]),
        Node(name: "concat", opType: "Concat", inputs: ["n", "minus1"], outputs: ["target"]),
        Node(name: "reshape", opType: "Reshape", inputs: ["h", "target"], outputs: ["y"]),
    ], inputs: [ValueInfo(name: "x", shape: [.symbol("N"), .fixed(2), .fixed(3)])],
       outputs: [ValueInfo(name: "y", shape: nil)],
       initializers: ["zero": Tensor.vector([Int64(0)]), "minus1": Tensor.vector([Int64(-1)])])
    try g.sort()
    return g
}

final class FoldingTests: XCTestCase {
    func testShapeInferenceMarksTheBatchSymbol() throws {
        var g = try exporterFlatten()
        try g.inferShapes(registry: toyRegistry())
        XCTAssertEqual(g.valueInfo["h"]?.shape, [.symbol("N"), .fixed(2), .fixed(3)])
        XCTAssertEqual(g.valueInfo["y"]?.shape, [.symbol("N"), .fixed(6)])
        XCTAssertEqual(g.valueInfo["s"]?.dtype, .int64)
    }

    func testShapeChainFoldsToAReshapeThatKeepsTheBatch() throws {
        var g = try exporterFlatten()
        try g.inferShapes(registry: toyRegistry())
        g.foldConstants(registry: toyRegistry())
        XCTAssertEqual(g.nodes.map(\.opType), ["AddOne", "Reshape"])
        let reshape = try XCTUnwrap(g.node(named: "reshape"))
        XCTAssertEqual(try g.initializers[reshape.inputs[1]]?.ints(), [0, -1])
        // Same results as before folding, at two batch sizes.
        let exec = try Executor(graph: g, registry: toyRegistry())
        for n in [1, 3] {
            let x = try Tensor(shape: [n, 2, 3], floats: (0..<(n * 6)).map(Float.init))
            let y = try XCTUnwrap(exec.run(["x": x])["y"])
            XCTAssertEqual(y.shape, [n, 6])
            XCTAssertEqual(try y.floats(), (0..<(n * 6)).map { Float($0) + 1 })
        }
    }

    func testArithmeticOnTheBatchSymbolStaysAtRunTime() throws {
        // target = Concat(Mul(Gather(Shape(h), 0), [2]), [-1]) -> must not be folded with a fake batch.
        var g = Graph(nodes: [
            Node(name: "shape", opType: "Shape", inputs: ["x"], outputs: ["s"]),
            Node(name: "gather", opType: "Gather", inputs: ["s", "zero"], outputs: ["n"]),
            Node(name: "mul", opType: "Mul", inputs: ["n", "two"], outputs: ["n2"]),
            Node(name: "concat", opType: "Concat", inputs: ["n2", "minus1"], outputs: ["target"]),
            Node(name: "reshape", opType: "Reshape", inputs: ["x", "target"], outputs: ["y"]),
        ], inputs: [ValueInfo(name: "x", shape: [.symbol("N"), .fixed(2), .fixed(2)])],
           outputs: [ValueInfo(name: "y", shape: nil)],
           initializers: ["zero": .vector([Int64(0)]), "two": .vector([Int64(2)]), "minus1": .vector([Int64(-1)])])
        try g.sort()
        try g.inferShapes(registry: toyRegistry())
        g.foldConstants(registry: toyRegistry())
        XCTAssertTrue(g.nodes.contains { $0.opType == "Mul" })
        let y = try XCTUnwrap(try Executor(graph: g, registry: toyRegistry())
            .run(["x": try Tensor(shape: [3, 2, 2], floats: Array(repeating: 1, count: 12))])["y"])
        XCTAssertEqual(y.shape, [6, 2])
    }

    func testAllConstantChainsBecomeInitializersAndDeadNodesGo() throws {
        var g = Graph(nodes: [
            Node(name: "w2", opType: "Twice", inputs: ["w"], outputs: ["w_scaled"]),
            Node(name: "use", opType: "AddT", inputs: ["x", "w_scaled"], outputs: ["y"]),
            Node(name: "dead", opType: "AddOne", inputs: ["x"], outputs: ["unused"]),
        ], inputs: [ValueInfo(name: "x", shape: [.fixed(2)])], outputs: [ValueInfo(name: "y", shape: nil)],
           initializers: ["w": try Tensor(shape: [2], floats: [1, 2])])
        try g.sort()
        g.foldConstants(registry: toyRegistry())
        XCTAssertEqual(g.nodes.map(\.name), ["use"])
        XCTAssertEqual(try g.initializers["w_scaled"]?.floats(), [2, 4])
        XCTAssertNil(g.initializers["w"])
    }
}
