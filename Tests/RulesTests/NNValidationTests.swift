import Graph
import Rules
import TestSupport
import XCTest

/// Bad shapes and attributes throw errors that name the node, the op and what is wrong.
final class NNValidationTests: XCTestCase {
    private func error(_ op: String, _ inputs: [Tensor?], _ attrs: [String: Attribute] = [:]) -> String {
        let node = Node(name: "bad", opType: op, inputs: inputs.enumerated().map { $0.element == nil ? "" : "i\($0.offset)" },
                        outputs: ["y"], attributes: attrs)
        guard let def = standardRegistry().lookup(domain: "", opType: op, opset: 21) else { return "no definition for \(op)" }
        do {
            _ = try Executor.call(def, node: node, args: inputs, threads: 2, opset: 21)
            return "no error"
        } catch {
            return "\(error)"
        }
    }
    private func zeros(_ s: [Int]) -> Tensor { Tensor.zeros(s) }

    private func assertError(_ message: String, contains parts: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(message.contains("node 'bad'"), "no node name in: \(message)", file: file, line: line)
        for p in parts { XCTAssertTrue(message.contains(p), "'\(p)' not in: \(message)", file: file, line: line) }
    }

    func testConvErrors() {
        assertError(error("Conv", [zeros([1, 3, 8, 8]), zeros([4, 64, 3, 3])]),
                    contains: ["weight has 64 input channels per group, input has 3 (group 1)"])
        assertError(error("Conv", [zeros([1, 4, 8, 8]), zeros([4, 2, 3, 3])], ["group": .int(3)]), contains: ["group 3"])
        assertError(error("Conv", [zeros([1, 3, 2, 2]), zeros([4, 3, 3, 3])]), contains: ["does not fit"])
        assertError(error("Conv", [zeros([1, 3, 4, 4, 4]), zeros([4, 3, 1, 1, 1])]), contains: ["3-D windows are not supported"])
        assertError(error("Conv", [zeros([1, 3, 4, 4]), zeros([4, 3, 1, 1]), zeros([5])]), contains: ["bias has shape [5]"])
        assertError(error("Conv", [zeros([1, 3, 4, 4]), zeros([4, 3, 1, 1])], ["auto_pad": .string("BOGUS")]), contains: ["auto_pad"])
        assertError(error("Conv", [zeros([1, 3, 4, 4]), zeros([4, 3, 1, 1])], ["strides": .ints([1])]), contains: ["'strides' has 1 values"])
        assertError(error("Conv", [Tensor.vector([1, 2] as [Int64]), zeros([4, 3, 1, 1])]), contains: ["must be float32"])
    }

    func testMatrixErrors() {
        assertError(error("Gemm", [zeros([2, 3]), zeros([4, 5])]), contains: ["inner dimensions differ"])
        assertError(error("Gemm", [zeros([2, 3]), zeros([3, 5]), zeros([3, 5])]), contains: ["does not broadcast to [2, 5]"])
        assertError(error("MatMul", [zeros([2, 3, 4]), zeros([3, 4, 5])]), contains: ["do not broadcast"])
        assertError(error("MatMul", [zeros([2, 3]), zeros([4, 5])]), contains: ["inner dimensions differ"])
    }

    func testPoolAndNormErrors() {
        assertError(error("MaxPool", [zeros([1, 1, 4, 4])]), contains: ["kernel_shape"])
        assertError(error("AveragePool", [zeros([1, 1, 4, 4])], ["kernel_shape": .ints([3])]), contains: ["'kernel_shape' has 1 values"])
        assertError(error("BatchNormalization", [zeros([1, 2, 2]), zeros([3]), zeros([2]), zeros([2]), zeros([2])]),
                    contains: ["scale has shape [3]"])
        assertError(error("LayerNormalization", [zeros([2, 3]), zeros([4])]), contains: ["does not broadcast"])
        assertError(error("LRN", [zeros([1, 2, 2, 2])]), contains: ["size"])
        assertError(error("Softmax", [zeros([2, 3])], ["axis": .int(2)]), contains: ["axis 2 is out of range"])
    }

    func testHugeValuesAreRejectedNotTrapped() {
        let x = zeros([1, 1, 2, 2])
        assertError(error("Pad", [x, Tensor.vector([0, 0, 1 << 40, 0, 0, 0, 0, 0] as [Int64])]), contains: ["out-of-range"])
        assertError(error("Pad", [x, Tensor.vector([0, 0, 1 << 30, 1 << 30, 0, 0, 1 << 30, 1 << 30] as [Int64])]), contains: ["too large"])
        assertError(error("Conv", [x, zeros([1, 1, 1, 1])], ["pads": .ints([1 << 40, 0, 0, 0])]), contains: ["out-of-range"])
        assertError(error("Conv", [x, zeros([1, 1, 1, 1])], ["pads": .ints([1 << 30, 1 << 30, 1 << 30, 1 << 30])]), contains: ["too large"])
        assertError(error("Resize", [x, nil, Tensor.vector([1, 1, 1e30, 1] as [Float])]), contains: ["scale"])
        assertError(error("Resize", [x, nil, nil, Tensor.vector([1, 1, 1 << 20, 1 << 20] as [Int64])]), contains: ["too large"])
        assertError(error("Resize", [x, nil, nil, Tensor.vector([1, 1, 2, 2] as [Float])]), contains: ["must be int64"])
        assertError(error("ConvTranspose", [x, zeros([1, 1, 1, 1])], ["output_shape": .ints([-1, 2])]), contains: ["out-of-range"])
    }

    func testResizeAndPadErrors() {
        let x = zeros([1, 1, 2, 2])
        assertError(error("Resize", [x, nil, Tensor.vector([1, 1, 2, 2] as [Float])],
                          ["coordinate_transformation_mode": .string("tf_crop_and_resize")]), contains: ["tf_crop_and_resize"])
        assertError(error("Resize", [x, nil, Tensor.vector([1, 1, 2, 2] as [Float])], ["mode": .string("bicubic")]),
                    contains: ["unsupported mode 'bicubic'"])
        assertError(error("Resize", [x]), contains: ["'scales' and 'sizes'"])
        assertError(error("Resize", [x, nil, Tensor.vector([2, 2] as [Float])]), contains: ["scales has 2 values"])
        assertError(error("Pad", [x, Tensor.vector([1, 1] as [Int64])]), contains: ["pads has 2 values"])
        assertError(error("Pad", [x, Tensor.vector([0, 0, 0, 0, 0, 0, 0, 0] as [Int64])], ["mode": .string("mirror")]),
                    contains: ["unknown mode 'mirror'"])
        assertError(error("Pad", [x, Tensor.vector([0, 0, -3, 0, 0, 0, 0, 0] as [Int64])]), contains: ["below zero"])
    }
}
