import Graph
import Rules
import XCTest

/// Shape inference runs the kernels on zero-filled example inputs at two batch sizes; a graph
/// chaining the new ops infers every value's dtype and shape, with the batch kept symbolic.
final class NewOpsShapeInferenceTests: XCTestCase {
    func testGraphOfNewOpsInfersShapes() throws {
        func node(_ op: String, _ inputs: [String], _ outputs: [String], _ attrs: [String: Attribute] = [:]) -> Node {
            Node(name: outputs[0] + "_node", opType: op, inputs: inputs, outputs: outputs, attributes: attrs)
        }
        let nodes = [
            node("DepthToSpace", ["x"], ["d2s"], ["blocksize": .int(2), "mode": .string("CRD")]),
            node("SpaceToDepth", ["d2s"], ["s2d"], ["blocksize": .int(2)]),
            node("Tile", ["s2d", "reps"], ["tiled"]),
            node("Einsum", ["tiled", "w"], ["mixed"], ["equation": .string("nchw,kc->nkhw")]),
            node("TopK", ["mixed", "k"], ["top", "where"], ["axis": .int(-1)]),
            node("ArgMax", ["top"], ["arg"], ["axis": .int(1), "keepdims": .int(0)]),
            node("Mod", ["top", "half"], ["rem"], ["fmod": .int(1)]),
            node("Floor", ["rem"], ["floor"]),
            node("Mish", ["floor"], ["mish"]),
            node("Less", ["mish", "half"], ["less"]),
            node("Not", ["less"], ["not"]),
        ]
        var g = Graph(nodes: nodes,
                      inputs: [ValueInfo(name: "x", shape: [.symbol("N"), .fixed(8), .fixed(4), .fixed(4)])],
                      outputs: ["not", "arg", "where"].map { ValueInfo(name: $0, shape: nil) },
                      initializers: ["reps": .vector([Int64(1), 1, 2, 1]),
                                     "w": Tensor(unchecked: [3, 8], floats: GradCheck.values(24, seed: 1)),
                                     "k": .vector([Int64(2)]), "half": .scalar(Float(0.5))],
                      opsets: ["": 21])
        try g.inferShapes(registry: standardRegistry())
        func info(_ v: String) -> (DType?, [Dim]?) { (g.valueInfo[v]?.dtype, g.valueInfo[v]?.shape) }
        let n = Dim.symbol("N")
        XCTAssertEqual(info("d2s").1, [n, .fixed(2), .fixed(8), .fixed(8)])
        XCTAssertEqual(info("s2d").1, [n, .fixed(8), .fixed(4), .fixed(4)])
        XCTAssertEqual(info("tiled").1, [n, .fixed(8), .fixed(8), .fixed(4)])
        XCTAssertEqual(info("mixed").1, [n, .fixed(3), .fixed(8), .fixed(4)])
        XCTAssertEqual(info("top").1, [n, .fixed(3), .fixed(8), .fixed(2)])
        XCTAssertEqual(info("where").0, .int64)
        XCTAssertEqual(info("arg").0, .int64)
        XCTAssertEqual(info("arg").1, [n, .fixed(8), .fixed(2)])
        XCTAssertEqual(info("mish").1, [n, .fixed(3), .fixed(8), .fixed(2)])
        XCTAssertEqual(info("not").0, .bool)
        XCTAssertEqual(info("not").1, [n, .fixed(3), .fixed(8), .fixed(2)])
    }
}
