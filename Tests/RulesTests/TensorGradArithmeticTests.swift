import Graph
import Rules
import XCTest

/// Finite-difference checks of the broadcasting arithmetic VJPs (Add, Sub, Mul, Div, Pow, Sum,
/// Max, Min, Where): every operand's gradient is summed back to its own shape.
final class TensorGradArithmeticTests: XCTestCase {
    let fd = GradCheck()
    private func t(_ shape: [Int], _ seed: Int, in range: ClosedRange<Float> = -1...1) -> Tensor {
        GradCheck.tensor(shape, seed: seed, in: range)
    }
    private func check(_ op: String, _ inputs: [Tensor?], wrt: [Int]? = nil, _ attrs: [String: Attribute] = [:],
                       file: StaticString = #filePath, line: UInt = #line) throws {
        try fd.check(gradNode(op, inputs: inputs, attrs), inputs, wrt: wrt, file: file, line: line)
    }

    func testAddSameShapeAndBroadcast() throws {
        try check("Add", [t([2, 3], 1), t([2, 3], 2)])
        try check("Add", [t([2, 3, 4], 3), t([3, 1], 4)])
        try check("Add", [t([], 5), t([2, 1, 4], 6)])
    }

    func testSubBroadcastBothWays() throws {
        try check("Sub", [t([3, 1], 7), t([2, 3, 4], 8)])
        try check("Sub", [t([2, 3, 4], 9), t([4], 10)])
    }

    func testMulBroadcast() throws {
        try check("Mul", [t([2, 1, 4], 11), t([3, 1], 12)])
        try check("Mul", [t([1], 13), t([2, 3], 14)])
    }

    func testDivBroadcastAwayFromZero() throws {
        try check("Div", [t([2, 3], 15), t([3], 16, in: 0.5...2)])
        try check("Div", [t([3, 1], 17), GradCheck.tensor([2, 1, 4], seed: 18, in: -2...2, avoid: [0], margin: 0.5)])
    }

    func testPowBothInputsAndIntExponent() throws {
        try check("Pow", [t([2, 3], 19, in: 0.5...2), t([3], 20, in: -1.5...2.5)])
        try check("Pow", [t([2, 1], 21, in: 0.5...1.5), t([], 22, in: 1...3)])
        // An int64 exponent: only the base is differentiable.
        try check("Pow", [t([2, 3], 23), Tensor.vector([Int64(2), 3, 1])], wrt: [0])
    }

    func testSumVariadicBroadcast() throws {
        try check("Sum", [t([2, 3], 24), t([3], 25), t([2, 1], 26)])
        try check("Sum", [t([2, 3], 27)])
    }

    func testMaxAndMinAwayFromTies() throws {
        // Interleaved grids: every pair of values differs by at least 0.05.
        let a = GradCheck.distinct([2, 3], seed: 28), b = GradCheck.distinct([3], seed: 29, offset: 0.05)
        let c = GradCheck.distinct([2, 1], seed: 30, offset: 0.025)
        let fine = GradCheck(step: 1e-3)
        for op in ["Max", "Min"] {
            try fine.check(gradNode(op, inputs: [a, b, c]), [a, b, c])
            try fine.check(gradNode(op, inputs: [a, b]), [a, b])
            try fine.check(gradNode(op, inputs: [b]), [b])
        }
    }

    func testWhereGradientGoesToTheSelectedBranch() throws {
        let c = Tensor(unchecked: [2, 1], bools: [true, false])
        let inputs: [Tensor?] = [c, t([2, 3], 31), t([3], 32)]
        try check("Where", inputs)
        let c2 = Tensor(unchecked: [3], bools: [false, true, true])
        try check("Where", [c2, t([], 33), t([2, 3], 34)])
    }

    func testIntegerArithmeticHasNoGradient() throws {
        let a = Tensor.vector([Int64(1), 2, 3]), b = Tensor.vector([Int64(4), 5, 6])
        for op in ["Add", "Sub", "Mul", "Sum", "Max"] {
            let g = try fd.vjp(gradNode(op, inputs: [a, b]), [a, b], outputGrads: [Tensor.zeros([3], dtype: .int64)])
            XCTAssertEqual(g.count, 2, op)
            XCTAssertTrue(g.allSatisfy { $0 == nil }, "\(op) on int64 must carry no gradient")
        }
    }

    func testUnwantedInputsGetNoGradient() throws {
        let a = t([2, 3], 35), b = t([3], 36)
        let g = try fd.vjp(gradNode("Mul", inputs: [a, b]), [a, b], outputGrads: [t([2, 3], 37)], needs: [false, true])
        XCTAssertNil(g[0])
        XCTAssertEqual(g[1]?.shape, [3])
    }
}
