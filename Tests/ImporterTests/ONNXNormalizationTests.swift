import Graph
import Importers
import TestSupport
import XCTest

/// Old-opset attributes become initializer inputs (docs/canonical-ops.md).
final class ONNXNormalizationTests: XCTestCase {
    func testOpset7AttributesBecomeInputs() throws {
        let g = try loadONNXFixture("old_opset7.onnx")
        XCTAssertEqual(g.opsets[""], 7)
        func check(_ name: String, inputs: [String], attrs: [String: Attribute] = [:],
                   file: StaticString = #filePath, line: UInt = #line) throws {
            let n = try onnxNode(g, name, file: file, line: line)
            XCTAssertEqual(n.inputs, inputs, name, file: file, line: line)
            XCTAssertEqual(n.attributes, attrs, name, file: file, line: line)
        }
        try check("clip", inputs: ["x", "clip__min", "clip__max"])
        XCTAssertEqual(try onnxInitializer(g, "clip__min"), .scalar(Float(-1)))
        XCTAssertEqual(try onnxInitializer(g, "clip__max"), .scalar(Float(2)))
        try check("clip_max_only", inputs: ["c", "", "clip_max_only__max"])
        XCTAssertEqual(try onnxInitializer(g, "clip_max_only__max"), .scalar(Float(1.5)))
        try check("unsq", inputs: ["c2", "unsq__axes"])
        try check("sq", inputs: ["u", "sq__axes"])
        XCTAssertEqual(try onnxInitializer(g, "sq__axes"), .vector([Int64(0)]))
        try check("rmean", inputs: ["s", "rmean__axes"], attrs: ["keepdims": .int(1)])
        XCTAssertEqual(try onnxInitializer(g, "rmean__axes"), .vector([Int64(1)]))
        try check("rsum", inputs: ["s", "rsum__axes"], attrs: ["keepdims": .int(0)])
        XCTAssertEqual(try onnxInitializer(g, "rsum__axes"), .vector([Int64(0), 1]))
        try check("rmax", inputs: ["s"])
        try check("slice", inputs: ["s", "slice__starts", "slice__ends", "slice__axes"])
        XCTAssertEqual(try onnxInitializer(g, "slice__starts"), .vector([Int64(0), 1]))
        XCTAssertEqual(try onnxInitializer(g, "slice__ends"), .vector([Int64(2), 3]))
        XCTAssertEqual(try onnxInitializer(g, "slice__axes"), .vector([Int64(0), 1]))
        try check("pad", inputs: ["sl", "pad__pads", "pad__value"])
        XCTAssertEqual(try onnxInitializer(g, "pad__pads"), .vector([Int64(0), 0, 1, 1]))
        XCTAssertEqual(try onnxInitializer(g, "pad__value"), .scalar(Float(0.5)))
        try check("split", inputs: ["p", "split__split"], attrs: ["axis": .int(1)])
        XCTAssertEqual(try onnxInitializer(g, "split__split"), .vector([Int64(1), 3]))
        try check("dropout", inputs: ["s", "dropout__ratio"])
        XCTAssertEqual(try onnxInitializer(g, "dropout__ratio"), .scalar(Float(0.25)))
        // "clip_dup__min" is already a value (a Relu output): the generated name steps aside.
        try check("clip_dup", inputs: ["s", "clip_dup__min_1"])
        XCTAssertEqual(try onnxInitializer(g, "clip_dup__min_1"), .scalar(Float(0)))
        XCTAssertNil(g.initializers["clip_dup__min"])
    }

    func testOldSoftmaxGetsLegacyFlag() throws {
        let g = try loadONNXFixture("old_opset7.onnx")
        XCTAssertEqual(try onnxNode(g, "softmax").attributes, ["axis": .int(1), "legacy_coerce_2d": .int(1)])
        XCTAssertEqual(try onnxNode(g, "logsoftmax").attributes, ["axis": .int(0), "legacy_coerce_2d": .int(1)])
    }

    func testUpsample7BecomesResize() throws {
        let g = try loadONNXFixture("old_opset7.onnx")
        let up = try onnxNode(g, "up")
        XCTAssertEqual(up.opType, "Resize")
        XCTAssertEqual(up.inputs, ["x4", "", "up__scales"])
        XCTAssertEqual(try onnxInitializer(g, "up__scales"), .vector([Float(1), 1, 2, 2]))
        XCTAssertEqual(up.attributes, ["mode": .string("nearest"),
                                       "coordinate_transformation_mode": .string("asymmetric"),
                                       "nearest_mode": .string("floor")])
    }

    func testUpsample9ScalesInput() throws {
        let g = try loadONNXFixture("upsample_opset9.onnx")
        let up = try onnxNode(g, "up9")
        XCTAssertEqual(up.opType, "Resize")
        XCTAssertEqual(up.inputs, ["x4", "", "scales"])
        XCTAssertEqual(up.attributes["mode"], .string("linear"))
        XCTAssertEqual(up.attributes["coordinate_transformation_mode"], .string("asymmetric"))
    }

    func testResize10() throws {
        let g = try loadONNXFixture("resize_opset10.onnx")
        let r = try onnxNode(g, "resize10")
        XCTAssertEqual(r.inputs, ["x4", "", "scales"])
        XCTAssertEqual(r.attributes["mode"], .string("nearest"))
        XCTAssertEqual(r.attributes["coordinate_transformation_mode"], .string("asymmetric"))
        XCTAssertEqual(try onnxInitializer(g, "scales"), .vector([Float(1), 1, 2, 3]))
    }

    func testReshapeShapeAttribute() throws {
        let g = try loadONNXFixture("reshape_opset4.onnx")
        let r = try onnxNode(g, "reshape")
        XCTAssertEqual(r.inputs, ["x", "reshape__shape"])
        XCTAssertEqual(r.attributes, [:])
        XCTAssertEqual(try onnxInitializer(g, "reshape__shape"), .vector([Int64(4), 2]))
    }

    func testTopK1AttributeBecomesInput() throws {
        let g = try loadONNXFixture("topk_opset1.onnx")
        let n = try onnxNode(g, "topk1")
        XCTAssertEqual(n.inputs, ["x", "topk1__k"])
        XCTAssertEqual(n.attributes, ["axis": .int(1)])
        XCTAssertEqual(try onnxInitializer(g, "topk1__k"), .vector([Int64(2)]))
    }

    func testOpset13IsLeftAlone() throws {
        let g = try loadONNXFixture("opset13.onnx")
        XCTAssertEqual(try onnxNode(g, "sq13").inputs, ["x", "axes"])
        XCTAssertEqual(try onnxNode(g, "sm13").attributes, [:])
        XCTAssertEqual(Set(g.initializers.keys), ["axes"])
    }
}
