import Graph
import Rules
import TestSupport
import XCTest

/// Exact gradients at kinks and ties, documenting the choices. Each expected value is what
/// PyTorch 2.13 gives for the same call (`y.sum().backward()`, the torch expression is quoted);
/// the VJPs follow PyTorch everywhere.
final class TensorGradKinkTests: XCTestCase {
    let fd = GradCheck()
    private func v(_ values: [Float]) -> Tensor { .vector(values) }
    /// Gradients for an all-ones output gradient.
    private func grads(_ op: String, _ inputs: [Tensor?], _ attrs: [String: Attribute] = [:]) throws -> [Tensor?] {
        let node = gradNode(op, inputs: inputs, attrs)
        let ys = try fd.forward(node, inputs)
        let ones = ys.map { Tensor(unchecked: $0.shape, floats: [Float](repeating: 1, count: $0.count)) }
        return try fd.vjp(node, inputs, outputGrads: ones)
    }
    private func assertGrad(_ g: Tensor?, _ want: [Float], shape: [Int]? = nil, file: StaticString = #filePath, line: UInt = #line) {
        guard let g else { XCTFail("no gradient", file: file, line: line); return }
        assertClose(g, Tensor(unchecked: shape ?? [want.count], floats: want), rtol: 1e-6, atol: 1e-6, file: file, line: line)
    }

    func testReluFamilyAtZero() throws {
        // torch.relu: 0 at 0. F.leaky_relu(x, 0.1): the slope at 0. F.elu(x, 0.5): alpha at 0.
        assertGrad(try grads("Relu", [v([-1, 0, 1])])[0], [0, 0, 1])
        assertGrad(try grads("LeakyRelu", [v([-1, 0, 1])], ["alpha": .float(0.1)])[0], [0.1, 0.1, 1])
        assertGrad(try grads("Elu", [v([-1, 0, 1])], ["alpha": .float(0.5)])[0], [0.18393972, 0.5, 1])
        // F.prelu(x, w=[0.25]): x gets the slope at 0; the slope gets x where x <= 0.
        let p = try grads("PRelu", [v([-1, 0, 1]), v([0.25])])
        assertGrad(p[0], [0.25, 0.25, 1])
        assertGrad(p[1], [-1])
    }

    func testHardSigmoidAndHardSwishCorners() throws {
        // F.hardsigmoid (alpha 1/6, beta 1/2) and F.hardswish at x = -3, 0, 3, -4, 4: flat at the corners.
        let x = v([-3, 0, 3, -4, 4])
        assertGrad(try grads("HardSigmoid", [x], ["alpha": .float(1.0 / 6), "beta": .float(0.5)])[0], [0, 1.0 / 6, 0, 0, 0])
        assertGrad(try grads("HardSwish", [x])[0], [0, 0.5, 1, 0, 1])
    }

    func testClipPassesGradientAtTheBounds() throws {
        // torch.clamp(x, min, max) with tensor bounds: inclusive for x; min/max get the rest.
        let g = try grads("Clip", [v([-1, 0, 1, -2, 2]), .scalar(Float(-1)), .scalar(Float(1))])
        assertGrad(g[0], [1, 1, 1, 0, 0])
        assertGrad(g[1], [1], shape: [])
        assertGrad(g[2], [1], shape: [])
    }

    func testAbsSqrtPowAtZero() throws {
        assertGrad(try grads("Abs", [v([-1, 0, 1])])[0], [-1, 0, 1])  // torch.abs: sign, 0 at 0
        assertGrad(try grads("Sqrt", [v([0, 4])])[0], [.infinity, 0.25])
        // torch.pow(x, e): base 0 where e = 0; exponent 0 where x = 0 and e >= 0; NaN for x < 0.
        let p = try grads("Pow", [v([0, 0, 2, -2]), v([2, 0, 0.5, 2])])
        assertGrad(p[0], [0, 0, 0.35355338, -4])
        guard let e = try p[1]?.floats() else { return XCTFail("no exponent gradient") }
        for (got, want) in zip(e[0..<3], [Float(0), 0, 0.98025810]) { XCTAssertEqual(got, want, accuracy: 1e-6) }
        XCTAssertTrue(e[3].isNaN)
    }

    func testMaxMinTiesSplitLikeTorchMaximum() throws {
        // torch.maximum / torch.minimum: equal operands get half each.
        let a = v([1, 2, 3]), b = v([1, 5, 0])
        let mx = try grads("Max", [a, b]), mn = try grads("Min", [a, b])
        assertGrad(mx[0], [0.5, 0, 1]); assertGrad(mx[1], [0.5, 1, 0])
        assertGrad(mn[0], [0.5, 1, 0]); assertGrad(mn[1], [0.5, 0, 1])
        // Three-way tie: the left fold torch.maximum(torch.maximum(a, b), c) gives 1/4, 1/4, 1/2.
        let three = try grads("Max", [v([1]), v([1]), v([1])])
        assertGrad(three[0], [0.25]); assertGrad(three[1], [0.25]); assertGrad(three[2], [0.5])
        // A broadcast operand collects its halves: b = [1] ties with a[0][0] and a[1][1].
        let bc = try grads("Max", [Tensor(unchecked: [2, 2], floats: [1, 2, 3, 1]), v([1])])
        assertGrad(bc[0], [0.5, 1, 1, 0.5], shape: [2, 2])
        assertGrad(bc[1], [1])
    }

    func testReduceMaxSplitsEvenlyAmongTies() throws {
        // torch.amax(x, dim=1): the gradient is shared evenly by the tied maxima.
        let x = Tensor(unchecked: [2, 4], floats: [1, 3, 3, 3, 2, 1, 0, 2])
        let node = gradNode("ReduceMax", inputs: [x, .vector([Int64(1)])], ["keepdims": .int(0)])
        let g = try fd.vjp(node, [x, .vector([Int64(1)])], outputGrads: [v([3, 4])])
        assertGrad(g[0], [0, 1, 1, 1, 2, 0, 0, 2], shape: [2, 4])
        XCTAssertNil(g[1], "axes get no gradient")
    }

    func testCastGradientOnlyBetweenFloatTypes() throws {
        // float16 rounding is passed straight through; integer and bool casts carry none.
        let x = v([0.1234567, -2.5, 7])
        assertGrad(try grads("Cast", [x], ["to": .int(10)])[0], [1, 1, 1])
        assertGrad(try grads("Cast", [x], ["to": .int(16)])[0], [1, 1, 1])
        XCTAssertNil(try grads("Cast", [x], ["to": .int(7)])[0])
        let i = Tensor.vector([Int64(1), 2])
        XCTAssertNil(try grads("Cast", [i], ["to": .int(1)])[0], "int64 -> float has no gradient path")
    }

    func testWhereConditionAndGatherIndicesGetNone() throws {
        let c = Tensor(unchecked: [2], bools: [true, false])
        let w = try grads("Where", [c, v([1, 2]), v([3, 4])])
        XCTAssertNil(w[0])
        assertGrad(w[1], [1, 0]); assertGrad(w[2], [0, 1])
        let idx = Tensor(unchecked: [3], ints: [1, 1, -1])
        let g = try grads("Gather", [v([5, 6, 7]), idx])
        assertGrad(g[0], [0, 2, 1])
        XCTAssertNil(g[1])
    }
}
