import Graph
import Importers
import XCTest

final class WeightLoadingTests: XCTestCase {
    private func graph() -> Graph {
        Graph(name: "g", nodes: [Node(name: "fc", opType: "Gemm", inputs: ["x", "w", "b"], outputs: ["y"])],
              inputs: [ValueInfo(name: "x", shape: [.symbol("N"), .fixed(2)])], outputs: [ValueInfo(name: "y", shape: nil)],
              initializers: ["w": Tensor.zeros([3, 2]), "b": Tensor.zeros([3]), "shape": Tensor.vector([1, 2] as [Int64])])
    }

    func testReplacesInitializersByName() throws {
        var g = graph()
        let w = try Tensor(shape: [3, 2], floats: [1, 2, 3, 4, 5, 6])
        try applyWeights(["w": w, "fc.num_batches_tracked": .scalar(Int64(1))], to: &g, file: "w.npz")
        XCTAssertEqual(g.initializers["w"], w)
        XCTAssertEqual(g.initializers["b"], Tensor.zeros([3]))
    }

    func testAllProblemsInOneErrorAndGraphUnchanged() {
        var g = graph()
        let weights: [String: Tensor] = ["w": .zeros([2, 3]), "shape": .vector([Float(1), 2]), "extra": .zeros([1]), "b": .vector([Float(1), 2, 3])]
        XCTAssertThrowsError(try applyWeights(weights, to: &g, file: "w.npz", requireAll: false)) { error in
            guard let e = error as? WeightsMismatchError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.unexpected, ["extra"])
            XCTAssertEqual(e.misfits.map(\.key), ["shape", "w"])
            XCTAssertEqual(e.misfits.map(\.got), ["[2] float32", "[2, 3] float32"])
            XCTAssertTrue(e.missing.isEmpty)
        }
        XCTAssertEqual(g.initializers["b"], Tensor.zeros([3]), "a failed apply must not change the graph")
    }

    func testRequireAllListsMissingFloatInitializers() {
        var g = graph()
        XCTAssertThrowsError(try applyWeights(["w": .zeros([3, 2])], to: &g, file: "w.npz", requireAll: true)) { error in
            let e = error as? WeightsMismatchError
            XCTAssertEqual(e?.missing.map(\.key), ["b"]) // "shape" is int64: not a parameter
            XCTAssertTrue("\(error)".contains("missing (1):\n    b [3] float32"), "\(error)")
        }
    }
}
