import Graph
import Rules
import TestSupport
import XCTest

/// Bad shapes, axes, indices and attributes throw a GraphError naming the node; nothing traps.
final class TensorErrorTests: XCTestCase {
    private func f(_ shape: [Int]) -> Tensor {
        Tensor(unchecked: shape, floats: (0..<Tensor.elementCount(shape)).map { Float($0) })
    }
    private func i(_ v: Int64...) -> Tensor { .vector(v) }

    /// Runs `op` and asserts it throws an error whose text contains `fragment` and the node name.
    private func assertThrows(_ op: String, _ inputs: [Tensor?], attrs: [String: Attribute] = [:], outputs: Int = 1,
                              _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        assertNodeThrows(op, inputs, attrs: attrs, outputs: outputs, fragment, file: file, line: line)
    }

    func testBroadcastMismatch() {
        assertThrows("Add", [f([2, 3]), f([4])], "cannot be broadcast")
        assertThrows("Where", [Tensor(unchecked: [2], bools: [true, false]), f([3]), f([1])], "cannot be broadcast")
        assertThrows("Expand", [f([3, 2]), i(4, 3)], "cannot be broadcast")
        assertThrows("PRelu", [f([2, 3]), f([2, 1, 3])], "does not broadcast")
    }

    func testDTypeMismatch() {
        assertThrows("Mul", [f([2]), i(1, 2)], "float32 or both int64")
        assertThrows("Concat", [f([2]), i(1, 2)], attrs: ["axis": .int(0)], "share one dtype")
        assertThrows("Where", [f([2]), f([2]), f([2])], "must be bool")
        assertThrows("Sqrt", [i(4)], "float32")
    }

    func testIntegerDivisionByZero() {
        assertThrows("Div", [i(4, 5), i(1, 0)], "division by zero")
    }

    func testAxesOutOfRange() {
        assertThrows("Concat", [f([2, 2]), f([2, 2])], attrs: ["axis": .int(2)], "out of range")
        assertThrows("Gather", [f([2, 2]), i(0)], attrs: ["axis": .int(-3)], "out of range")
        assertThrows("Squeeze", [f([1, 2]), i(2)], "out of range")
        assertThrows("Unsqueeze", [f([2]), i(0, 0)], "repeated")
        assertThrows("ReduceSum", [f([2, 2]), i(5)], "out of range")
        assertThrows("Flatten", [f([2, 2])], attrs: ["axis": .int(3)], "out of range")
        assertThrows("Split", [f([4]), nil], attrs: ["axis": .int(1)], outputs: 2, "out of range")
    }

    func testGatherIndexOutOfRange() {
        assertThrows("Gather", [f([3, 2]), i(0, 3)], "index 3 is out of range")
        assertThrows("Gather", [f([3, 2]), i(-4)], "index -4 is out of range")
        assertThrows("Gather", [f([3, 2]), f([1])], "int64")
    }

    func testReshapeErrors() {
        assertThrows("Reshape", [f([2, 3]), i(4, -1)], "cannot reshape")
        assertThrows("Reshape", [f([2, 3]), i(-1, -1)], "more than one -1")
        assertThrows("Reshape", [f([2, 3]), i(7)], "cannot reshape")
        assertThrows("Reshape", [f([2, 3]), i(0, 0, 0)], "rank 2")
        assertThrows("Reshape", [f([2, 3]), i(-2, -3)], "invalid dimension")
    }

    func testShapeMismatches() {
        assertThrows("Concat", [f([2, 2]), f([3, 3])], attrs: ["axis": .int(0)], "cannot concatenate")
        assertThrows("Split", [f([5]), i(2, 2)], outputs: 2, "sum to the axis length")
        assertThrows("Split", [f([5]), nil], outputs: 2, "does not split evenly")
        assertThrows("Squeeze", [f([2, 1]), i(0)], "size is not 1")
        assertThrows("Transpose", [f([2, 3])], attrs: ["perm": .ints([0, 0])], "not a permutation")
        assertThrows("Clip", [f([2]), f([2])], "scalar")
    }

    func testSliceErrors() {
        assertThrows("Slice", [f([4]), i(0), i(4), i(0), i(0)], "step")
        assertThrows("Slice", [f([4]), i(0, 1), i(4)], "equal lengths")
        assertThrows("Slice", [f([4]), i(0), i(4), i(1)], "out of range")
    }

    func testGeneratorErrors() {
        assertThrows("Range", [Tensor.scalar(Int64(0)), Tensor.scalar(Int64(5)), Tensor.scalar(Int64(0))], "delta")
        assertThrows("Range", [Tensor.scalar(Float(0)), Tensor.scalar(Float(5)), Tensor.scalar(Float(0))], "non-zero delta")
        assertThrows("Range", [Tensor.scalar(Int64(0)), Tensor.scalar(Int64.max), Tensor.scalar(Int64(1))], "more than")
        assertThrows("ConstantOfShape", [i(2, -1)], "negative")
        assertThrows("ConstantOfShape", [i(1 << 40, 1 << 40)], "overflows")
        assertThrows("Constant", [], attrs: [:], "exactly one")
        assertThrows("Cast", [f([2])], attrs: ["to": .int(8)], "not a supported data type")
        assertThrows("Cast", [f([2])], "required attribute 'to'")
        assertThrows("Gelu", [f([2])], attrs: ["approximate": .string("fast")], "approximate")
    }
}
