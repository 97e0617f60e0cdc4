import Graph
import Plugins
import Rules
import XCTest

/// The checks a plugin author runs: they pass on cfcam's own ops and models and fail on a wrong VJP.
final class PluginChecksTests: XCTestCase {
    func testVJPCheckPassesOnBuiltinsAndCatchesAWrongGradient() throws {
        let ops = Registries.standard().ops
        let x = try Tensor(shape: [2, 3, 5], floats: (0..<30).map { Float($0 % 11) / 2.5 - 2.1 })
        for op in ["Sigmoid", "Softplus", "Mish", "Tanh", "Exp"] {
            let def = try XCTUnwrap(ops.lookup(domain: "", opType: op, opset: 17), op)
            let node = Node(name: op, opType: op, inputs: ["x"], outputs: ["y"])
            XCTAssertLessThan(try PluginChecks.vjpError(def, node: node, inputs: [x]), 3e-3, op)
        }
        let softplus = try XCTUnwrap(ops.lookup(domain: "", opType: "Softplus", opset: 17))
        var wrong = softplus
        wrong.vjp = { ctx in [ctx.outputGrads[0]] }   // d softplus / dx is sigmoid, not 1
        let node = Node(name: "s", opType: "Softplus", inputs: ["x"], outputs: ["y"])
        XCTAssertGreaterThan(try PluginChecks.vjpError(wrong, node: node, inputs: [x]), 0.2)
        var none = softplus
        none.vjp = nil
        XCTAssertThrowsError(try PluginChecks.vjpError(none, node: node, inputs: [x]))
    }

    /// Conv -> Relu -> GlobalAveragePool -> Flatten -> Gemm: zero-bias epsilon-plus conserves the
    /// score at the input; with the biases kept it does not (the check can fail).
    func testLRPConservation() throws {
        let r = Registries.standard()
        func t(_ shape: [Int], _ k: Int) -> Tensor {
            Tensor(unchecked: shape, floats: (0..<shape.reduce(1, *)).map { Float(($0 * k + 7) % 19) / 9.5 - 0.9 })
        }
        let graph = Graph(nodes: [
            Node(name: "conv", opType: "Conv", inputs: ["x", "w", "b"], outputs: ["c"], attributes: ["pads": .ints([1, 1, 1, 1])]),
            Node(name: "relu", opType: "Relu", inputs: ["c"], outputs: ["r"]),
            Node(name: "gap", opType: "GlobalAveragePool", inputs: ["r"], outputs: ["g"]),
            Node(name: "flat", opType: "Flatten", inputs: ["g"], outputs: ["f"]),
            Node(name: "fc", opType: "Gemm", inputs: ["f", "fw", "fb"], outputs: ["y"], attributes: ["transB": .int(1)]),
        ], inputs: [ValueInfo(name: "x", shape: [.symbol("N"), .fixed(2), .fixed(6), .fixed(6)])],
           outputs: [ValueInfo(name: "y", shape: [.symbol("N"), .fixed(3)])],
           initializers: ["w": t([4, 2, 3, 3], 5), "b": t([4], 3), "fw": t([3, 4], 11), "fb": t([3], 2)])
        let x = t([1, 2, 6, 6], 13), seed = try Tensor(shape: [1, 3], floats: [0, 1, 0])
        var zero = Composite.PresetOptions()
        zero.zeroBias = true
        let conserved = try PluginChecks.lrpConservation(graph: graph, ops: r.ops, composite: try r.composites.composite(named: "epsilon-plus", options: zero),
                                                         input: "x", feed: x, output: "y", seed: seed)
        XCTAssertNotEqual(conserved.score, 0)
        XCTAssertEqual(conserved.relevance, conserved.score, accuracy: 1e-4 * max(1, abs(conserved.score)))
        let withBias = try PluginChecks.lrpConservation(graph: graph, ops: r.ops, composite: try r.composites.composite(named: "epsilon-plus"),
                                                        input: "x", feed: x, output: "y", seed: seed)
        XCTAssertGreaterThan(abs(withBias.relevance - withBias.score), 1e-3)
    }
}
