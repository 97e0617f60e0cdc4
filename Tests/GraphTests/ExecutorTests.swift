import Graph
import TestSupport
import XCTest

/// x -> a(AddOne) -> b(Twice) -> c(AddOne) -> y, with a side branch s = AddT(a, c) as second output.
private func chain() throws -> Graph {
    var g = Graph(nodes: [
        Node(name: "c", opType: "AddOne", inputs: ["b_out"], outputs: ["c_out"]),
        Node(name: "a", opType: "AddOne", inputs: ["x"], outputs: ["a_out"]),
        Node(name: "s", opType: "AddT", inputs: ["a_out", "c_out"], outputs: ["s_out"]),
        Node(name: "b", opType: "Twice", inputs: ["a_out"], outputs: ["b_out"]),
    ], inputs: [ValueInfo(name: "x", shape: [.symbol("N"), .fixed(2)])],
       outputs: [ValueInfo(name: "c_out", shape: nil), ValueInfo(name: "s_out", shape: nil)])
    try g.sort()
    return g
}

final class ExecutorTests: XCTestCase {
    func testSortOrdersProducersFirst() throws {
        let g = try chain()
        XCTAssertEqual(g.nodes.map(\.name), ["a", "b", "c", "s"])
    }

    func testRunComputesOutputsForABatch() throws {
        let exec = try Executor(graph: try chain(), registry: toyRegistry())
        let x = try Tensor(shape: [2, 2], floats: [0, 1, 2, 3])
        let out = try exec.run(["x": x])
        // a = x+1, b = 2a, c = b+1, s = a + c
        XCTAssertEqual(try out["c_out"]?.floats(), [3, 5, 7, 9])
        XCTAssertEqual(try out["s_out"]?.floats(), [4, 7, 10, 13])
    }

    func testKeepsIntermediateValues() throws {
        let exec = try Executor(graph: try chain(), registry: toyRegistry())
        let out = try exec.run(["x": try Tensor(shape: [1, 2], floats: [0, 1])], fetch: ["a_out", "b_out", "c_out"])
        XCTAssertEqual(try out["a_out"]?.floats(), [1, 2])
        XCTAssertEqual(try out["b_out"]?.floats(), [2, 4])
        XCTAssertEqual(try out["c_out"]?.floats(), [3, 5])
    }

    func testStartsFromAnIntermediateValueAndRunsOnlyDownstream() throws {
        let log = CallLog()
        let exec = try Executor(graph: try chain(), registry: toyRegistry(log))
        // Replace b's activation: only c runs; a is not needed for c_out.
        let out = try exec.run(["b_out": try Tensor(shape: [1, 2], floats: [10, 20])], fetch: ["c_out"])
        XCTAssertEqual(try out["c_out"]?.floats(), [11, 21])
        XCTAssertEqual(log.calls, ["c"])
    }

    func testStartingMidGraphStillComputesOtherNeededBranches() throws {
        let log = CallLog()
        let exec = try Executor(graph: try chain(), registry: toyRegistry(log))
        let out = try exec.run(["x": try Tensor(shape: [1, 2], floats: [0, 1]),
                                "b_out": try Tensor(shape: [1, 2], floats: [10, 20])], fetch: ["s_out"])
        // s = a + c with a = x+1 = [1,2] and c = b+1 = [11,21]
        XCTAssertEqual(try out["s_out"]?.floats(), [12, 23])
        XCTAssertEqual(log.calls.sorted(), ["a", "c", "s"])
    }

    func testStopsEarly() throws {
        let log = CallLog()
        let exec = try Executor(graph: try chain(), registry: toyRegistry(log))
        let out = try exec.run(["x": try Tensor(shape: [1, 2], floats: [0, 1])], fetch: ["a_out"])
        XCTAssertEqual(try out["a_out"]?.floats(), [1, 2])
        XCTAssertEqual(log.calls, ["a"])
    }

    func testMissingInputIsNamed() throws {
        let exec = try Executor(graph: try chain(), registry: toyRegistry())
        XCTAssertThrowsError(try exec.run([:])) { e in
            XCTAssertEqual("\(e)", "missing graph input 'x'")
        }
    }

    func testWrongShapeIsRejected() throws {
        let exec = try Executor(graph: try chain(), registry: toyRegistry())
        XCTAssertThrowsError(try exec.run(["x": try Tensor(shape: [1, 3], floats: [0, 1, 2])])) { e in
            XCTAssertTrue("\(e)".contains("input 'x' expects [N, 2], got [1, 3]"), "\(e)")
        }
    }

    func testKernelErrorsNameTheNode() throws {
        var g = Graph(nodes: [Node(name: "bad_add", opType: "AddT", inputs: ["x", "w"], outputs: ["y"])],
                      inputs: [ValueInfo(name: "x", shape: nil)], outputs: [ValueInfo(name: "y", shape: nil)],
                      initializers: ["w": try Tensor(shape: [3], floats: [1, 2, 3])])
        try g.sort()
        let exec = try Executor(graph: g, registry: toyRegistry())
        XCTAssertThrowsError(try exec.run(["x": try Tensor(shape: [2], floats: [1, 2])])) { e in
            XCTAssertEqual("\(e)", "node 'bad_add' (AddT): AddT: sizes differ")
        }
    }

    func testUnsupportedOpsAreListedTogether() throws {
        var g = Graph(nodes: [
            Node(name: "n1", opType: "Frobnicate", inputs: ["x"], outputs: ["a"]),
            Node(name: "n2", opType: "Swish", domain: "my.domain", inputs: ["a"], outputs: ["b"]),
            Node(name: "n3", opType: "Frobnicate", inputs: ["b"], outputs: ["y"]),
        ], inputs: [ValueInfo(name: "x", shape: nil)], outputs: [ValueInfo(name: "y", shape: nil)])
        try g.sort()
        XCTAssertThrowsError(try Executor(graph: g, registry: toyRegistry())) { e in
            guard case GraphError.unsupportedOps(let ops) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(ops["Frobnicate"]?.sorted(), ["n1", "n3"])
            XCTAssertEqual(ops["my.domain::Swish"], ["n2"])
            XCTAssertTrue("\(e)".contains("Register a custom op"))
        }
    }

    func testUserRegisteredOpOverridesBuiltIn() throws {
        var r = toyRegistry()
        r.register(OpDefinition(opType: "Twice") { ctx in
            let x = try ctx.input(0)
            return [try Tensor(shape: x.shape, floats: try x.floats().map { $0 * 3 })]
        })
        let out = try Executor(graph: try chain(), registry: r).run(["x": try Tensor(shape: [1, 2], floats: [0, 1])], fetch: ["b_out"])
        XCTAssertEqual(try out["b_out"]?.floats(), [3, 6])
    }
}

final class InPlaceTests: XCTestCase {
    /// AddOne with an in-place form that records when it was used.
    private func registry(_ log: CallLog) -> OpRegistry {
        var r = toyRegistry()
        r.register(OpDefinition(opType: "AddOne", inPlace: { t, ctx in
            log.record("inplace:\(ctx.node.name)")
            try t.withMutableFloats { b in for i in b.indices { b[i] += 1 } }
            return true
        }) { ctx in
            log.record(ctx.node.name)
            let x = try ctx.input(0)
            return [try Tensor(shape: x.shape, floats: try x.floats().map { $0 + 1 })]
        })
        return r
    }

    private func graph() throws -> Graph {
        var g = Graph(nodes: [
            Node(name: "a", opType: "AddOne", inputs: ["x"], outputs: ["a_out"]),
            Node(name: "b", opType: "Twice", inputs: ["a_out"], outputs: ["b_out"]),
            Node(name: "c", opType: "AddOne", inputs: ["b_out"], outputs: ["c_out"]),
        ], inputs: [ValueInfo(name: "x", shape: nil)], outputs: [ValueInfo(name: "c_out", shape: nil)])
        try g.sort()
        return g
    }

    func testInPlaceOnlyForIntermediatesAtTheirLastUse() throws {
        let log = CallLog()
        let exec = try Executor(graph: try graph(), registry: registry(log))
        let x = try Tensor(shape: [2], floats: [1, 2])
        // x is a feed: node a must not overwrite it; b_out is intermediate: c runs in place.
        let out = try exec.run(["x": x])
        XCTAssertEqual(try out["c_out"]?.floats(), [5, 7])
        XCTAssertEqual(try x.floats(), [1, 2])
        XCTAssertEqual(log.calls.filter { $0.hasPrefix("inplace") }, ["inplace:c"])
    }

    func testFetchedValuesAreNotOverwritten() throws {
        let log = CallLog()
        let exec = try Executor(graph: try graph(), registry: registry(log))
        let out = try exec.run(["x": try Tensor(shape: [2], floats: [1, 2])], fetch: ["b_out", "c_out"])
        XCTAssertEqual(try out["b_out"]?.floats(), [4, 6])
        XCTAssertEqual(try out["c_out"]?.floats(), [5, 7])
        XCTAssertFalse(log.calls.contains("inplace:c"))
    }
}
