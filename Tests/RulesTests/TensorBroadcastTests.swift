import Graph
import Rules
import TestSupport
import XCTest

/// The shared broadcasting / strided-iteration helpers, and the multi-threaded paths of the
/// kernels on tensors big enough to be split, against naive index arithmetic written here.
final class TensorBroadcastTests: XCTestCase {
    private func ints(_ v: [Int64]) -> Tensor { .vector(v) }

    private func values(_ n: Int, seed: Int = 1) -> [Float] {
        (0..<n).map { Float(($0 * 7919 + seed * 104_729) % 2003) / 1000 - 1 }
    }

    func testBroadcastShapeAndStrides() throws {
        XCTAssertEqual(try Broadcast.shape([2, 1, 4], [3, 1]), [2, 3, 4])
        XCTAssertEqual(try Broadcast.shape([], [5]), [5])
        XCTAssertEqual(try Broadcast.shape([[1], [0, 1], [3, 1, 1]]), [3, 0, 1])
        XCTAssertThrowsError(try Broadcast.shape([2], [3]))
        XCTAssertEqual(Broadcast.strides([3, 1], to: [2, 3, 4]), [0, 1, 0])
        XCTAssertEqual(Broadcast.strides([2, 3, 4], to: [2, 3, 4]), [12, 4, 1])
    }

    func testStridedLoopCollapsesContiguousDimensions() {
        let contiguous = StridedLoop(shape: [2, 3, 4], strides: [[12, 4, 1]])
        XCTAssertEqual(contiguous.dims, [24])
        XCTAssertEqual(contiguous.innerStride(0), 1)
        // [N, C, 1, 1] against [N, C, H, W]: H and W merge, N and C merge.
        let channel = StridedLoop(shape: [2, 3, 5, 5], strides: [[75, 25, 5, 1], [3, 1, 0, 0]])
        XCTAssertEqual(channel.dims, [6, 25])
        XCTAssertEqual(channel.strides, [25, 1, 1, 0])
        var starts: [[Int]] = []
        channel.forEachRow(0..<channel.rows) { o, offs in starts.append([o, offs[0], offs[1]]) }
        XCTAssertEqual(starts.map { $0[0] }, (0..<6).map { $0 * 25 })
        XCTAssertEqual(starts.map { $0[2] }, Array(0..<6))
        // Starting mid-way gives the same offsets as walking from the start.
        var tail: [[Int]] = []
        channel.forEachRow(4..<6) { o, offs in tail.append([o, offs[0], offs[1]]) }
        XCTAssertEqual(tail, Array(starts[4...]))
    }

    func testLargeBroadcastAddMatchesNaiveOnManyThreads() throws {
        let a = Tensor(unchecked: [16, 64, 33], floats: values(16 * 64 * 33))
        let b = Tensor(unchecked: [64, 1], floats: values(64, seed: 2))
        let node = Node(name: "add", opType: "Add", inputs: ["a", "b"], outputs: ["y"])
        let got = try runNode(node, [a, b], threads: 4)[0]
        let av = try a.floats(), bv = try b.floats()
        var want = [Float](repeating: 0, count: av.count)
        for n in 0..<16 { for c in 0..<64 { for w in 0..<33 {
            let i = (n * 64 + c) * 33 + w
            want[i] = av[i] + bv[c]
        } } }
        XCTAssertEqual(got, Tensor(unchecked: [16, 64, 33], floats: want))
    }

    func testLargeOuterProductWhereMatchesNaive() throws {
        let c = Tensor(unchecked: [300, 1], bools: (0..<300).map { $0 % 3 == 0 })
        let x = Tensor(unchecked: [1, 200], floats: values(200))
        let y = Tensor.scalar(Float(-7))
        let node = Node(name: "where", opType: "Where", inputs: ["c", "x", "y"], outputs: ["o"])
        let got = try runNode(node, [c, x, y], threads: 3)[0]
        let xv = try x.floats()
        let want = (0..<300).flatMap { i in (0..<200).map { j in i % 3 == 0 ? xv[j] : -7 } }
        XCTAssertEqual(got, Tensor(unchecked: [300, 200], floats: want))
    }

    func testLargeTransposeAndReverseSliceMatchNaive() throws {
        let (d0, d1, d2) = (40, 50, 30)
        let x = Tensor(unchecked: [d0, d1, d2], floats: values(d0 * d1 * d2))
        let xv = try x.floats()
        let t = try runNode(Node(name: "t", opType: "Transpose", inputs: ["x"], outputs: ["y"],
                                 attributes: ["perm": .ints([2, 0, 1])]), [x], threads: 4)[0]
        var want = [Float](repeating: 0, count: xv.count)
        for i in 0..<d0 { for j in 0..<d1 { for k in 0..<d2 { want[(k * d0 + i) * d1 + j] = xv[(i * d1 + j) * d2 + k] } } }
        XCTAssertEqual(t, Tensor(unchecked: [d2, d0, d1], floats: want))

        // x[::-1, 1:, ::-2]
        let s = try runNode(Node(name: "s", opType: "Slice", inputs: ["x", "s", "e", "a", "st"], outputs: ["y"]),
                            [x, ints([-1, 1, -1]), ints([Int64.min, Int64.max, Int64.min]), ints([0, 1, 2]), ints([-1, 1, -2])],
                            threads: 4)[0]
        var sw: [Float] = []
        for i in stride(from: d0 - 1, through: 0, by: -1) { for j in 1..<d1 { for k in stride(from: d2 - 1, through: 0, by: -2) {
            sw.append(xv[(i * d1 + j) * d2 + k])
        } } }
        XCTAssertEqual(s, Tensor(unchecked: [d0, d1 - 1, d2 / 2], floats: sw))
    }

    func testLargeReduceMeanMatchesNaive() throws {
        let x = Tensor(unchecked: [4, 32, 20, 20], floats: values(4 * 32 * 400))
        let xv = try x.floats()
        let got = try runNode(Node(name: "m", opType: "ReduceMean", inputs: ["x", "a"], outputs: ["y"]),
                              [x, ints([2, 3])], threads: 4)[0]
        let want = (0..<128).map { r in Float((0..<400).reduce(0.0) { $0 + Double(xv[r * 400 + $1]) } / 400) }
        assertClose(got, Tensor(unchecked: [4, 32, 1, 1], floats: want))
        // Over the channel axis (strided inner loop).
        let c = try runNode(Node(name: "s", opType: "ReduceSum", inputs: ["x", "a"], outputs: ["y"],
                                 attributes: ["keepdims": .int(0)]), [x, ints([1])], threads: 4)[0]
        var cw = [Float](repeating: 0, count: 4 * 400)
        for n in 0..<4 { for ch in 0..<32 { for p in 0..<400 { cw[n * 400 + p] += xv[(n * 32 + ch) * 400 + p] } } }
        assertClose(c, Tensor(unchecked: [4, 20, 20], floats: cw))
    }
}
