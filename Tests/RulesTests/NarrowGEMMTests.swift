import CKernels
import Graph
@testable import Rules
import TestSupport
import XCTest

/// The transposed narrow kernels (`Sources/CKernels/sgemm_narrow.c`, C = W X for n <= 9 columns,
/// and the in-place one for any n) against a double-precision loop: every column count 1..9, channel counts around the 16-lane
/// blocks and the 48-channel tile (1, 15, 16, 17, 47, 48, 50, 100), a depth of 1 and a deep one,
/// with and without bias, every epilogue activation, a padded output stride; the weights packed in
/// 48-channel panels by `cfcam_sgemm_narrow_pack`.
final class NarrowGEMMTests: XCTestCase {
    func testAgainstDoublePrecisionLoop() throws {
        guard FastGEMM.available else {
            throw XCTSkip("this CPU has no AVX-512; the narrow kernel never runs (convolutions use OpenBLAS)")
        }
        var rng = TestRNG(seed: 5)
        func uniform() -> Float { rng.symmetric() }
        let activations = Self.activations
        var checked = 0
        for n in 1...9 {
            for m in [1, 15, 16, 17, 47, 48, 50, 100] {
                for k in [1, 70] {
                    for (index, activation) in activations.enumerated() {
                        let useBias = (n + m + index) % 2 == 0
                        let ldc = n + 1
                        let w = (0..<(m * k)).map { _ in uniform() }   // W [m x k]
                        var wt = [Float](repeating: .nan, count: cfcam_sgemm_narrow_packed_size(m, k))
                        cfcam_sgemm_narrow_pack(w, m, k, &wt)
                        let x = (0..<(k * n)).map { _ in uniform() }
                        let bias = (0..<m).map { _ in uniform() }
                        let c0 = (0..<(m * ldc)).map { _ in uniform() }
                        var c = c0
                        let act = KernelActivation(activation)
                        var scratch = [Float](repeating: 0, count: cfcam_sgemm_narrow_scratch(n, k))
                        let done = wt.withUnsafeBufferPointer { wp in x.withUnsafeBufferPointer { xp in
                            bias.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                                scratch.withUnsafeMutableBufferPointer { sp in
                                    cfcam_sgemm_narrow(m, n, k, wp.baseAddress, xp.baseAddress, n, cp.baseAddress, ldc,
                                                       useBias ? bp.baseAddress : nil, act.kind, act.lo, act.hi, sp.baseAddress)
                                }
                            } }
                        } }
                        XCTAssertEqual(done, 1, "m \(m) n \(n) k \(k)")
                        checked += checkGEMM(c, c0: c0, m: m, n: n, k: k, ldc: ldc, a: { w[$0 * k + $1] },
                                             b: { x[$0 * n + $1] }, start: { i, _ in useBias ? Double(bias[i]) : 0 },
                                             f: { Self.apply(activation, $0) },
                                             "m \(m) n \(n) k \(k) \(String(describing: activation))")
                    }
                }
            }
        }
        XCTAssertGreaterThan(checked, 30_000)
    }

    /// `cfcam_sgemm_lanes` (any n, X read in place, several images, a panel range) against the same
    /// double-precision loop: position counts around the blocks of 8 (10, 17, 49, 64, 100, 255),
    /// channel counts around the panels, padded X and C strides, three images, panel ranges that
    /// cover the channels in two calls as two threads make them, every activation.
    func testLanesKernelAgainstDoublePrecisionLoop() throws {
        guard FastGEMM.available else { throw XCTSkip("this CPU has no AVX-512; the lanes kernel never runs") }
        var rng = TestRNG(seed: 17)
        func uniform() -> Float { rng.symmetric() }
        let activations = Self.activations
        var checked = 0
        for (trial, (n, m, k)) in [(10, 16, 64), (17, 50, 70), (49, 100, 96), (64, 47, 1), (100, 17, 33),
                                   (255, 96, 65), (49, 320, 130), (12, 1, 8)].enumerated() {
            let activation = activations[trial % activations.count], images = 3
            let ldx = n + 2, ldc = n + 1, xstride = k * ldx + 5, cstride = m * ldc + 3
            let w = (0..<(m * k)).map { _ in uniform() }
            var wp = [Float](repeating: .nan, count: cfcam_sgemm_narrow_packed_size(m, k))
            cfcam_sgemm_narrow_pack(w, m, k, &wp)
            let x = (0..<(images * xstride)).map { _ in uniform() }
            let bias = (0..<m).map { _ in uniform() }, useBias = trial % 3 != 1
            let c0 = (0..<(images * cstride)).map { _ in uniform() }
            var c = c0
            let act = KernelActivation(activation), panels = (m + 47) / 48, split = panels / 2
            var done: [Int32] = []
            for range in [0..<split, split..<panels] {
                done.append(cfcam_sgemm_lanes(m, n, k, images, wp, range.lowerBound, range.upperBound, x, ldx, xstride,
                                              &c, ldc, cstride, useBias ? bias : nil, act.kind, act.lo, act.hi))
            }
            XCTAssertEqual(done, [1, 1])
            for i in 0..<images {
                let what = "m \(m) n \(n) k \(k) image \(i) \(String(describing: activation))"
                checked += checkGEMM(Array(c[(i * cstride)..<(i * cstride + m * ldc)]),
                                     c0: Array(c0[(i * cstride)..<(i * cstride + m * ldc)]), m: m, n: n, k: k, ldc: ldc,
                                     a: { w[$0 * k + $1] }, b: { x[i * xstride + $0 * ldx + $1] },
                                     start: { r, _ in useBias ? Double(bias[r]) : 0 }, f: { Self.apply(activation, $0) },
                                     what)
                // Between the images: untouched.
                for j in (i * cstride + m * ldc)..<min(c.count, (i + 1) * cstride) {
                    XCTAssertEqual(c[j], c0[j], "written between images at \(j) (\(what))")
                }
            }
        }
        XCTAssertGreaterThan(checked, 100_000)
    }

    /// Shapes it does not take (n = 0 or > 9, empty depth) are refused, nothing written.
    func testRefusesOtherShapes() throws {
        guard FastGEMM.available else { throw XCTSkip("this CPU has no AVX-512") }
        var c = [Float](repeating: 7, count: 40)
        let w = [Float](repeating: 1, count: 40), x = [Float](repeating: 1, count: 40)
        var scratch = [Float](repeating: 0, count: 40)
        for (n, k) in [(0, 2), (10, 2), (3, 0)] {
            let done = cfcam_sgemm_narrow(2, n, k, w, x, max(n, 1), &c, max(n, 1), nil, 0, 0, 0, &scratch)
            XCTAssertEqual(done, 0, "n \(n) k \(k)")
        }
        XCTAssertEqual(c, [Float](repeating: 7, count: 40))
    }

    /// The convolution path (`NNConvKernels.narrowConv` through `run`, constant weights) against the
    /// reference precision's float64 loop: 1x1 on 3x3 and 2x2 maps, one thread and two (channels
    /// split), batches of 1 and 3 (image by image), a ReLU6 and a SiLU; and which problems take it.
    func testPointwiseConvolution() throws {
        guard FastGEMM.enabled else { throw XCTSkip("this CPU has no AVX-512 (or CFCAM_GEMM=openblas)") }
        var rng = TestRNG(seed: 9)
        func problem(batch: Int = 1, c: Int, m: Int, side: Int, stride: Int = 1) -> NNConvKernels.Problem {
            let out = (side - 1) / stride + 1
            let geo = NNWindow(input: [side, side], kernel: [1, 1], strides: [stride, stride], dilations: [1, 1],
                               padsBegin: [0, 0], padsEnd: [0, 0], output: [out, out])
            return NNConvKernels.Problem(batch: batch, inChannels: c, outChannels: m, group: 1, geo: geo)
        }
        XCTAssertTrue(NNConvKernels.narrowFits(problem(c: 112, m: 1280, side: 3)))
        XCTAssertFalse(NNConvKernels.narrowFits(problem(c: 112, m: 1280, side: 4)), "16 positions: the 8x48 tile")
        XCTAssertTrue(NNConvKernels.narrowFits(problem(batch: 2, c: 112, m: 1280, side: 3)), "image by image")
        XCTAssertFalse(NNConvKernels.narrowFits(problem(batch: 2, c: 512, m: 2048, side: 3)),
                       "4 MiB of weights: the images share one GEMM")
        XCTAssertFalse(NNConvKernels.narrowFits(problem(c: 8, m: 8, side: 5, stride: 2)), "strided: im2col")
        for (batch, c, m, side, threads, activation) in [(1, 112, 1280, 3, 2, FusedActivation.clip(lo: 0, hi: 6)),
                                                         (1, 56, 336, 3, 1, .silu), (1, 20, 37, 2, 2, .relu),
                                                         (3, 24, 100, 3, 2, .hardSwish), (2, 112, 1280, 3, 1, .relu)] {
            let p = problem(batch: batch, c: c, m: m, side: side)
            XCTAssertTrue(NNConvKernels.narrowFits(p))
            Self.assertFastMatchesReference(p, threads: threads, activation: activation, &rng)
        }
    }

    /// The batched small-map path (`NNConvKernels.lanesConv` through `run`) against the float64
    /// loop: 7x7 and 14x14 maps, batches 2 to 5, one and two threads (split by images when the
    /// panels are few, by panels when there are many), and which problems take it.
    func testLanesConvolution() throws {
        guard FastGEMM.enabled else { throw XCTSkip("this CPU has no AVX-512 (or CFCAM_GEMM=openblas)") }
        var rng = TestRNG(seed: 21)
        func problem(batch: Int, c: Int, m: Int, side: Int) -> NNConvKernels.Problem {
            let geo = NNWindow(input: [side, side], kernel: [1, 1], strides: [1, 1], dilations: [1, 1],
                               padsBegin: [0, 0], padsEnd: [0, 0], output: [side, side])
            return NNConvKernels.Problem(batch: batch, inChannels: c, outChannels: m, group: 1, geo: geo)
        }
        XCTAssertTrue(NNConvKernels.lanesFits(problem(batch: 8, c: 960, m: 320, side: 7)))
        XCTAssertFalse(NNConvKernels.lanesFits(problem(batch: 1, c: 960, m: 320, side: 7)), "one image: the GEMM")
        XCTAssertFalse(NNConvKernels.lanesFits(problem(batch: 8, c: 32, m: 320, side: 7)), "depth 32: the GEMM")
        XCTAssertFalse(NNConvKernels.lanesFits(problem(batch: 8, c: 960, m: 320, side: 3)), "9 positions: narrow")
        XCTAssertFalse(NNConvKernels.lanesFits(problem(batch: 8, c: 96, m: 64, side: 16)), "256 positions: the GEMM")
        for (batch, c, m, side, threads, activation) in [(2, 96, 320, 7, 2, FusedActivation.clip(lo: 0, hi: 6)),
                                                         (5, 64, 40, 14, 2, .silu), (3, 130, 500, 7, 2, nil),
                                                         (2, 70, 100, 11, 1, .hardSwish)] {
            let p = problem(batch: batch, c: c, m: m, side: side)
            XCTAssertTrue(NNConvKernels.lanesFits(p))
            Self.assertFastMatchesReference(p, threads: threads, activation: activation, &rng)
        }
    }

    /// The problem's fast convolution (constant weights) against the reference precision's float64
    /// loop, on seeded inputs.
    private static func assertFastMatchesReference(_ p: NNConvKernels.Problem, threads: Int, activation: FusedActivation?,
                                                   _ rng: inout TestRNG, file: StaticString = #filePath, line: UInt = #line) {
        let x = (0..<(p.batch * p.inChannels * p.geo.input[0] * p.geo.input[1])).map { _ in rng.symmetric() * 3 }
        let w = (0..<(p.outChannels * p.inChannels)).map { _ in rng.symmetric() * 0.3 }
        let bias = (0..<p.outChannels).map { _ in rng.symmetric() }
        let got = NNConvKernels.run(p, x: x, w: w, bias: bias, threads: threads, activation: activation, constantWeights: true)
        let want = NNConvKernels.run(p, x: x, w: w, bias: bias, threads: 1, activation: activation, fast: false)
        XCTAssertEqual(got.count, want.count, file: file, line: line)
        let what = "batch \(p.batch) m \(p.outChannels) c \(p.inChannels) \(threads) threads"
        for i in 0..<min(got.count, want.count) {
            XCTAssertEqual(got[i], want[i], accuracy: 1e-5 * max(1, abs(want[i])), "\(what) at \(i)", file: file, line: line)
        }
    }

    /// Every epilogue activation (none included).
    private static let activations: [FusedActivation?] = [nil, .relu, .clip(lo: -0.2, hi: 0.3), .hardSwish, .sigmoid, .silu]

    private static func apply(_ a: FusedActivation?, _ v: Double) -> Double {
        switch a {
        case nil: return v
        case .relu?: return max(0, v)
        case let .clip(lo, hi)?: return min(Double(hi), max(Double(lo), v))
        case .hardSwish?: return v * max(0, min(1, v / 6 + 0.5))
        case .sigmoid?: return 1 / (1 + exp(-v))
        case .silu?: return v / (1 + exp(-v))
        }
    }
}
