import Foundation
import Graph
import Rules
import TestSupport
import XCTest

/// Reads fixtures/ops-tensor/cases.json (written by fixtures/ops-tensor/generate.py): single-node
/// cases with onnxruntime reference outputs, as plain JSON.
struct TensorCaseFile: Decodable {
    let opset: Int
    let cases: [TensorCase]

    static func load() throws -> TensorCaseFile {
        let data = try Data(contentsOf: fixturesURL("ops-tensor/cases.json"))
        return try JSONDecoder().decode(TensorCaseFile.self, from: data)
    }
}

struct TensorCase: Decodable {
    let name: String
    let op: String
    let attrs: [String: JSONAttribute]
    let inputs: [JSONTensor?]
    let outputs: [JSONTensor]
    let atol: Float?
    let rtol: Float?

    /// The node this case runs: inputs x0..., empty names for omitted optional inputs.
    var node: Node {
        Node(name: name, opType: op,
             inputs: inputs.enumerated().map { $0.element == nil ? "" : "x\($0.offset)" },
             outputs: outputs.indices.map { "y\($0)" },
             attributes: attrs.mapValues(\.value))
    }
}

/// A float that JSON holds as a number, or as "inf" / "-inf" / "nan".
struct JSONFloat: Decodable {
    let value: Float
    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(Float.self) { value = v; return }
        switch try c.decode(String.self) {
        case "inf": value = .infinity
        case "-inf": value = -.infinity
        case "nan": value = .nan
        case let s: throw DecodingError.dataCorruptedError(in: c, debugDescription: "bad float '\(s)'")
        }
    }
}

struct JSONTensor: Decodable {
    let tensor: Tensor
    private enum Keys: String, CodingKey { case dtype, shape, data }
    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let shape = try c.decode([Int].self, forKey: .shape)
        switch try c.decode(String.self, forKey: .dtype) {
        case "float32": tensor = try Tensor(shape: shape, floats: c.decode([JSONFloat].self, forKey: .data).map(\.value))
        case "int64": tensor = try Tensor(shape: shape, ints: c.decode([Int64].self, forKey: .data))
        case "bool": tensor = try Tensor(shape: shape, bools: c.decode([Bool].self, forKey: .data))
        case let d: throw DecodingError.dataCorruptedError(forKey: .dtype, in: c, debugDescription: "dtype \(d)")
        }
    }
}

struct JSONAttribute: Decodable {
    let value: Attribute
    private enum Keys: String, CodingKey { case int, ints, float, floats, string, tensor }
    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        if let v = try c.decodeIfPresent(Int.self, forKey: .int) { value = .int(v) }
        else if let v = try c.decodeIfPresent([Int].self, forKey: .ints) { value = .ints(v) }
        else if let v = try c.decodeIfPresent(JSONFloat.self, forKey: .float) { value = .float(v.value) }
        else if let v = try c.decodeIfPresent([JSONFloat].self, forKey: .floats) { value = .floats(v.map(\.value)) }
        else if let v = try c.decodeIfPresent(String.self, forKey: .string) { value = .string(v) }
        else if let v = try c.decodeIfPresent(JSONTensor.self, forKey: .tensor) { value = .tensor(v.tensor) }
        else { throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown attribute kind")) }
    }
}

/// Runs one node through the standard registry, the way the executor would.
func runNode(_ node: Node, _ inputs: [Tensor?], threads: Int = 1, opset: Int = 21,
             registry: OpRegistry = standardRegistry()) throws -> [Tensor] {
    guard let def = registry.lookup(domain: node.domain, opType: node.opType, opset: opset) else {
        throw GraphError.unsupportedOps([node.opType: [node.name]])
    }
    return try Executor.call(def, node: node, args: inputs, threads: threads, opset: opset)
}

/// Asserts equal dtype and shape, then values: floats within tolerance, int64 and bool exactly.
func assertTensorMatches(_ got: Tensor, _ want: Tensor, rtol: Float = 1e-5, atol: Float = 1e-6,
                         _ message: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(got.dtype, want.dtype, "dtype \(message)", file: file, line: line)
    guard got.dtype == want.dtype else { return }
    if want.dtype == .float32 {
        assertClose(got, want, rtol: rtol, atol: atol, message, file: file, line: line)
    } else {
        XCTAssertEqual(got, want, message, file: file, line: line)
    }
}
