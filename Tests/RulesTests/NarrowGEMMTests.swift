import CKernels
import Graph
@testable import Rules
import XCTest

/// The transposed narrow kernel (`Sources/CKernels/sgemm_narrow.c`, C = W X for n <= 9 columns)
/// against a double-precision loop: every column count 1..9, channel counts around the 16-lane
/// blocks and the 48-channel tile (1, 15, 16, 17, 47, 48, 50, 100), a depth of 1 and a deep one,
/// with and without bias, every epilogue activation, a padded output stride; the weights packed in
/// 48-channel panels by `cfcam_sgemm_narrow_pack`.
final class NarrowGEMMTests: XCTestCase {
    func testAgainstDoublePrecisionLoop() throws {
        guard FastGEMM.available else {
            throw XCTSkip("this CPU has no AVX-512; the narrow kernel never runs (convolutions use OpenBLAS)")
        }
        var state: UInt64 = 5
        func uniform() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24) * 2 - 1
        }
        let activations: [FusedActivation?] = [nil, .relu, .clip(lo: -0.2, hi: 0.3), .hardSwish, .sigmoid, .silu]
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
        var state: UInt64 = 9
        func uniform() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24) * 2 - 1
        }
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
            let x = (0..<(batch * c * side * side)).map { _ in uniform() * 3 }
            let w = (0..<(m * c)).map { _ in uniform() * 0.3 }
            let bias = (0..<m).map { _ in uniform() }
            let got = NNConvKernels.run(p, x: x, w: w, bias: bias, threads: threads, activation: activation,
                                        constantWeights: true)
            let want = NNConvKernels.run(p, x: x, w: w, bias: bias, threads: 1, activation: activation, fast: false)
            XCTAssertEqual(got.count, want.count)
            for i in 0..<min(got.count, want.count) {
                XCTAssertEqual(got[i], want[i], accuracy: 1e-5 * max(1, abs(want[i])), "batch \(batch) m \(m) c \(c) at \(i)")
            }
        }
    }

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
