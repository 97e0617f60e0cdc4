import Graph
import Importers
import TestSupport
import XCTest

/// Malformed models throw errors naming the file and the node or initializer involved.
final class ONNXErrorTests: XCTestCase {
    func testCycle() {
        assertONNXError(try loadBare("cycle.onnx"), contains: ["cycle.onnx", "cycle", "cyc_a", "cyc_b"])
    }

    func testMissingInput() {
        assertONNXError(try loadBare("missing_input.onnx"),
                        contains: ["missing_input.onnx", "node 'needs_nowhere' (Add)", "'nowhere'"])
    }

    func testTruncatedAndGarbage() {
        assertONNXError(try loadBare("truncated.onnx"), contains: ["truncated.onnx", "truncated or corrupt"])
        assertONNXError(try loadBare("garbage.onnx"), contains: ["garbage.onnx", "not an ONNX model"])
    }

    func testEmptyAndNonModelBytes() {
        assertONNXError(try ONNXImporter.load(data: [], path: "empty.onnx"), contains: ["empty.onnx", "no graph", "empty"])
        assertONNXError(try ONNXImporter.load(data: [0x50, 0x4b, 0x03, 0x04, 0, 0], path: "w.npz"),
                        contains: ["w.npz", "zip"])
    }

    func testRawDataLengthMismatch() {
        assertONNXError(try loadBare("raw_mismatch.onnx"),
                        contains: ["raw_mismatch.onnx", "initializer 'w_short'", "12 bytes", "need 16"])
    }

    func testAbsurdDimsFailWithoutAllocating() {
        // dims claim 10^18 floats over 8 bytes of data.
        assertONNXError(try loadBare("huge_dims.onnx"),
                        contains: ["huge_dims.onnx", "initializer 'w_huge'", "more than 2147483648 elements"])
    }

    func testUnknownAndStringDataTypes() {
        assertONNXError(try loadBare("unknown_dtype.onnx"),
                        contains: ["unknown_dtype.onnx", "initializer 'w_unknown'", "unsupported data type 99"])
        assertONNXError(try loadBare("string_tensor.onnx"),
                        contains: ["string_tensor.onnx", "initializer 'w_str'", "string tensors are not supported"])
    }

    func testSubgraphAttribute() {
        assertONNXError(try loadBare("subgraph.onnx"),
                        contains: ["subgraph.onnx", "node 'branch' (If)", "unsupported (subgraph) attribute"])
    }

    func testMissingFile() {
        assertONNXError(try ONNXImporter.load(path: "/nonexistent/model.onnx"),
                        contains: ["/nonexistent/model.onnx", "cannot open"])
    }

    /// A deterministic mini-fuzz: every prefix and every single-bit flip of two small models must
    /// load or throw a file-named error, never crash.
    func testEveryPrefixAndBitFlipIsHandled() throws {
        for name in ["initializers.onnx", "old_opset7.onnx"] {
            let full = try [UInt8](Data(contentsOf: URL(fileURLWithPath: onnxFixture(name))))
            XCTAssertNoThrow(try ONNXImporter.load(data: full, path: name))
            var thrown = 0
            func attempt(_ bytes: [UInt8]) {
                do { _ = try ONNXImporter.load(data: bytes, path: name) } catch let e as GraphError {
                    thrown += 1
                    if case .inFile(name, _) = e {} else { XCTFail("error without the file: \(e)") }
                } catch { XCTFail("not a GraphError: \(error)") }
            }
            for n in 0..<full.count { attempt(Array(full.prefix(n))) }
            for i in full.indices { for bit in 0..<8 { var b = full; b[i] ^= UInt8(1 << bit); attempt(b) } }
            XCTAssertGreaterThan(thrown, full.count / 2, name)  // most corruptions are detected
        }
    }

    private func loadBare(_ name: String) throws -> Graph { try ONNXImporter.load(path: onnxFixture(name)) }
}
