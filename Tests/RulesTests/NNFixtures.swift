import Foundation
import Graph
import Rules
import TestSupport
import XCTest

/// One single-node reference case from fixtures/ops-nn/<family>.json (written by generate.py from
/// onnxruntime / onnx.reference results).
struct NNCase {
    var name: String
    var op: String
    var attributes: [String: Attribute]
    var inputs: [Tensor?]
    var outputs: [Tensor]

    /// The canonical node the case describes: inputs "in0", "in1", ... ("" where not given).
    var node: Node {
        Node(name: name, opType: op, inputs: inputs.enumerated().map { $0.element == nil ? "" : "in\($0.offset)" },
             outputs: ["out0"], attributes: attributes)
    }

    /// Runs the standard registry's kernel for this node. `constantParameters`: inputs after the
    /// first are marked as graph initializers (weights), as the executor does for a model's own.
    func run(threads: Int, constantParameters: Bool = true) throws -> [Tensor] {
        guard let def = standardRegistry().lookup(domain: "", opType: op, opset: 21) else {
            throw GraphError.kernel("no definition for \(op)")
        }
        return try Executor.call(def, node: node, args: inputs, threads: threads, opset: 21,
                                 constants: constantParameters ? inputs.indices.map { $0 > 0 } : [])
    }
}

enum NNFixtureError: Error { case malformed(String) }

/// Loads every case of a family.
func loadNNCases(_ family: String) throws -> [NNCase] {
    let data = try Data(contentsOf: fixturesURL("ops-nn/\(family).json"))
    guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
          let cases = root["cases"] as? [[String: Any]] else { throw NNFixtureError.malformed(family) }
    return try cases.map { c in
        guard let name = c["name"] as? String, let op = c["op"] as? String,
              let attrs = c["attrs"] as? [String: [String: Any]],
              let ins = c["inputs"] as? [Any], let outs = c["outputs"] as? [[String: Any]] else {
            throw NNFixtureError.malformed("\(family): case \(c["name"] ?? "?")")
        }
        var attributes: [String: Attribute] = [:]
        for (k, v) in attrs {
            if let i = v["i"] as? Int { attributes[k] = .int(i) }
            else if let f = v["f"] as? Double { attributes[k] = .float(Float(f)) }
            else if let s = v["s"] as? String { attributes[k] = .string(s) }
            else if let l = v["ints"] as? [Int] { attributes[k] = .ints(l) }
            else if let l = v["floats"] as? [Double] { attributes[k] = .floats(l.map { Float($0) }) }
            else { throw NNFixtureError.malformed("\(name): attribute \(k)") }
        }
        let inputs = try ins.map { x -> Tensor? in
            guard let t = x as? [String: Any] else { return nil }
            return try decodeTensor(t, name)
        }
        return NNCase(name: name, op: op, attributes: attributes, inputs: inputs,
                      outputs: try outs.map { try decodeTensor($0, name) })
    }
}

private func decodeTensor(_ t: [String: Any], _ name: String) throws -> Tensor {
    guard let dtype = t["dtype"] as? String, let shape = t["shape"] as? [Int], let b64 = t["data"] as? String,
          let bytes = Data(base64Encoded: b64) else { throw NNFixtureError.malformed("\(name): tensor") }
    let raw = [UInt8](bytes)
    func word(_ i: Int, _ size: Int) -> UInt64 {
        var v: UInt64 = 0
        for k in 0..<size { v |= UInt64(raw[i * size + k]) << (8 * UInt64(k)) }
        return v
    }
    switch dtype {
    case "float32":
        return try Tensor(shape: shape, floats: (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(word($0, 4))) })
    case "int64":
        return try Tensor(shape: shape, ints: (0..<(raw.count / 8)).map { Int64(bitPattern: word($0, 8)) })
    default:
        throw NNFixtureError.malformed("\(name): dtype \(dtype)")
    }
}

/// Runs every case of `family` with 1 and 2 threads against its reference output
/// (max |diff| <= 1e-4 · max |ref| + 1e-6). Returns the number of cases checked.
@discardableResult
func checkNNFamily(_ family: String, file: StaticString = #filePath, line: UInt = #line) throws -> Int {
    let cases = try loadNNCases(family)
    XCTAssertFalse(cases.isEmpty, "no cases in \(family)", file: file, line: line)
    for c in cases {
        for threads in [1, 2] {
            do {
                let got = try c.run(threads: threads)
                XCTAssertEqual(got.count, max(1, c.outputs.count), "\(c.name): output count", file: file, line: line)
                if let g = got.first, let want = c.outputs.first {
                    assertClose(g, want, rtol: Tolerance.conformanceRelative, atol: 1e-6,
                                "[\(family)] \(c.name) (threads \(threads))", file: file, line: line)
                }
            } catch {
                XCTFail("[\(family)] \(c.name) (threads \(threads)) threw \(error)", file: file, line: line)
            }
        }
    }
    return cases.count
}
