import Graph
@testable import Rules
import TestSupport
import XCTest

/// The residual Add's two fast paths against a scalar sum: in place on an intermediate value at
/// its last use (`Relu(x) + y`), and into a new tensor when both operands are fed values (which it
/// must not overwrite); large enough (300k elements) that two threads split the work, with a
/// length that is not a multiple of any vector width.
final class ResidualAddTests: XCTestCase {
    func testInPlaceAndNewTensorSums() throws {
        let count = 300_007
        var rng = TestRNG(seed: 5)
        let xs = (0..<count).map { _ in rng.normal() }, ys = (0..<count).map { _ in rng.normal() }
        let x = try Tensor(shape: [1, count], floats: xs), y = try Tensor(shape: [1, count], floats: ys)
        var g = Graph(nodes: [
            Node(name: "relu", opType: "Relu", inputs: ["x"], outputs: ["r"]),
            Node(name: "res", opType: "Add", inputs: ["r", "y"], outputs: ["s"]),
            Node(name: "plain", opType: "Add", inputs: ["x", "y"], outputs: ["t"]),
        ], inputs: [ValueInfo(name: "x", shape: nil), ValueInfo(name: "y", shape: nil)],
           outputs: [ValueInfo(name: "s", shape: nil), ValueInfo(name: "t", shape: nil)], opsets: ["": 17])
        try g.sort()
        for threads in [1, 2] {
            let out = try Executor(graph: g, registry: standardRegistry(), threads: threads).run(["x": x, "y": y])
            let s = try XCTUnwrap(out["s"]).floats(), t = try XCTUnwrap(out["t"]).floats()
            XCTAssertEqual(s.count, count)
            XCTAssertEqual(t.count, count)
            for i in 0..<count {
                XCTAssertEqual(s[i], max(0, xs[i]) + ys[i], "relu + y at \(i), \(threads) threads")
                XCTAssertEqual(t[i], xs[i] + ys[i], "x + y at \(i), \(threads) threads")
            }
            XCTAssertEqual(try x.floats(), xs, "a fed value was overwritten")
            XCTAssertEqual(try y.floats(), ys, "a fed value was overwritten")
        }
    }
}
