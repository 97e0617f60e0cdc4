import Graph
import Rules
import XCTest

/// Finite-difference checks of the activation and unary VJPs, with inputs kept away from kinks
/// (the choices at the kinks are pinned down in `TensorGradKinkTests`).
final class TensorGradActivationTests: XCTestCase {
    let fd = GradCheck()
    private func check(_ op: String, _ x: Tensor, _ attrs: [String: Attribute] = [:],
                       file: StaticString = #filePath, line: UInt = #line) throws {
        try fd.check(gradNode(op, inputs: [x], attrs), [x], file: file, line: line)
    }
    private func x(_ seed: Int, in range: ClosedRange<Float> = -1...1, avoid: [Float] = [], shape: [Int] = [2, 3, 4]) -> Tensor {
        GradCheck.tensor(shape, seed: seed, in: range, avoid: avoid)
    }

    func testPiecewiseLinearActivations() throws {
        try check("Relu", x(1, in: -2...2, avoid: [0]))
        try check("LeakyRelu", x(2, in: -2...2, avoid: [0]), ["alpha": .float(0.2)])
        try check("HardSigmoid", x(3, in: -3...3, avoid: [-4 / 3, 2]), ["alpha": .float(0.3), "beta": .float(0.4)])
        try check("HardSigmoid", x(4, in: -4...4, avoid: [-2.5, 2.5]))
        try check("HardSwish", x(5, in: -5...5, avoid: [-3, 3]))
    }

    func testSmoothActivations() throws {
        try check("Elu", x(6, in: -2...2, avoid: [0]), ["alpha": .float(0.7)])
        try check("Sigmoid", x(7, in: -4...4))
        try check("Tanh", x(8, in: -2...2))
        try check("Erf", x(9, in: -2...2))
        try check("Gelu", x(10, in: -3...3))
        try check("Gelu", x(11, in: -3...3), ["approximate": .string("tanh")])
    }

    func testClipIncludingBoundInputs() throws {
        let lo = Tensor.scalar(Float(-0.5)), hi = Tensor.scalar(Float(0.6))
        let v = x(12, in: -1.5...1.5, avoid: [-0.5, 0.6])
        try fd.check(gradNode("Clip", inputs: [v, lo, hi]), [v, lo, hi])
        try fd.check(gradNode("Clip", inputs: [v, nil, hi]), [v, nil, hi])
        try fd.check(gradNode("Clip", inputs: [v]), [v])
    }

    func testPReluInputAndBroadcastSlope() throws {
        let v = x(13, in: -2...2, avoid: [0])
        let slope = GradCheck.tensor([3, 1], seed: 14, in: 0...0.5)
        try fd.check(gradNode("PRelu", inputs: [v, slope]), [v, slope])
        let scalarSlope = GradCheck.tensor([1], seed: 15)
        try fd.check(gradNode("PRelu", inputs: [v, scalarSlope]), [v, scalarSlope])
    }

    func testPointwiseMath() throws {
        try check("Sqrt", x(16, in: 0.5...2))
        try check("Exp", x(17, in: -2...2))
        try check("Log", x(18, in: 0.5...3))
        try check("Neg", x(19))
        try check("Abs", x(20, avoid: [0]))
        try check("Reciprocal", x(21, in: -2...2, avoid: [0], shape: [5]).abs(plus: 0.4))
    }

    func testIdentityDropoutAndFloatCast() throws {
        try check("Identity", x(22))
        try fd.check(gradNode("Dropout", inputs: [x(23)], outputs: 2), [x(23)])
        try check("Dropout", x(24), ["ratio": .float(0.5)])
        try check("Cast", x(25), ["to": .int(1)])
        try check("Cast", x(26), ["to": .int(11)])
    }
}

extension Tensor {
    /// Values pushed away from zero by `plus` (keeping their sign), for ops singular at 0.
    func abs(plus: Float) -> Tensor {
        Tensor(unchecked: shape, floats: floatValues().map { $0 < 0 ? $0 - plus : $0 + plus })
    }
}
