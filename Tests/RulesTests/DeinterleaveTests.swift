import CKernels
import Graph
@testable import Rules
import TestSupport
import XCTest

/// Transposes that move a short last axis forward (NHWC -> NCHW) take `cfcam_deinterleave32`
/// (`StridedLoop.interleavedPlanes`): every plane count it takes (2 ... 16), runs with and without
/// a tail of fewer than 16 positions, batches, on one thread and two, against the element-wise
/// index arithmetic; and loops that only look alike keep the element path with the same result.
final class DeinterleaveTests: XCTestCase {
    /// x [n, h, w, c] -> [n, c, h, w] by index arithmetic.
    func naive(_ x: [Float], n: Int, h: Int, w: Int, c: Int) -> [Float] {
        var out = [Float](repeating: .nan, count: x.count)
        for b in 0..<n { for k in 0..<c { for y in 0..<h { for i in 0..<w {
            out[((b * c + k) * h + y) * w + i] = x[((b * h + y) * w + i) * c + k]
        } } } }
        return out
    }

    func testNHWCToNCHW() {
        var rng = TestRNG(seed: 23)
        for c in [2, 3, 4, 5, 7, 8, 15, 16, 17, 1] {
            for (n, h, w) in [(1, 1, 1), (1, 4, 4), (2, 3, 7), (1, 96, 96), (3, 5, 16)] {
                let x = (0..<(n * h * w * c)).map { _ in rng.symmetric() }
                let shape = [n, c, h, w]
                // Output dim d reads input axis perm[d]; input strides of [n, h, w, c].
                let inStrides = [h * w * c, w * c, c, 1], perm = [0, 3, 1, 2]
                let loop = StridedLoop(shape: shape, strides: [perm.map { inStrides[$0] }])
                let expectFast = (2...16).contains(c) && h * w > 1
                XCTAssertEqual(loop.interleavedPlanes != nil, expectFast, "c \(c) \(n)x\(h)x\(w)")
                let want = naive(x, n: n, h: h, w: w, c: c)
                for threads in [1, 2] {
                    XCTAssertEqual(Broadcast.gather(x, loop, threads: threads), want, "c \(c) \(n)x\(h)x\(w) threads \(threads)")
                }
            }
        }
    }

    func testLookAlikesKeepTheElementPath() {
        var rng = TestRNG(seed: 29)
        // [4, 6] read with strides (1, 5) from a [6, 5] source: the dimension outside is 4 long,
        // not the stride 5, so these are not planes of one run.
        let src = (0..<30).map { _ in rng.symmetric() }
        let loop = StridedLoop(shape: [4, 6], strides: [[1, 5]])
        XCTAssertNil(loop.interleavedPlanes)
        var want: [Float] = []
        for a in 0..<4 { for i in 0..<6 { want.append(src[a + 5 * i]) } }
        XCTAssertEqual(Broadcast.gather(src, loop, threads: 1), want)
        // 8-byte values never take the 32-bit kernel.
        let ints = (0..<48).map { Int64($0) }
        let loop3 = StridedLoop(shape: [3, 16], strides: [[1, 3]])
        XCTAssertEqual(loop3.interleavedPlanes, 3)
        var wantInts: [Int64] = []
        for a in 0..<3 { for i in 0..<16 { wantInts.append(Int64(a + 3 * i)) } }
        XCTAssertEqual(Broadcast.gather(ints, loop3, threads: 1), wantInts)
    }

    func testKernelWithoutTheLoop() {
        for a in 2...16 {
            for count in [1, 15, 16, 17, 40] {
                let src = (0..<(a * count)).map { Float($0) }
                var dst = [Float](repeating: .nan, count: a * count)
                cfcam_deinterleave32(src, count, a, &dst)
                for c in 0..<a { for i in 0..<count { XCTAssertEqual(dst[c * count + i], Float(i * a + c)) } }
            }
        }
    }
}
