import Graph
import Rules
import XCTest

/// Finite-difference checks of the data-movement and reduction VJPs: Concat, Split, Slice,
/// Flatten, Reshape, Transpose, Squeeze, Unsqueeze, Expand, Gather, ReduceSum/Mean/Max.
final class TensorGradMovementTests: XCTestCase {
    let fd = GradCheck()
    private func t(_ shape: [Int], _ seed: Int) -> Tensor { GradCheck.tensor(shape, seed: seed) }
    private func ints(_ v: [Int64]) -> Tensor { .vector(v) }
    private func check(_ op: String, _ inputs: [Tensor?], outputs: Int = 1, _ attrs: [String: Attribute] = [:],
                       file: StaticString = #filePath, line: UInt = #line) throws {
        try fd.check(gradNode(op, inputs: inputs, outputs: outputs, attrs), inputs, file: file, line: line)
    }

    func testConcatNegativeAxisUnequalPieces() throws {
        try check("Concat", [t([2, 1, 3], 1), t([2, 3, 3], 2), t([2, 2, 3], 3)], ["axis": .int(-2)])
        try check("Concat", [t([4], 4), t([2], 5)], ["axis": .int(0)])
    }

    func testSplitOutputsEachGetTheirOwnGradient() throws {
        // Three outputs, each weighted by a different projection in the objective.
        try check("Split", [t([2, 3, 4], 6), ints([1, 2, 1])], outputs: 3, ["axis": .int(-1)])
        try check("Split", [t([5, 2], 7)], outputs: 3, ["axis": .int(0), "num_outputs": .int(3)])
        try check("Split", [t([2, 6], 8)], outputs: 2, ["axis": .int(1)])
    }

    func testSliceForwardBackwardAndNegativeSteps() throws {
        let x = t([3, 4, 5], 9)
        try check("Slice", [x, ints([1, 0]), ints([3, 5]), ints([0, -1]), ints([1, 2])])
        // Negative steps walk backwards; negative starts/ends count from the end.
        try check("Slice", [x, ints([-1, 3]), ints([-100, 0]), ints([2, 1]), ints([-2, -1])])
        try check("Slice", [x, ints([2]), ints([2]), ints([1])])  // empty slice: zero gradient
    }

    func testReshapingOps() throws {
        let x = t([2, 3, 1, 2], 10)
        try check("Flatten", [x], ["axis": .int(2)])
        try check("Flatten", [x], ["axis": .int(-1)])
        try check("Reshape", [x, ints([3, -1])])
        try check("Squeeze", [x, ints([-2])])
        try check("Squeeze", [x])
        try check("Unsqueeze", [x, ints([0, -1])])
    }

    func testTransposeAndExpand() throws {
        try check("Transpose", [t([2, 3, 4], 11)], ["perm": .ints([2, 0, 1])])
        try check("Transpose", [t([2, 3], 12)])
        try check("Expand", [t([3, 1], 13), ints([2, 3, 4])])
        try check("Expand", [t([1, 4], 14), ints([3, 1])])
    }

    func testGatherRepeatedAndNegativeIndicesAccumulate() throws {
        let x = t([3, 4, 2], 15)
        let idx = Tensor(unchecked: [2, 2], ints: [0, 2, 2, -1])  // index 2 twice, -1 is 3
        try fd.check(gradNode("Gather", inputs: [x, idx], ["axis": .int(1)]), [x, idx])
        let same = Tensor(unchecked: [4], ints: [1, 1, 1, 0])
        try fd.check(gradNode("Gather", inputs: [x, same]), [x, same])
        let scalar = Tensor.scalar(Int64(-1))
        try fd.check(gradNode("Gather", inputs: [x, scalar], ["axis": .int(-1)]), [x, scalar])
    }

    func testReduceSumAndMean() throws {
        let x = t([2, 3, 4], 16)
        try check("ReduceMean", [x, ints([-1, 0])], ["keepdims": .int(0)])
        try check("ReduceMean", [x, ints([1])])
        try check("ReduceSum", [x])
        try check("ReduceSum", [x, ints([0, 2])], ["keepdims": .int(0)])
        try check("ReduceSum", [x, ints([])], ["noop_with_empty_axes": .int(1)])
    }

    func testReduceMaxAwayFromTies() throws {
        let x = GradCheck.distinct([2, 3, 4], seed: 17)
        try check("ReduceMax", [x, ints([-1])], ["keepdims": .int(0)])
        try check("ReduceMax", [x, ints([0, 2])])
        try check("ReduceMax", [x])
    }
}
