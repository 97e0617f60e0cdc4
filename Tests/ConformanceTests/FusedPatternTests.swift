import Foundation
import Graph
import Importers
import Rules
import TestSupport
import XCTest

/// The fast executor's fused patterns (fixtures/fused, written by fixtures/fused/generate.py from
/// onnxruntime): each small graph matches onnxruntime with the fusion taken (the activation node
/// does not run), on the AVX-512 and portable kernels and at the reference precision; and a
/// fetched value inside a fused chain (the convolution's output before its activation) keeps its
/// unfused value, which also matches onnxruntime.
final class FusedPatternTests: XCTestCase {
    private struct Case { var name: String; var fetch: [String]; var ops: [String]; var fusedOps: [String] }

    private func cases() throws -> [Case] {
        let data = try Data(contentsOf: fixturesURL("fused/manifest.json"))
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try XCTUnwrap(root["cases"] as? [String: [String: Any]])
        return try cases.keys.sorted().map { name in
            let c = try XCTUnwrap(cases[name])
            return Case(name: name, fetch: try XCTUnwrap(c["fetch"] as? [String]), ops: try XCTUnwrap(c["ops"] as? [String]),
                        fusedOps: try XCTUnwrap(c["fused_ops"] as? [String]))
        }
    }

    /// Runs `graph`, returning the fetched values and the op types that ran.
    private func run(_ graph: Graph, _ x: Tensor, fetch: [String]? = nil,
                     precision: ComputePrecision = .fast) throws -> ([String: Tensor], [String]) {
        let log = OpTypeLog()
        var exec = try Executor(graph: graph, registry: standardRegistry(), threads: 2, precision: precision)
        exec.nodeTimer = { node, _ in log.add(node.opType) }
        return (try exec.run(["x": x], fetch: fetch), log.ops)
    }

    private func check(_ c: Case, fast: Bool, precision: ComputePrecision) throws {
        let graph = try ModelLoader.load(fixturesURL("fused/\(c.name).onnx").path, registry: standardRegistry())
        let io = try NPZ.read(path: fixturesURL("fused/\(c.name).npz").path)
        let x = try XCTUnwrap(io["x"]), y = try XCTUnwrap(io["y"])
        let what = "\(c.name) (AVX-512 \(fast), \(precision))"

        let (fused, ops) = try run(graph, x, precision: precision)
        assertClose(try XCTUnwrap(fused["y"]), y, rtol: Tolerance.conformanceRelative, atol: 0, what)
        XCTAssertEqual(ops, c.fusedOps, "\(what): the Pad and activation must be fused into the Conv")

        let (apart, opsApart) = try run(graph, x, fetch: ["y"] + c.fetch, precision: precision)
        XCTAssertEqual(opsApart, c.ops, "\(what): a fetched intermediate value is never fused away")
        assertClose(try XCTUnwrap(apart["y"]), y, rtol: Tolerance.conformanceRelative, atol: 0, what)
        for v in c.fetch {
            assertClose(try XCTUnwrap(apart[v]), try XCTUnwrap(io["fetch:\(v)"]), rtol: Tolerance.conformanceRelative,
                        atol: 0, "\(what): fetched \(v)")
        }
    }

    func testFusedPatternsMatchOnnxruntime() throws {
        let all = try cases()
        XCTAssertGreaterThanOrEqual(all.count, 10)
        let saved = FastGEMM.enabled
        defer { FastGEMM.enabled = saved }
        for fast in FastGEMM.available ? [true, false] : [false] {
            FastGEMM.enabled = fast
            for c in all {
                try check(c, fast: fast, precision: .fast)
                try check(c, fast: fast, precision: .reference)
            }
        }
    }
}

/// Op types in the order the executor ran them (from `Executor.nodeTimer`).
final class OpTypeLog: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ op: String) { lock.lock(); list.append(op); lock.unlock() }
    var ops: [String] { lock.lock(); defer { lock.unlock() }; return list }
}
