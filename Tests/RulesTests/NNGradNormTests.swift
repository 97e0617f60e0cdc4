import Graph
import Rules
import TestSupport
import XCTest

/// Finite-difference checks of the normalisation, LRN and softmax gradients.
final class NNGradNormTests: XCTestCase {
    private var rng = NNGradRandom(31)

    private func positive(_ shape: [Int]) -> Tensor {
        Tensor(unchecked: shape, floats: rng.floats(Tensor.elementCount(shape)).map { abs($0) + 0.5 })
    }

    func testBatchNormalizationAllInputs() throws {
        let c = NNGradCheck("BatchNormalization", [rng.tensor([2, 3, 2, 2]), rng.tensor([3]), rng.tensor([3]), rng.tensor([3]), positive([3])],
                            ["epsilon": .float(1e-3)])
        try c.check(wrt: [0, 1, 2, 3, 4], h: 1e-3)
        // 2-D input [N, C].
        try NNGradCheck("BatchNormalization", [rng.tensor([4, 3]), rng.tensor([3]), rng.tensor([3]), rng.tensor([3]), positive([3])])
            .check(wrt: [0, 1, 2], h: 1e-3)
    }

    func testBatchNormalizationHandValues() throws {
        // scale 2, var 3 (eps 1): y = (x - mean) · 2 / 2 + b, so dX = dY, dScale = Σ dY (x - mean) / 2.
        let x = try Tensor(shape: [1, 1, 2], floats: [1, 5])
        let one: (Float) throws -> Tensor = { try Tensor(shape: [1], floats: [$0]) }
        let g = try NNGradCheck("BatchNormalization", [x, try one(2), try one(0), try one(1), try one(3)], ["epsilon": .float(1)])
            .vjp(seed: try Tensor(shape: [1, 1, 2], floats: [1, 10]))
        assertClose(try XCTUnwrap(g[0]), try Tensor(shape: [1, 1, 2], floats: [1, 10]))
        assertClose(try XCTUnwrap(g[1]), try one((0 * 1 + 4 * 10) / 2))
        assertClose(try XCTUnwrap(g[2]), try one(11))
    }

    func testLayerNormalization() throws {
        try NNGradCheck("LayerNormalization", [rng.tensor([2, 3, 4]), rng.tensor([4]), rng.tensor([4])]).check(wrt: [0, 1, 2], h: 1e-3)
        try NNGradCheck("LayerNormalization", [rng.tensor([2, 3, 4]), rng.tensor([3, 4]), rng.tensor([1, 4])], ["axis": .int(1)])
            .check(wrt: [0, 1, 2], h: 1e-3)
        // Without B; Scale broadcast along the first normalised axis.
        try NNGradCheck("LayerNormalization", [rng.tensor([2, 3, 4]), rng.tensor([1, 4]), nil], ["axis": .int(-2)])
            .check(wrt: [0, 1], h: 1e-3)
    }

    func testInstanceNormalization() throws {
        try NNGradCheck("InstanceNormalization", [rng.tensor([2, 3, 2, 3]), rng.tensor([3]), rng.tensor([3])]).check(wrt: [0, 1, 2], h: 1e-3)
        try NNGradCheck("InstanceNormalization", [rng.tensor([1, 2, 5]), rng.tensor([2]), rng.tensor([2])], ["epsilon": .float(0.1)])
            .check(wrt: [0, 1, 2], h: 1e-3)
    }

    func testLRN() throws {
        for size in [2, 3, 5] {
            try NNGradCheck("LRN", [rng.tensor([2, 5, 2, 2])], ["size": .int(size), "alpha": .float(0.8), "beta": .float(0.75), "bias": .float(1.5)])
                .check(wrt: [0], h: 1e-3)
        }
    }

    func testSoftmaxAndLogSoftmax() throws {
        for op in ["Softmax", "LogSoftmax"] {
            try NNGradCheck(op, [rng.tensor([2, 3, 4], scale: 2)], ["axis": .int(1)]).check(wrt: [0], h: 1e-3)
            try NNGradCheck(op, [rng.tensor([2, 5], scale: 2)]).check(wrt: [0], h: 1e-3)
            // Opset < 13 semantics: flattened to 2-D at axis 1.
            try NNGradCheck(op, [rng.tensor([2, 3, 2], scale: 2)], ["legacy_coerce_2d": .int(1), "axis": .int(1)]).check(wrt: [0], h: 1e-3)
        }
    }

    func testSoftmaxHandValues() throws {
        // y = [0.25, 0.75]; dY = [1, 0]: dX = y ⊙ (dY - y·dY) = [0.25·0.75, 0.75·(-0.25)].
        let x = try Tensor(shape: [1, 2], floats: [0, logf(3)])
        let g = try NNGradCheck("Softmax", [x]).vjp(seed: try Tensor(shape: [1, 2], floats: [1, 0]))
        assertClose(try XCTUnwrap(g[0]), try Tensor(shape: [1, 2], floats: [0.1875, -0.1875]))
        // LogSoftmax with dY = [1, 0]: dX = dY - y · Σ dY = [0.75, -0.75].
        let gl = try NNGradCheck("LogSoftmax", [x]).vjp(seed: try Tensor(shape: [1, 2], floats: [1, 0]))
        assertClose(try XCTUnwrap(gl[0]), try Tensor(shape: [1, 2], floats: [0.75, -0.75]), rtol: 1e-5, atol: 1e-6)
    }
}
