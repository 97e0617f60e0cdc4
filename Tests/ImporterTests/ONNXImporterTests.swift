import Graph
import Importers
import TestSupport
import XCTest

/// Model structure, initializer decoding, names, constants and custom domains.
final class ONNXImporterTests: XCTestCase {
    func testInitializersRawAndTypedFields() throws {
        let g = try loadONNXFixture("initializers.onnx")
        // Same values stored as raw_data and as float_data.
        XCTAssertEqual(try onnxInitializer(g, "w_raw"), try Tensor(shape: [1, 3], floats: [0.5, -1.25, 2.0]))
        XCTAssertEqual(try onnxInitializer(g, "w_typed"), try Tensor(shape: [1, 3], floats: [0.5, -1.25, 2.0]))
        // float16: 1.5 and the half nearest -0.1 (-0.0999755859375); max half 65504 and 2^-14.
        XCTAssertEqual(try onnxInitializer(g, "h_raw").floats(), [1.5, -0.0999755859375])
        XCTAssertEqual(try onnxInitializer(g, "h_typed").floats(), [65504, 0.00006103515625])
        XCTAssertEqual(try onnxInitializer(g, "d_typed").floats(), [3.25, Float(-0.001)])
        XCTAssertEqual(try onnxInitializer(g, "d_raw").floats(), [2.5])
        XCTAssertEqual(try onnxInitializer(g, "bf16_raw").floats(), [1.5])
        // Integer types become int64.
        XCTAssertEqual(try onnxInitializer(g, "i32_typed").ints(), [-7, 0, 2_147_483_647])
        XCTAssertEqual(try onnxInitializer(g, "i8_raw").ints(), [-128, 5])
        XCTAssertEqual(try onnxInitializer(g, "u64_typed").ints(), [12_345_678_901])
        XCTAssertEqual(try onnxInitializer(g, "i64_raw"), try Tensor(shape: [2, 1], ints: [-3, 1 << 40]))
        XCTAssertEqual(try onnxInitializer(g, "b_typed").bools(), [true, false, true])
        XCTAssertEqual(try onnxInitializer(g, "empty").shape, [0, 3])
        XCTAssertEqual(g.initializers.count, 13)
    }

    func testInputsOutputsAndOpsets() throws {
        let g = try loadONNXFixture("initializers.onnx")
        XCTAssertEqual(g.name, "g")
        XCTAssertEqual(g.opsets, ["": 13])
        XCTAssertEqual(g.inputs.map(\.name), ["x", "w_raw"])
        XCTAssertEqual(g.inputs.first?.shape, [.symbol("N"), .fixed(3)])
        // w_raw is both a graph input and an initializer: not something to feed.
        XCTAssertEqual(g.feedInputs.map(\.name), ["x"])
        // An output dimension with neither dim_value nor dim_param becomes "?".
        XCTAssertEqual(g.outputs, [ValueInfo(name: "y", dtype: .float32, shape: [.symbol("?"), .fixed(3)])])
        XCTAssertEqual(g.nodes.map(\.name), ["add_raw", "mul_typed"])
        XCTAssertEqual(g.nodes.map(\.inputs), [["x", "w_raw"], ["t", "w_typed"]])
    }

    func testConstantsBecomeInitializersAndNamesAreUnique() throws {
        let g = try loadONNXFixture("custom_and_constants.onnx")
        XCTAssertFalse(g.nodes.contains { $0.opType == "Constant" })
        XCTAssertEqual(try onnxInitializer(g, "k_tensor"), try Tensor(shape: [1, 2], floats: [1, 2]))
        XCTAssertEqual(try onnxInitializer(g, "k_float"), .scalar(Float(0.5)))
        XCTAssertEqual(try onnxInitializer(g, "k_floats"), .vector([Float(1), -1]))
        XCTAssertEqual(try onnxInitializer(g, "k_int"), .scalar(Int64(7)))
        XCTAssertEqual(try onnxInitializer(g, "k_ints"), .vector([Int64(3), 4]))
        // Node 5 (Add) has no name; the two nodes named "dup" are told apart.
        XCTAssertEqual(g.nodes.map(\.name), ["Add_5", "swish", "dup", "dup_2"])
        XCTAssertEqual(g.inputs.first?.shape, [.symbol("batch"), .fixed(2)])
    }

    func testCustomDomainNodeIsKept() throws {
        let g = try loadONNXFixture("custom_and_constants.onnx")
        let swish = try onnxNode(g, "swish")
        XCTAssertEqual(swish.domain, "com.example")
        XCTAssertEqual(swish.qualifiedOp, "com.example::Swish")
        XCTAssertEqual(swish.inputs, ["a"])
        XCTAssertEqual(swish.attributes, ["beta": .float(1.5)])
        XCTAssertEqual(g.opsets["com.example"], 1)
        XCTAssertEqual(g.opset(of: "com.example"), 1)
    }

    func testRegistryCheckListsEveryUnsupportedOp() throws {
        var registry = OpRegistry()
        registry.register(OpDefinition(opType: "Add") { _ in [] })
        // Mul, Relu and the custom Swish are missing: one error names them all with their nodes.
        assertONNXError(try ONNXImporter.load(path: onnxFixture("custom_and_constants.onnx"), registry: registry),
                        contains: ["custom_and_constants.onnx", "com.example::Swish: nodes swish",
                                   "Mul: nodes dup", "Relu: nodes dup_2"])
        registry.register(OpDefinition(opType: "Mul") { _ in [] })
        registry.register(OpDefinition(opType: "Relu") { _ in [] })
        registry.register(OpDefinition(domain: "com.example", opType: "Swish") { _ in [] })
        XCTAssertEqual(try ONNXImporter.load(path: onnxFixture("custom_and_constants.onnx"), registry: registry).nodes.count, 4)
    }

    func testLoadFromMemoryMatchesLoadFromFile() throws {
        let path = onnxFixture("old_opset7.onnx")
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let a = try ONNXImporter.load(data: bytes, path: "mem.onnx", baseDirectory: nil)
        let b = try ONNXImporter.load(path: path)
        XCTAssertEqual(a.nodes, b.nodes)
        XCTAssertEqual(a.initializers, b.initializers)
        XCTAssertEqual(a.nodes.count, 16)
    }
}
