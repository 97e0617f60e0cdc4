import Foundation
import Graph
import Importers
import TestSupport
import XCTest

/// TensorProto files (.pb) and external tensor data.
final class ONNXTensorTests: XCTestCase {
    func testReadTensorProtoFromBackendTestData() throws {
        // From onnx's test_operator_exp: output_0 = exp(input_0).
        let (inName, input) = try ONNXImporter.readTensor(path: onnxFixture("exp_input_0.pb"))
        let (_, output) = try ONNXImporter.readTensor(path: onnxFixture("exp_output_0.pb"))
        XCTAssertEqual(inName, "")  // these files leave the name empty
        XCTAssertEqual(input.shape, [3, 4])
        // First row as printed by onnx.numpy_helper.to_array.
        assertClose(.vector(Array(try input.floats().prefix(4))), .vector([Float(0.04613046), 0.40240282, -1.0115291, 0.21673824]),
                    rtol: 0, atol: 1e-7)
        assertClose(output, try Tensor(shape: input.shape, floats: input.floatValues().map { expf($0) }), rtol: 1e-6)
    }

    func testReadInt64TensorProto() throws {
        let (name, t) = try ONNXImporter.readTensor(path: onnxFixture("ints.pb"))
        XCTAssertEqual(name, "ints")
        XCTAssertEqual(t, try Tensor(shape: [1, 3], ints: [1, -2, 3]))
    }

    func testReadTensorErrors() {
        assertONNXError(try ONNXImporter.readTensor(path: onnxFixture("garbage.onnx")),
                        contains: ["garbage.onnx", "TensorProto"])
    }

    func testExternalDataInsideTheFolder() throws {
        let g = try loadONNXFixture("external_ok.onnx")
        // weights/ext.bin: 8 padding bytes, then a = [1, 2, 3] (float32), then b = [[10, -20]] (int64).
        XCTAssertEqual(try onnxInitializer(g, "a"), .vector([Float(1), 2, 3]))
        XCTAssertEqual(try onnxInitializer(g, "b"), try Tensor(shape: [1, 2], ints: [10, -20]))
    }

    func testExternalDataEscapingTheFolderIsRefused() {
        assertONNXError(try ONNXImporter.load(path: onnxFixture("external_escape.onnx")),
                        contains: ["external_escape.onnx", "initializer 'a'", "escapes the model's folder"])
        assertONNXError(try ONNXImporter.load(path: onnxFixture("external_absolute.onnx")),
                        contains: ["external_absolute.onnx", "initializer 'a'", "absolute path"])
    }

    func testExternalDataLengthMismatch() {
        assertONNXError(try ONNXImporter.load(path: onnxFixture("external_badlength.onnx")),
                        contains: ["external_badlength.onnx", "initializer 'a'", "holds 16 bytes", "need 12"])
    }

    func testExternalDataNeedsABaseDirectory() throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: onnxFixture("external_ok.onnx"))))
        assertONNXError(try ONNXImporter.load(data: bytes, path: "mem.onnx", baseDirectory: nil),
                        contains: ["mem.onnx", "initializer 'a'", "not loaded from a file"])
        XCTAssertEqual(try ONNXImporter.load(data: bytes, path: "mem.onnx", baseDirectory: onnxFixture(""))
                        .initializers["a"], .vector([Float(1), 2, 3]))
    }

    func testSymlinkOutsideTheFolderIsRefused() throws {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("cfcam-onnx-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: dir) }
        try fm.createDirectory(at: dir.appendingPathComponent("weights"), withIntermediateDirectories: true)
        let model = dir.appendingPathComponent("m.onnx").path
        try fm.copyItem(atPath: onnxFixture("external_ok.onnx"), toPath: model)
        // weights/ext.bin inside the model folder is a symlink to a file outside it.
        try fm.createSymbolicLink(atPath: dir.appendingPathComponent("weights/ext.bin").path,
                                  withDestinationPath: onnxFixture("weights/ext.bin"))
        assertONNXError(try ONNXImporter.load(path: model), contains: ["m.onnx", "initializer 'a'", "outside the model's folder"])

        // A symlink that stays inside the folder is fine.
        try fm.removeItem(atPath: dir.appendingPathComponent("weights/ext.bin").path)
        try fm.copyItem(atPath: onnxFixture("weights/ext.bin"), toPath: dir.appendingPathComponent("real.bin").path)
        try fm.createSymbolicLink(atPath: dir.appendingPathComponent("weights/ext.bin").path, withDestinationPath: "../real.bin")
        XCTAssertEqual(try ONNXImporter.load(path: model).initializers["a"], .vector([Float(1), 2, 3]))
    }
}
