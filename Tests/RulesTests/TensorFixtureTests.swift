import Graph
import Rules
import TestSupport
import XCTest

/// Every tensor kernel against onnxruntime references (fixtures/ops-tensor/generate.py).
final class TensorFixtureTests: XCTestCase {
    func testCasesMatchOnnxruntime() throws {
        let file = try TensorCaseFile.load()
        XCTAssertGreaterThanOrEqual(file.cases.count, 140)
        let registry = standardRegistry()
        for c in file.cases {
            let outs: [Tensor]
            do {
                outs = try runNode(c.node, c.inputs.map { $0?.tensor }, opset: file.opset, registry: registry)
            } catch {
                XCTFail("\(c.name): threw \(error)")
                continue
            }
            XCTAssertEqual(outs.count, c.outputs.count, "\(c.name): output count")
            for (k, (got, want)) in zip(outs, c.outputs).enumerated() {
                assertTensorMatches(got, want.tensor, rtol: c.rtol ?? 1e-5, atol: c.atol ?? 1e-6, "\(c.name) output \(k)")
            }
        }
    }

    /// The same cases with several threads give bit-identical results.
    func testThreadCountDoesNotChangeResults() throws {
        let file = try TensorCaseFile.load()
        let registry = standardRegistry()
        for c in file.cases {
            let inputs = c.inputs.map { $0?.tensor }
            let one = try runNode(c.node, inputs, threads: 1, opset: file.opset, registry: registry)
            let four = try runNode(c.node, inputs, threads: 4, opset: file.opset, registry: registry)
            XCTAssertEqual(one, four, c.name)
        }
    }

    /// Every op TensorOps registers has at least one reference case.
    func testEveryTensorOpHasACase() throws {
        let file = try TensorCaseFile.load()
        var r = OpRegistry()
        for register in TensorOps.all { register(&r) }
        let registered = Set(r.keys.map(\.opType))
        let covered = Set(file.cases.map(\.op))
        XCTAssertEqual(registered.subtracting(covered), [], "ops without a fixture case")
        XCTAssertEqual(registered.count, 73)
    }
}
