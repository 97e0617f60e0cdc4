import Graph
import Rules
import TestSupport
import XCTest

/// Small cases with hand-derived expected values.
final class NNHandTests: XCTestCase {
    private func run(_ op: String, _ inputs: [Tensor?], _ attrs: [String: Attribute] = [:], threads: Int = 1) throws -> Tensor {
        let node = Node(name: "n", opType: op, inputs: inputs.enumerated().map { $0.element == nil ? "" : "i\($0.offset)" },
                        outputs: ["y"], attributes: attrs)
        let def = try XCTUnwrap(standardRegistry().lookup(domain: "", opType: op, opset: 21))
        let out = try Executor.call(def, node: node, args: inputs, threads: threads, opset: 21)
        return try XCTUnwrap(out.first)
    }
    private func t(_ shape: [Int], _ v: [Float]) throws -> Tensor { try Tensor(shape: shape, floats: v) }

    /// The separable max-pool path (3x3 / 2, pad 1, the ResNet stem) propagates NaN like PyTorch:
    /// a window holding a NaN yields NaN; other windows are unaffected; a 20-wide row covers the
    /// 16-lane vertical pass and its scalar tail.
    func testMaxPoolFastPathPropagatesNaN() throws {
        var v = (0..<(2 * 20)).map { Float($0 % 7) - 3 }
        v[2 * 20 - 1] = .nan   // row 1, last column
        let y = try run("MaxPool", [try t([1, 1, 2, 20], v)],
                        ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])])
        XCTAssertEqual(y.shape, [1, 1, 1, 10])
        let out = y.floatValues()
        for xo in 0..<9 {
            let want = (max(0, 2 * xo - 1)...min(19, 2 * xo + 1)).flatMap { [v[$0], v[20 + $0]] }.max()!
            XCTAssertEqual(out[xo], want, "column \(xo)")
        }
        XCTAssertTrue(out[9].isNaN, "window with the NaN")
    }

    func testPointwiseConvWithBias() throws {
        // y[0] = 10·x[c0] + 100·x[c1] + 1
        let y = try run("Conv", [try t([1, 2, 1, 2], [1, 2, 3, 4]), try t([1, 2, 1, 1], [10, 100]), try t([1], [1])])
        assertClose(y, try t([1, 1, 1, 2], [311, 421]))
    }

    func testDepthwiseConvSumsNeighbours() throws {
        // Two channels, 3x1 kernel of ones along width with pad 1: sums of horizontal neighbours.
        let x = try t([1, 2, 1, 3], [1, 2, 3, 10, 20, 30])
        let w = try t([2, 1, 1, 3], [1, 1, 1, 2, 2, 2])
        let y = try run("Conv", [x, w], ["group": .int(2), "pads": .ints([0, 1, 0, 1])])
        assertClose(y, try t([1, 2, 1, 3], [3, 6, 5, 60, 120, 100]))
    }

    func testPools() throws {
        let x = try t([1, 1, 2, 2], [1, 2, 3, 4])
        assertClose(try run("MaxPool", [x], ["kernel_shape": .ints([2, 2])]), try t([1, 1, 1, 1], [4]))
        // Window at (-1, -1) sees only x[0,0] = 1: divided by 4 with count_include_pad, by 1 without.
        let attrs: [String: Attribute] = ["kernel_shape": .ints([2, 2]), "pads": .ints([1, 1, 0, 0])]
        var inc = attrs; inc["count_include_pad"] = .int(1)
        assertClose(try run("AveragePool", [x], inc), try t([1, 1, 2, 2], [0.25, 0.75, 1, 2.5]))
        assertClose(try run("AveragePool", [x], attrs), try t([1, 1, 2, 2], [1, 1.5, 2, 2.5]))
    }

    func testSoftmaxAndLogSoftmax() throws {
        let x = try t([1, 2], [0, logf3])
        assertClose(try run("Softmax", [x]), try t([1, 2], [0.25, 0.75]))
        assertClose(try run("LogSoftmax", [x]), try t([1, 2], [logf(0.25), logf(0.75)]))
    }

    func testPadModes() throws {
        let x = try t([3], [1, 2, 3])
        let pads = Tensor.vector([2, 2] as [Int64])
        assertClose(try run("Pad", [x, pads], ["mode": .string("reflect")]), try t([7], [3, 2, 1, 2, 3, 2, 1]))
        assertClose(try run("Pad", [x, pads], ["mode": .string("edge")]), try t([7], [1, 1, 1, 2, 3, 3, 3]))
        assertClose(try run("Pad", [x, pads], ["mode": .string("wrap")]), try t([7], [2, 3, 1, 2, 3, 1, 2]))
        assertClose(try run("Pad", [x, pads, .scalar(Float(9))]), try t([7], [9, 9, 1, 2, 3, 9, 9]))
        assertClose(try run("Pad", [x, Tensor.vector([-1, 1] as [Int64])]), try t([3], [2, 3, 0]))
        // int64 data keeps its dtype.
        let xi = Tensor.vector([5, 6] as [Int64])
        let yi = try run("Pad", [xi, Tensor.vector([1, 0] as [Int64])], ["mode": .string("edge")])
        XCTAssertEqual(try yi.ints(), [5, 5, 6])
    }

    func testResizeNearestAndLinear() throws {
        let x = try t([1, 2], [1, 2])
        let scales = Tensor.vector([1, 2] as [Float])
        let nearest: [String: Attribute] = ["mode": .string("nearest"), "coordinate_transformation_mode": .string("asymmetric"),
                                            "nearest_mode": .string("floor")]
        assertClose(try run("Resize", [x, nil, scales], nearest), try t([1, 4], [1, 1, 2, 2]))
        // align_corners to 3 samples: 1, 1.5, 2.
        let sizes = Tensor.vector([1, 3] as [Int64])
        let linear: [String: Attribute] = ["mode": .string("linear"), "coordinate_transformation_mode": .string("align_corners")]
        assertClose(try run("Resize", [x, nil, nil, sizes], linear), try t([1, 3], [1, 1.5, 2]))
    }

    func testMatMulVectorDotIsScalar() throws {
        let y = try run("MatMul", [try t([3], [1, 2, 3]), try t([3], [4, 5, 6])])
        assertClose(y, try t([], [32]))
    }

    func testGemmBroadcastRowBias() throws {
        // [1 2] · [[1 0], [0 1]] + [10 20] per row
        let y = try run("Gemm", [try t([2, 2], [1, 2, 3, 4]), try t([2, 2], [1, 0, 0, 1]), try t([2], [10, 20])])
        assertClose(y, try t([2, 2], [11, 22, 13, 24]))
    }

    func testBatchNormIsPerChannelAffine() throws {
        let x = try t([1, 2, 1, 1], [1, 1])
        let y = try run("BatchNormalization", [x, try t([2], [2, 3]), try t([2], [1, 0]), try t([2], [0, 1]), try t([2], [4, 0.25])],
                        ["epsilon": .float(0)])
        // c0: (1-0)/2·2+1 = 2; c1: (1-1)/0.5·3+0 = 0
        assertClose(y, try t([1, 2, 1, 1], [2, 0]))
    }
}

private let logf3: Float = 1.0986123
private func logf(_ v: Float) -> Float { Float(log(Double(v))) }
