import Foundation
import Graph
import Rules
import TestSupport
import XCTest

/// NN gradients against PyTorch autograd (fixtures/grad-nn/cases.json, written by generate.py):
/// every compared input gradient within 1e-4 of the reference's largest magnitude.
final class NNGradTorchTests: XCTestCase {
    private struct Case {
        var name: String, op: String
        var attrs: [String: Attribute]
        var inputs: [Tensor?], seed: Tensor, grads: [Tensor?]
    }

    private enum Malformed: Error { case at(String) }

    private func tensor(_ any: Any?, _ name: String) throws -> Tensor? {
        guard let t = any as? [String: Any] else { return nil }
        guard let shape = t["shape"] as? [Int], let data = t["data"] as? [Double] else { throw Malformed.at(name) }
        if t["dtype"] as? String == "int64" { return try Tensor(shape: shape, ints: data.map { Int64($0) }) }
        return try Tensor(shape: shape, floats: data.map { Float($0) })
    }

    private func load() throws -> [Case] {
        let data = try Data(contentsOf: fixturesURL("grad-nn/cases.json"))
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let cases = root["cases"] as? [[String: Any]] else { throw Malformed.at("root") }
        return try cases.map { c in
            guard let name = c["name"] as? String, let op = c["op"] as? String,
                  let attrs = c["attrs"] as? [String: [String: Any]],
                  let ins = c["inputs"] as? [Any], let grads = c["grads"] as? [Any] else { throw Malformed.at("\(c["name"] ?? "?")") }
            var a: [String: Attribute] = [:]
            for (k, v) in attrs {
                if let i = v["i"] as? Int { a[k] = .int(i) }
                else if let f = v["f"] as? Double { a[k] = .float(Float(f)) }
                else if let s = v["s"] as? String { a[k] = .string(s) }
                else if let l = v["ints"] as? [Int] { a[k] = .ints(l) }
                else { throw Malformed.at("\(name).\(k)") }
            }
            return Case(name: name, op: op, attrs: a, inputs: try ins.map { try tensor($0, name) },
                        seed: try XCTUnwrap(try tensor(c["seed"], name)), grads: try grads.map { try tensor($0, name) })
        }
    }

    func testAgainstTorchAutograd() throws {
        let cases = try load()
        XCTAssertGreaterThanOrEqual(cases.count, 20)
        var compared = 0
        for c in cases {
            for threads in [1, 3] {
                let got = try NNGradCheck(c.op, c.inputs, c.attrs, threads: threads).vjp(seed: c.seed)
                for (i, want) in c.grads.enumerated() {
                    guard let want else { continue }
                    let g = try XCTUnwrap(i < got.count ? got[i] : nil, "\(c.name): no gradient for input \(i)")
                    assertClose(g, want, rtol: Tolerance.conformanceRelative, atol: 0, "\(c.name) input \(i) threads \(threads)")
                    compared += 1
                }
            }
        }
        XCTAssertGreaterThan(compared, 40)
    }
}
