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
    private struct Case { var name: String; var fetch: [String]; var ops: [String]; var fusedOps: [String]; var referenceOps: [String] }

    private func cases() throws -> [Case] {
        let data = try Data(contentsOf: fixturesURL("fused/manifest.json"))
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try XCTUnwrap(root["cases"] as? [String: [String: Any]])
        return try cases.keys.sorted().map { name in
            let c = try XCTUnwrap(cases[name])
            return Case(name: name, fetch: try XCTUnwrap(c["fetch"] as? [String]), ops: try XCTUnwrap(c["ops"] as? [String]),
                        fusedOps: try XCTUnwrap(c["fused_ops"] as? [String]),
                        referenceOps: try XCTUnwrap(c["fused_ops_reference"] as? [String]))
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
        XCTAssertEqual(ops, precision == .fast ? c.fusedOps : c.referenceOps, "\(what): the nodes fused into the Conv")

        let (apart, opsApart) = try run(graph, x, fetch: ["y"] + c.fetch, precision: precision)
        XCTAssertEqual(opsApart, c.ops, "\(what): a fetched intermediate value is never fused away")
        assertClose(try XCTUnwrap(apart["y"]), y, rtol: Tolerance.conformanceRelative, atol: 0, what)
        for v in c.fetch {
            assertClose(try XCTUnwrap(apart[v]), try XCTUnwrap(io["fetch:\(v)"]), rtol: Tolerance.conformanceRelative,
                        atol: 0, "\(what): fetched \(v)")
        }
        // One value at a time (the rest of the chain is fused around it), on one executor, so
        // parameters folded for one fetch set are not reused for another.
        let exec = try Executor(graph: graph, registry: standardRegistry(), threads: 2, precision: precision)
        for v in c.fetch + c.fetch.reversed() {
            let out = try exec.run(["x": x], fetch: ["y", v])
            assertClose(try XCTUnwrap(out[v]), try XCTUnwrap(io["fetch:\(v)"]), rtol: Tolerance.conformanceRelative,
                        atol: 0, "\(what): fetched \(v) alone")
            assertClose(try XCTUnwrap(out["y"]), y, rtol: Tolerance.conformanceRelative, atol: 0, "\(what): y beside \(v)")
        }
        let again = try exec.run(["x": x])
        assertClose(try XCTUnwrap(again["y"]), y, rtol: Tolerance.conformanceRelative, atol: 0, "\(what): y after fetches")
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
