import Graph
import Rules
import XCTest

/// VJPs of the rounding, Mod, TopK, Tile, DepthToSpace / SpaceToDepth, Einsum and the smooth
/// activation ops: finite differences away from kinks and jumps, exact values at them.
final class TensorGradNewOpsTests: XCTestCase {
    let fd = GradCheck()

    private func x(_ seed: Int, _ shape: [Int] = [2, 3, 4], in range: ClosedRange<Float> = -1...1,
                   avoid: [Float] = []) -> Tensor {
        GradCheck.tensor(shape, seed: seed, in: range, avoid: avoid)
    }

    /// The VJP of a one-output node for the output gradient `g`.
    private func vjp(_ node: Node, _ inputs: [Tensor?], _ g: Tensor) throws -> [Tensor?] {
        try fd.vjp(node, inputs, outputGrads: [g])
    }

    // MARK: Rounding

    func testRoundingOpsHaveZeroGradient() throws {
        // Away from the jumps (integers, and half-integers for Round) finite differences are 0 too.
        let v = x(1, in: -3...3, avoid: [-3, -2.5, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5, 3])
        for op in ["Ceil", "Floor", "Round", "Sign"] {
            try fd.check(gradNode(op, inputs: [v]), [v])
            let g = try vjp(gradNode(op, inputs: [v]), [v], x(2))
            XCTAssertEqual(try g[0]?.floats(), [Float](repeating: 0, count: v.count), op)
        }
        // At a jump the gradient is 0 as well (PyTorch), not the finite difference's spike.
        let at = Tensor.vector([Float(0), 0.5, 1, -1.5])
        for op in ["Ceil", "Floor", "Round", "Sign"] {
            let g = try vjp(gradNode(op, inputs: [at]), [at], .vector([Float](repeating: 1, count: 4)))
            XCTAssertEqual(try g[0]?.floats(), [0, 0, 0, 0], op)
        }
    }

    // MARK: Mod

    /// a = b · (q + f) with the fraction f in 0.3...0.7, so a / b stays far from the integers
    /// where Mod jumps, for every finite-difference step on a or b.
    private func modOperands(_ seed: Int) -> (a: Tensor, b: Tensor) {
        let bv = GradCheck.values(3, seed: seed).map { $0 < 0 ? $0 - 0.6 : $0 + 0.6 }
        let q = GradCheck.values(12, seed: seed + 1).map { ($0 * 2.5).rounded(.down) }
        let f = GradCheck.values(12, seed: seed + 2).map { 0.5 + 0.2 * $0 }
        let av = (0..<12).map { i in bv[i / 4] * (q[i] + f[i]) }
        return (Tensor(unchecked: [3, 4], floats: av), Tensor(unchecked: [3, 1], floats: bv))
    }

    func testModGradientBothModesWithBroadcastDivisor() throws {
        let (a, b) = modOperands(3)
        for fmod in [0, 1] {
            let node = gradNode("Mod", inputs: [a, b], ["fmod": .int(fmod)])
            try fd.check(node, [a, b])
        }
    }

    func testModGradientIsMinusFloorOrTruncQuotient() throws {
        // a / b = -2.5: floor -3, trunc -2 (PyTorch's remainder and fmod).
        let a = Tensor.vector([Float(-5)]), b = Tensor.vector([Float(2)]), g = Tensor.vector([Float(1)])
        for (fmod, want) in [(0, Float(3)), (1, Float(2))] {
            let grads = try vjp(gradNode("Mod", inputs: [a, b], ["fmod": .int(fmod)]), [a, b], g)
            XCTAssertEqual(try grads[0]?.floats(), [1], "fmod \(fmod)")
            XCTAssertEqual(try grads[1]?.floats(), [want], "fmod \(fmod)")
        }
    }

    // MARK: TopK

    func testTopKValuesGradient() throws {
        let v = GradCheck.distinct([3, 5, 2], seed: 4)
        for (axis, largest, k) in [(1, 1, 3), (-1, 0, 1), (0, 1, 2), (1, 0, 5)] {
            let kt = Tensor.vector([Int64(k)])
            let node = gradNode("TopK", inputs: [v, kt], outputs: 2, ["axis": .int(axis), "largest": .int(largest)])
            try fd.check(node, [v, kt])
        }
    }

    func testTopKGradientLandsOnThePickedPositions() throws {
        let v = Tensor.vector([Float(0.5), 3, -1, 2, 3])
        let k = Tensor.vector([Int64(3)])
        let node = gradNode("TopK", inputs: [v, k], outputs: 2)
        let y = try fd.forward(node, [v, k])
        // Ties keep index order: 3 (index 1), 3 (index 4), 2 (index 3).
        XCTAssertEqual(try y[0].floats(), [3, 3, 2])
        XCTAssertEqual(try y[1].ints(), [1, 4, 3])
        let grads = try fd.vjp(node, [v, k], outputGrads: [.vector([Float(10), 20, 30]), .zeros([3], dtype: .int64)])
        XCTAssertEqual(try grads[0]?.floats(), [0, 10, 0, 30, 20])
        XCTAssertNil(grads[1])
    }

    // MARK: Data movement

    func testTileGradientSumsTheCopies() throws {
        let v = x(5, [2, 3, 2])
        let reps = Tensor.vector([Int64(2), 1, 3])
        try fd.check(gradNode("Tile", inputs: [v, reps]), [v, reps])
        let one = Tensor.vector([Float(1), 2])
        let g = try vjp(gradNode("Tile", inputs: [one, .vector([Int64(3)])]), [one, .vector([Int64(3)])],
                        .vector([Float(1), 10, 100, 1000, 10_000, 100_000]))
        XCTAssertEqual(try g[0]?.floats(), [10_101, 101_010])
    }

    func testDepthToSpaceAndSpaceToDepthGradients() throws {
        let deep = x(6, [2, 8, 2, 3])
        let wide = x(7, [2, 2, 4, 6])
        for mode in ["DCR", "CRD"] {
            try fd.check(gradNode("DepthToSpace", inputs: [deep], ["blocksize": .int(2), "mode": .string(mode)]), [deep])
            try fd.check(gradNode("SpaceToDepth", inputs: [wide], ["blocksize": .int(2), "mode": .string(mode)]), [wide])
        }
    }

    func testSpaceToDepthInvertsDepthToSpace() throws {
        let v = x(8, [1, 8, 2, 3])
        for mode in ["DCR", "CRD"] {
            let attrs: [String: Attribute] = ["blocksize": .int(2), "mode": .string(mode)]
            let up = try fd.forward(gradNode("DepthToSpace", inputs: [v], attrs), [v])[0]
            XCTAssertEqual(up.shape, [1, 2, 4, 6])
            let back = try fd.forward(gradNode("SpaceToDepth", inputs: [up], attrs), [up])[0]
            XCTAssertEqual(back, v, mode)
        }
    }

    // MARK: Einsum

    private func einsum(_ eq: String, _ operands: [Tensor]) -> Node {
        gradNode("Einsum", inputs: operands, ["equation": .string(eq)])
    }

    func testEinsumTwoOperandGradients() throws {
        let cases: [(String, [[Int]])] = [
            ("ij,jk->ik", [[3, 4], [4, 2]]),
            ("bij,bjk->bik", [[2, 3, 4], [2, 4, 3]]),
            ("bhid,bhjd->bhij", [[2, 2, 3, 4], [2, 2, 2, 4]]),
            ("nchw,kc->nkhw", [[2, 3, 2, 2], [4, 3]]),
            ("i,i", [[5], [5]]),
            ("i,j->ij", [[3], [4]]),
            ("ij,jk", [[2, 3], [3, 4]]),
            ("ij,jk->k", [[2, 3], [3, 4]]),
            ("ij,kj->", [[2, 3], [4, 3]]),
            ("...ij,...jk->...ik", [[2, 1, 3, 4], [5, 4, 2]]),
            ("ii,ij->j", [[3, 3], [3, 2]]),
        ]
        for (k, (eq, shapes)) in cases.enumerated() {
            let ops = shapes.enumerated().map { x(20 + 2 * k + $0.offset, $0.element) }
            try fd.check(einsum(eq, ops), ops)
        }
    }

    func testEinsumOneOperandGradients() throws {
        let cases: [(String, [Int])] = [("ij->ji", [3, 4]), ("ij->i", [3, 4]), ("ii->i", [4, 4]), ("bii->bi", [2, 3, 3]),
                                        ("ii", [3, 3]), ("...ii->...i", [2, 3, 3]), ("ij->", [2, 5]), ("ba", [2, 3])]
        for (k, (eq, shape)) in cases.enumerated() {
            let v = x(60 + k, shape)
            try fd.check(einsum(eq, [v]), [v])
        }
    }

    /// Forward values against plain loops (the node tests cover matmul, transpose, sums and the
    /// diagonal; these are the attention and 1x1-convolution forms).
    func testEinsumForwardMatchesLoops() throws {
        let q = x(70, [2, 2, 3, 4]), kk = x(71, [2, 2, 5, 4])
        let y = try fd.forward(einsum("bhid,bhjd->bhij", [q, kk]), [q, kk])[0]
        XCTAssertEqual(y.shape, [2, 2, 3, 5])
        let qv = try q.floats(), kv = try kk.floats(), yv = try y.floats()
        for b in 0..<2 { for h in 0..<2 { for i in 0..<3 { for j in 0..<5 {
            var s: Float = 0
            for d in 0..<4 { s += qv[((b * 2 + h) * 3 + i) * 4 + d] * kv[((b * 2 + h) * 5 + j) * 4 + d] }
            XCTAssertEqual(yv[((b * 2 + h) * 3 + i) * 5 + j], s, accuracy: 1e-5)
        } } } }

        let img = x(72, [2, 3, 2, 2]), w = x(73, [4, 3])
        let z = try fd.forward(einsum("nchw,kc->nkhw", [img, w]), [img, w])[0]
        XCTAssertEqual(z.shape, [2, 4, 2, 2])
        let iv = try img.floats(), wv = try w.floats(), zv = try z.floats()
        for n in 0..<2 { for k in 0..<4 { for p in 0..<4 {
            var s: Float = 0
            for c in 0..<3 { s += iv[(n * 3 + c) * 4 + p] * wv[k * 3 + c] }
            XCTAssertEqual(zv[(n * 4 + k) * 4 + p], s, accuracy: 1e-5)
        } } }

        let m = Tensor(unchecked: [2, 2], floats: [1, 2, 3, 4])
        XCTAssertEqual(try fd.forward(einsum("ba", [m]), [m])[0].floats(), [1, 3, 2, 4], "implicit output is alphabetical")
        XCTAssertEqual(try fd.forward(einsum("ii", [m]), [m])[0], .scalar(Float(5)), "implicit trace")
    }

    // MARK: Activations

    func testSmoothActivationGradients() throws {
        try fd.check(gradNode("Softplus", inputs: [x(80, in: -4...4)]), [x(80, in: -4...4)])
        try fd.check(gradNode("Softsign", inputs: [x(81, in: -3...3, avoid: [0])]), [x(81, in: -3...3, avoid: [0])])
        try fd.check(gradNode("Mish", inputs: [x(82, in: -4...4)]), [x(82, in: -4...4)])
        let celu = x(83, in: -2...2, avoid: [0])
        try fd.check(gradNode("Celu", inputs: [celu], ["alpha": .float(0.7)]), [celu])
        let selu = x(84, in: -2...2, avoid: [0])
        try fd.check(gradNode("Selu", inputs: [selu]), [selu])
        try fd.check(gradNode("Selu", inputs: [selu], ["alpha": .float(1.5), "gamma": .float(2)]), [selu])
        let thr = x(85, in: -2...2, avoid: [0.4])
        try fd.check(gradNode("ThresholdedRelu", inputs: [thr], ["alpha": .float(0.4)]), [thr])
    }

    func testActivationGradientsAtKinks() throws {
        let zero = Tensor.vector([Float(0)]), one = Tensor.vector([Float(1)])
        func d(_ op: String, _ v: Tensor, _ attrs: [String: Attribute] = [:]) throws -> Float {
            try vjp(gradNode(op, inputs: [v], attrs), [v], one)[0]?.floats().first ?? .nan
        }
        XCTAssertEqual(try d("Celu", zero, ["alpha": .float(2)]), 1)
        XCTAssertEqual(try d("Selu", zero), 1.67326319217681884765625 * 1.05070102214813232421875, accuracy: 1e-6)
        XCTAssertEqual(try d("ThresholdedRelu", .vector([Float(0.5)]), ["alpha": .float(0.5)]), 0)
        XCTAssertEqual(try d("Softplus", zero), 0.5)
        XCTAssertEqual(try d("Mish", zero), 0.6, accuracy: 1e-6)  // tanh(ln 2)
        XCTAssertEqual(try d("Softsign", zero), 1)
    }

    /// The new routing and activation ops declare the LRP roles the relevance walk relies on.
    func testLRPRoles() throws {
        let r = standardRegistry()
        for op in ["Tile", "DepthToSpace", "SpaceToDepth", "TopK", "Mod", "Ceil", "Floor", "Round", "Sign"] {
            XCTAssertEqual(r.lookup(domain: "", opType: op, opset: 21)?.lrp, .gradient, op)
        }
        for op in ["Softplus", "Mish", "Softsign", "Celu", "Selu", "ThresholdedRelu"] {
            XCTAssertEqual(r.lookup(domain: "", opType: op, opset: 21)?.lrp, .elementwise, op)
        }
        // Einsum is a product: a constant operand is a weight (the epsilon rule of a linear map), and
        // of two computed operands the gate (a Softmax attention) is held constant.
        XCTAssertEqual(r.lookup(domain: "", opType: "Einsum", opset: 21)?.lrp, .product(signals: [0, 1]))
        for op in ["Less", "Greater", "And", "Not", "ArgMax", "ArgMin"] {
            XCTAssertNil(r.lookup(domain: "", opType: op, opset: 21)?.lrp, op)
        }
        for op in ["Less", "GreaterOrEqual", "Xor", "Not", "ArgMax", "ArgMin"] {
            XCTAssertNotNil(r.lookup(domain: "", opType: op, opset: 21), op)
            XCTAssertNil(r.lookup(domain: "", opType: op, opset: 21)?.vjp, "\(op) has no gradient")
        }
    }
}
