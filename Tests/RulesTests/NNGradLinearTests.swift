import Graph
import Rules
import TestSupport
import XCTest

/// Finite-difference checks of the Conv, Gemm and MatMul gradients, plus hand-derived values.
final class NNGradLinearTests: XCTestCase {
    private var rng = NNGradRandom(11)
    /// These ops are linear in each input, so central differences are exact up to float rounding.
    private let linearRtol: Float = 1e-3

    private func convCheck(x: [Int], w: [Int], bias: Bool = true, _ attrs: [String: Attribute] = [:],
                           threads: Int = 1, line: UInt = #line) throws {
        let b: Tensor? = bias ? rng.tensor([w[0]]) : nil
        let c = NNGradCheck("Conv", [rng.tensor(x), rng.tensor(w), b], attrs, threads: threads)
        try c.check(wrt: bias ? [0, 1, 2] : [0, 1], rtol: linearRtol, line: line)
    }

    func testConvPlain3x3WithPadding() throws {
        try convCheck(x: [1, 2, 5, 5], w: [3, 2, 3, 3], ["pads": .ints([1, 1, 1, 1])])
    }

    func testConvStridesAsymmetricPadsDilation() throws {
        try convCheck(x: [2, 2, 6, 7], w: [2, 2, 3, 2], ["strides": .ints([2, 3]), "pads": .ints([1, 0, 2, 1])])
        try convCheck(x: [1, 2, 7, 7], w: [2, 2, 3, 3], ["dilations": .ints([2, 2]), "pads": .ints([2, 1, 1, 2])])
        try convCheck(x: [1, 1, 6, 6], w: [2, 1, 2, 2], bias: false, ["auto_pad": .string("SAME_UPPER"), "strides": .ints([2, 2])])
    }

    func testConvGroupsAndDepthwise() throws {
        try convCheck(x: [2, 4, 5, 4], w: [6, 2, 3, 3], ["group": .int(2), "pads": .ints([1, 1, 1, 1])])
        // Depthwise with channel multiplier 2 (M = 2C), strided.
        try convCheck(x: [2, 3, 5, 5], w: [6, 1, 3, 3], ["group": .int(3), "strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])])
        try convCheck(x: [1, 3, 6, 6], w: [3, 1, 3, 3], ["group": .int(3), "dilations": .ints([2, 1])])
    }

    func testConvPointwiseAnd1D() throws {
        try convCheck(x: [2, 3, 4, 4], w: [5, 3, 1, 1])
        try convCheck(x: [1, 3, 5, 5], w: [4, 3, 1, 1], bias: false, ["strides": .ints([2, 2])])
        try convCheck(x: [2, 2, 9], w: [3, 2, 3], ["strides": .ints([2]), "pads": .ints([1, 2]), "dilations": .ints([2])])
        try convCheck(x: [1, 4, 7], w: [4, 1, 3], ["group": .int(4), "pads": .ints([1, 1])])
    }

    func testConvThreadedPathsMatchSingleThreaded() throws {
        // Threads split items (groups), channel blocks and im2col rows; results must not change.
        let cases: [([Int], [Int], [String: Attribute])] = [
            ([2, 8, 9, 9], [8, 8, 3, 3], ["pads": .ints([1, 1, 1, 1])]),
            ([2, 8, 9, 9], [8, 2, 3, 3], ["group": .int(4), "strides": .ints([2, 2])]),
            ([1, 16, 8, 8], [8, 16, 1, 1], [:]),
            ([3, 4, 8, 8], [8, 1, 3, 3], ["group": .int(4), "pads": .ints([1, 1, 1, 1])]),
        ]
        for (xs, ws, attrs) in cases {
            let inputs = [rng.tensor(xs), rng.tensor(ws), rng.tensor([ws[0]])]
            let one = NNGradCheck("Conv", inputs, attrs, threads: 1)
            let seed = rng.tensor(try one.forward(inputs).shape)
            let a = try one.vjp(seed: seed)
            let b = try NNGradCheck("Conv", inputs, attrs, threads: 3).vjp(seed: seed)
            for i in 0..<3 { assertClose(try XCTUnwrap(b[i]), try XCTUnwrap(a[i]), rtol: 1e-5, "\(xs) \(ws) input \(i)") }
        }
    }

    func testConvHandValuesAndNeeds() throws {
        // 1-D: x = [1, 2, 3], w = [1, 10], no pads: y = [21, 32]. With dY = [1, 100]:
        // dX = [1, 10 + 100, 1000], dW = [1·1 + 100·2, 2 + 300] = [201, 302], dB = 101.
        let x = try Tensor(shape: [1, 1, 3], floats: [1, 2, 3])
        let w = try Tensor(shape: [1, 1, 2], floats: [1, 10])
        let c = NNGradCheck("Conv", [x, w, try Tensor(shape: [1], floats: [0])])
        let g = try c.vjp(seed: try Tensor(shape: [1, 1, 2], floats: [1, 100]))
        assertClose(try XCTUnwrap(g[0]), try Tensor(shape: [1, 1, 3], floats: [1, 110, 1000]))
        assertClose(try XCTUnwrap(g[1]), try Tensor(shape: [1, 1, 2], floats: [201, 302]))
        assertClose(try XCTUnwrap(g[2]), try Tensor(shape: [1], floats: [101]))
        // Only what is needed is computed.
        let only = try c.vjp(seed: try Tensor(shape: [1, 1, 2], floats: [1, 100]), needs: [true, false, false])
        XCTAssertNotNil(only[0]); XCTAssertNil(only[1]); XCTAssertNil(only[2])
    }

    func testConvGradientRejectsWrongUpstreamShape() throws {
        let c = NNGradCheck("Conv", [rng.tensor([1, 1, 3, 3]), rng.tensor([1, 1, 2, 2])])
        XCTAssertThrowsError(try c.vjp(seed: rng.tensor([1, 1, 3, 3])))
    }

    func testGemmTransposesAlphaBeta() throws {
        for (ta, tb) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
            let a = rng.tensor(ta == 1 ? [4, 3] : [3, 4]), b = rng.tensor(tb == 1 ? [5, 4] : [4, 5])
            let attrs: [String: Attribute] = ["transA": .int(ta), "transB": .int(tb), "alpha": .float(0.7), "beta": .float(1.5)]
            try NNGradCheck("Gemm", [a, b, rng.tensor([3, 5])], attrs).check(wrt: [0, 1, 2], rtol: linearRtol)
        }
    }

    func testGemmBroadcastC() throws {
        for cs in [[5], [3, 1], [1], [], [1, 5]] {
            try NNGradCheck("Gemm", [rng.tensor([3, 4]), rng.tensor([4, 5]), rng.tensor(cs)], ["beta": .float(2)])
                .check(wrt: [0, 1, 2], rtol: linearRtol)
        }
        // Without C.
        try NNGradCheck("Gemm", [rng.tensor([2, 3]), rng.tensor([4, 3]), nil], ["transB": .int(1)]).check(wrt: [0, 1], rtol: linearRtol)
    }

    func testGemmHandValues() throws {
        // Y = 2·A·B + 3·C with A = [[1, 2]], B = [[3], [4]]; dY = [[1]]:
        // dA = 2·[3, 4], dB = 2·[1, 2]ᵀ, dC (shape [1]) = 3.
        let g = try NNGradCheck("Gemm", [try Tensor(shape: [1, 2], floats: [1, 2]), try Tensor(shape: [2, 1], floats: [3, 4]),
                                         try Tensor(shape: [1], floats: [5])], ["alpha": .float(2), "beta": .float(3)])
            .vjp(seed: try Tensor(shape: [1, 1], floats: [1]))
        assertClose(try XCTUnwrap(g[0]), try Tensor(shape: [1, 2], floats: [6, 8]))
        assertClose(try XCTUnwrap(g[1]), try Tensor(shape: [2, 1], floats: [2, 4]))
        assertClose(try XCTUnwrap(g[2]), try Tensor(shape: [1], floats: [3]))
    }

    func testMatMulShapes() throws {
        let cases: [([Int], [Int])] = [
            ([3, 4], [4, 2]),            // plain
            ([2, 3, 4], [4, 2]),         // batch folded into rows
            ([3, 4], [2, 4, 2]),         // A broadcast over B's batch
            ([2, 1, 3, 4], [3, 4, 2]),   // both broadcast
            ([4], [2, 4, 3]),            // 1-D A
            ([2, 3, 4], [4]),            // 1-D B
            ([4], [4]),                  // dot product
        ]
        for (a, b) in cases {
            try NNGradCheck("MatMul", [rng.tensor(a), rng.tensor(b)]).check(wrt: [0, 1], rtol: linearRtol)
        }
    }

    func testLRPRoles() throws {
        let r = standardRegistry()
        XCTAssertEqual(r.lookup(domain: "", opType: "Conv", opset: 17)?.lrp, .linear(weight: 1, bias: 2))
        XCTAssertEqual(r.lookup(domain: "", opType: "Gemm", opset: 17)?.lrp, .linear(weight: 1, bias: 2))
        XCTAssertEqual(r.lookup(domain: "", opType: "MatMul", opset: 17)?.lrp, .linear(weight: 1, bias: nil))
    }
}
