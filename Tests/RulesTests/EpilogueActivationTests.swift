import Graph
@testable import Rules
import XCTest

/// Every fused activation applied in the convolution kernels' stores (the 8x48 GEMM on the 1x1 and
/// im2col paths, batches sharing one GEMM, Winograd's output transform) against the reference
/// precision (float64 accumulation, then the activation): the path taken is checked where it can
/// be observed (`Winograd.runs`). onnxruntime checks the same patterns end to end in
/// `FusedPatternTests` (fixtures/fused).
final class EpilogueActivationTests: XCTestCase {
    private let activations: [FusedActivation] = [.relu, .clip(lo: -0.5, hi: 0.7), .hardSwish, .sigmoid, .silu]

    private func problem(batch: Int, c: Int, m: Int, side: Int, kernel: Int, stride: Int) -> NNConvKernels.Problem {
        let pad = kernel / 2, out = (side + 2 * pad - kernel) / stride + 1
        let geo = NNWindow(input: [side, side], kernel: [kernel, kernel], strides: [stride, stride], dilations: [1, 1],
                           padsBegin: [pad, pad], padsEnd: [pad, pad], output: [out, out])
        return NNConvKernels.Problem(batch: batch, inChannels: c, outChannels: m, group: 1, geo: geo)
    }

    /// `winograd`: the error is measured against the largest pre-activation output (Winograd's
    /// rounding is relative to the partial sums, ~1e-6..1e-5 of them); otherwise per element.
    private func check(_ p: NNConvKernels.Problem, threads: Int, what: String, winograd: Bool = false) {
        var state: UInt64 = 3
        func uniform() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24) * 2 - 1
        }
        let x = (0..<(p.batch * p.inChannels * p.inPlane)).map { _ in uniform() * 2 }
        let w = (0..<(p.outChannels * p.depth)).map { _ in uniform() * 0.4 }
        let bias = (0..<p.outChannels).map { _ in uniform() }
        let plain = NNConvKernels.run(p, x: x, w: w, bias: bias, threads: 1, fast: false)
        let scale = plain.reduce(Float(1)) { max($0, abs($1)) }
        for activation in activations {
            let got = NNConvKernels.run(p, x: x, w: w, bias: bias, threads: threads, activation: activation,
                                        constantWeights: true)
            let want = NNConvKernels.run(p, x: x, w: w, bias: bias, threads: 1, activation: activation, fast: false)
            XCTAssertEqual(got.count, want.count)
            var worst: Float = 0
            for i in 0..<min(got.count, want.count) {
                worst = max(worst, abs(got[i] - want[i]) / (winograd ? scale : max(1, abs(want[i]))))
            }
            XCTAssertLessThan(worst, winograd ? 1e-5 : 2e-5, "\(what) \(activation)")
        }
    }

    func testGEMMPaths() throws {
        guard FastGEMM.enabled else { throw XCTSkip("this CPU has no AVX-512 (or CFCAM_GEMM=openblas)") }
        check(problem(batch: 1, c: 13, m: 21, side: 20, kernel: 1, stride: 1), threads: 2, what: "1x1")
        check(problem(batch: 1, c: 9, m: 43, side: 15, kernel: 3, stride: 2), threads: 2, what: "3x3 stride 2 (im2col)")
        check(problem(batch: 4, c: 7, m: 19, side: 9, kernel: 3, stride: 2), threads: 2, what: "batch sharing one GEMM")
        check(problem(batch: 3, c: 600, m: 200, side: 6, kernel: 1, stride: 1), threads: 2,
              what: "1x1 batch, large weights (shared GEMM)")
        check(problem(batch: 3, c: 30, m: 50, side: 6, kernel: 1, stride: 1), threads: 1, what: "1x1 batch, image by image")
    }

    func testWinogradPath() throws {
        guard FastGEMM.enabled, Winograd.enabled else { throw XCTSkip("no AVX-512, CFCAM_GEMM=openblas, or CFCAM_WINOGRAD=0") }
        let before = Winograd.runs
        check(problem(batch: 1, c: 17, m: 20, side: 22, kernel: 3, stride: 1), threads: 2, what: "Winograd", winograd: true)
        XCTAssertEqual(Winograd.runs - before, activations.count, "every activation ran on the Winograd path")
    }
}
