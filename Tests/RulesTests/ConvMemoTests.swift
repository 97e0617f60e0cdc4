import Graph
import Rules
import TestSupport
import XCTest

/// The executor keeps Conv's checked geometry per node and input shapes (`OpMemo`): one executor
/// run on inputs of changing shapes gives what a context without a memo gives for each, and a bad
/// shape after good ones is still refused with the node's name.
final class ConvMemoTests: XCTestCase {
    func testGeometryFollowsTheInputShapes() throws {
        var rng = TestRNG(seed: 3)
        let w = try Tensor(shape: [4, 3, 3, 3], floats: (0..<108).map { _ in rng.symmetric() })
        let b = try Tensor(shape: [4], floats: (0..<4).map { _ in rng.symmetric() })
        let node = Node(name: "conv", opType: "Conv", inputs: ["x", "w", "b"], outputs: ["y"],
                        attributes: ["pads": .ints([1, 0, 1, 2]), "strides": .ints([2, 1])])
        var g = Graph(nodes: [node], inputs: [ValueInfo(name: "x", shape: nil)], outputs: [ValueInfo(name: "y", shape: nil)],
                      initializers: ["w": w, "b": b])
        try g.sort()
        let registry = standardRegistry()
        let exec = try Executor(graph: g, registry: registry, threads: 2)
        let definition = try XCTUnwrap(registry.lookup(node, in: g))
        for shape in [[1, 3, 5, 5], [2, 3, 9, 6], [1, 3, 5, 5], [3, 3, 4, 11]] {
            let x = try Tensor(shape: shape, floats: (0..<shape.reduce(1, *)).map { _ in rng.symmetric() })
            let got = try XCTUnwrap(try exec.run(["x": x])["y"])
            let want = try Executor.call(definition, node: node, args: [x, w, b], threads: 1, opset: 17)[0]
            XCTAssertEqual(got.shape, want.shape, "input \(shape)")
            assertClose(got, want, rtol: 1e-6, atol: 1e-6, "input \(shape)")
        }
        let bad = try Tensor(shape: [1, 2, 5, 5], floats: [Float](repeating: 1, count: 50))
        XCTAssertThrowsError(try exec.run(["x": bad])) { error in
            XCTAssertTrue("\(error)".contains("conv"), "\(error)")
        }
    }
}
