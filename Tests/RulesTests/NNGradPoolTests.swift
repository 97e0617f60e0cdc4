import Graph
import Rules
import TestSupport
import XCTest

/// Pool gradients: finite differences away from ties, and exact values at ties (first maximum).
final class NNGradPoolTests: XCTestCase {
    private var rng = NNGradRandom(23)

    /// Distinct values 0.05 apart in shuffled order, so a ±0.01 step never changes a maximum.
    private func distinct(_ shape: [Int]) -> Tensor {
        let n = Tensor.elementCount(shape)
        var v = (0..<n).map { Float($0) * 0.05 - Float(n) * 0.025 }
        for i in stride(from: n - 1, to: 0, by: -1) { v.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        return Tensor(unchecked: shape, floats: v)
    }

    func testMaxPoolFiniteDifferences() throws {
        let cases: [([Int], [String: Attribute])] = [
            ([1, 2, 6, 6], ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])]),
            ([2, 1, 5, 5], ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2]), "ceil_mode": .int(1)]),
            ([1, 1, 7, 6], ["kernel_shape": .ints([2, 3]), "dilations": .ints([2, 1]), "pads": .ints([1, 0, 0, 1])]),
            ([1, 2, 9], ["kernel_shape": .ints([3]), "strides": .ints([2]), "pads": .ints([1, 1]), "ceil_mode": .int(1)]),
        ]
        for (shape, attrs) in cases {
            try NNGradCheck("MaxPool", [distinct(shape)], attrs).check(wrt: [0], rtol: 1e-3)
        }
    }

    func testAveragePoolFiniteDifferences() throws {
        let base: [String: Attribute] = ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])]
        for include in [0, 1] {
            for ceil in [0, 1] {
                var attrs = base
                attrs["count_include_pad"] = .int(include); attrs["ceil_mode"] = .int(ceil)
                try NNGradCheck("AveragePool", [rng.tensor([1, 2, 6, 6])], attrs).check(wrt: [0], rtol: 1e-3)
            }
        }
        try NNGradCheck("AveragePool", [rng.tensor([2, 1, 8])],
                        ["kernel_shape": .ints([3]), "strides": .ints([3]), "pads": .ints([0, 2]), "count_include_pad": .int(1)])
            .check(wrt: [0], rtol: 1e-3)
    }

    func testGlobalPoolsFiniteDifferences() throws {
        try NNGradCheck("GlobalAveragePool", [rng.tensor([2, 3, 3, 2])]).check(wrt: [0], rtol: 1e-3)
        try NNGradCheck("GlobalMaxPool", [distinct([2, 3, 3, 2])]).check(wrt: [0], rtol: 1e-3)
    }

    func testMaxPoolTiesGoToFirstMaximum() throws {
        // 2x2 window over [[1, 3], [3, 2]]: the first 3 in row-major order (index 1) gets it all.
        let x = try Tensor(shape: [1, 1, 2, 2], floats: [1, 3, 3, 2])
        let g = try NNGradCheck("MaxPool", [x], ["kernel_shape": .ints([2, 2])]).vjp(seed: try Tensor(shape: [1, 1, 1, 1], floats: [5]))
        assertClose(try XCTUnwrap(g[0]), try Tensor(shape: [1, 1, 2, 2], floats: [0, 5, 0, 0]))
        // Overlapping 1-D windows (kernel 2, stride 1) over a constant row: each window picks its
        // left element, so x0 gets dY0 and x1 gets dY1, x2 nothing.
        let flat = try Tensor(shape: [1, 1, 3], floats: [4, 4, 4])
        let g1 = try NNGradCheck("MaxPool", [flat], ["kernel_shape": .ints([2])]).vjp(seed: try Tensor(shape: [1, 1, 2], floats: [1, 10]))
        assertClose(try XCTUnwrap(g1[0]), try Tensor(shape: [1, 1, 3], floats: [1, 10, 0]))
        // Global max: ties go to the first position.
        let gm = try NNGradCheck("GlobalMaxPool", [try Tensor(shape: [1, 1, 2, 2], floats: [0, 7, 7, 7])])
            .vjp(seed: try Tensor(shape: [1, 1, 1, 1], floats: [2]))
        assertClose(try XCTUnwrap(gm[0]), try Tensor(shape: [1, 1, 2, 2], floats: [0, 2, 0, 0]))
    }

    func testAveragePoolHandValues() throws {
        // From NNHandTests: 2x2 window, pads (1, 1) at the start, over [[1, 2], [3, 4]]. Without
        // count_include_pad the corner window has 1 tap (divisor 1), the edge windows 2, the full one 4.
        let x = try Tensor(shape: [1, 1, 2, 2], floats: [1, 2, 3, 4])
        let attrs: [String: Attribute] = ["kernel_shape": .ints([2, 2]), "pads": .ints([1, 1, 0, 0])]
        let ones = try Tensor(shape: [1, 1, 2, 2], floats: [1, 1, 1, 1])
        let g = try NNGradCheck("AveragePool", [x], attrs).vjp(seed: ones)
        // x00 is in all 4 windows: 1 + 1/2 + 1/2 + 1/4; x01 and x10 in 2 windows: 1/2 + 1/4; x11 in one: 1/4.
        assertClose(try XCTUnwrap(g[0]), try Tensor(shape: [1, 1, 2, 2], floats: [2.25, 0.75, 0.75, 0.25]))
        var inc = attrs; inc["count_include_pad"] = .int(1)
        let gi = try NNGradCheck("AveragePool", [x], inc).vjp(seed: ones)
        assertClose(try XCTUnwrap(gi[0]), try Tensor(shape: [1, 1, 2, 2], floats: [1, 0.5, 0.5, 0.25]))
    }

    func testLRPRoles() throws {
        let r = standardRegistry()
        func role(_ op: String) -> LRPRole? { r.lookup(domain: "", opType: op, opset: 17)?.lrp }
        XCTAssertEqual(role("MaxPool"), .gradient)
        XCTAssertEqual(role("GlobalMaxPool"), .gradient)
        XCTAssertEqual(role("AveragePool"), .sum)
        XCTAssertEqual(role("GlobalAveragePool"), .sum)
        XCTAssertEqual(role("BatchNormalization"), .batchNorm)
        XCTAssertEqual(role("ConvTranspose"), .linear(weight: 1, bias: 2))
        XCTAssertEqual(role("Resize"), .gradient)
        XCTAssertEqual(role("Pad"), .gradient)
        XCTAssertEqual(role("LayerNormalization"), .normalization)
        XCTAssertEqual(role("InstanceNormalization"), .normalization)
        XCTAssertEqual(role("LRN"), .elementwise)
        // Softmax has no role: as a gate it receives no relevance; relevance starts at its input.
        for op in ["Softmax", "LogSoftmax"] {
            XCTAssertNil(role(op), op)
            XCTAssertNotNil(r.lookup(domain: "", opType: op, opset: 17)?.vjp, op)
        }
    }
}
