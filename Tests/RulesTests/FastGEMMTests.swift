import Graph
@testable import Rules
import TestSupport
import XCTest

/// cfcam's AVX-512 SGEMM against a double-precision triple loop: every tile tail (rows < 8,
/// columns < 48 and < 16, 49..52 columns with the dot-product tail), K slices (> 128, on products
/// wider than 256), short-K products wider than 256 in column blocks (with a partial last block),
/// padded leading dimensions, bias / accumulate / every epilogue activation.
final class FastGEMMTests: XCTestCase {
    func testAgainstDoublePrecisionLoop() throws {
        guard FastGEMM.available else {
            throw XCTSkip("this CPU has no AVX-512; convolutions use OpenBLAS (covered by NNReferenceTests)")
        }
        var rng = TestRNG(seed: 7)
        var checked = 0
        for (m, n, k) in [(1, 1, 1), (3, 17, 5), (8, 48, 128), (9, 49, 129), (17, 100, 300), (64, 15, 64),
                          (13, 33, 0), (24, 96, 257), (5, 200, 31), (10, 300, 200), (3, 257, 129),
                          (20, 52, 37), (7, 50, 1000),   // 49..52 columns: tile + dot-product tail
                          (13, 1000, 16), (9, 1925, 64), (17, 300, 3)] {   // short K, column blocks of 960
            for mode in 0..<4 {   // 0: plain, 1: bias, 2: accumulate, 3: bias + relu
                let lda = k + 3, ldb = n + 5, ldc = n + 2
                let a = (0..<(m * lda)).map { _ in rng.symmetric() }
                let b = (0..<(max(k, 1) * ldb)).map { _ in rng.symmetric() }
                let bias = (0..<m).map { _ in rng.symmetric() }
                let c0 = (0..<(m * ldc)).map { _ in rng.symmetric() }
                var c = c0
                let useBias = mode == 1 || mode == 3, acc = mode == 2, relu = mode == 3
                a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in bias.withUnsafeBufferPointer { biasp in
                    c.withUnsafeMutableBufferPointer { cp in
                        FastGEMM.sgemm(m: m, n: n, k: k, a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb,
                                       c: cp.baseAddress!, ldc: ldc, bias: useBias ? biasp.baseAddress! : nil,
                                       accumulate: acc, relu: relu)
                    }
                } } }
                checked += checkGEMM(c, c0: c0, m: m, n: n, k: k, ldc: ldc, a: { a[$0 * lda + $1] }, b: { b[$0 * ldb + $1] },
                                     start: { acc ? Double(c0[$0 * ldc + $1]) : (useBias ? Double(bias[$0]) : 0) },
                                     f: { relu ? max(0, $0) : $0 }, "m \(m) n \(n) k \(k) mode \(mode)")
            }
        }
        XCTAssertGreaterThan(checked, 10_000)
    }

    /// Every compiled row count (m = 1..9: tiles of 1, 2, 3, 4, 6 and 8 rows, 5 and 7 repeating a
    /// row), column tails (1, 9, 17 < 48; 50 with the dot-product tail; 100 over three panels),
    /// one and several K slices, and every epilogue activation after the bias or accumulation.
    func testRowTailsAndActivations() throws {
        guard FastGEMM.available else {
            throw XCTSkip("this CPU has no AVX-512; convolutions use OpenBLAS (covered by NNReferenceTests)")
        }
        var rng = TestRNG(seed: 11)
        let activations: [(FusedActivation?, (Double) -> Double)] = [
            (nil, { $0 }),
            (.relu, { max(0, $0) }),
            (.clip(lo: -0.3, hi: 0.4), { min(0.4, max(-0.3, $0)) }),
            (.hardSwish, { $0 * max(0, min(1, $0 / 6 + 0.5)) }),
            (.sigmoid, { 1 / (1 + exp(-$0)) }),
            (.silu, { $0 / (1 + exp(-$0)) }),
        ]
        var checked = 0
        for m in 1...9 {
            for n in [1, 9, 17, 50, 100] {
                for k in [5, 300] {
                    for (index, (activation, f)) in activations.enumerated() {
                        let acc = (m + n + index) % 3 == 0, useBias = !acc && index % 2 == 0
                        let lda = k + 1, ldb = n + 3, ldc = n + 2
                        let a = (0..<(m * lda)).map { _ in rng.symmetric() }
                        let b = (0..<(k * ldb)).map { _ in rng.symmetric() }
                        let bias = (0..<m).map { _ in rng.symmetric() }
                        let c0 = (0..<(m * ldc)).map { _ in rng.symmetric() }
                        var c = c0
                        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in bias.withUnsafeBufferPointer { biasp in
                            c.withUnsafeMutableBufferPointer { cp in
                                FastGEMM.sgemm(m: m, n: n, k: k, a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb,
                                               c: cp.baseAddress!, ldc: ldc, bias: useBias ? biasp.baseAddress! : nil,
                                               accumulate: acc, activation: KernelActivation(activation))
                            }
                        } } }
                        let what = "m \(m) n \(n) k \(k) \(String(describing: activation)) acc \(acc) bias \(useBias)"
                        checked += checkGEMM(c, c0: c0, m: m, n: n, k: k, ldc: ldc, a: { a[$0 * lda + $1] },
                                             b: { b[$0 * ldb + $1] },
                                             start: { acc ? Double(c0[$0 * ldc + $1]) : (useBias ? Double(bias[$0]) : 0) },
                                             f: f, what)
                    }
                }
            }
        }
        XCTAssertGreaterThan(checked, 50_000)
    }

    /// ReLU and Clip keep NaN (as the ops do) in every epilogue: register tiles of 1 and 8 rows,
    /// the dot-product tail (n = 50), and an empty depth.
    func testNaNSurvivesReluAndClip() throws {
        guard FastGEMM.available else {
            throw XCTSkip("this CPU has no AVX-512; convolutions use OpenBLAS (covered by NNReferenceTests)")
        }
        for activation in [FusedActivation.relu, .clip(lo: 0, hi: 6)] {
            for (m, n, k) in [(1, 20, 3), (8, 100, 7), (9, 50, 4), (3, 9, 0)] {
                var a = [Float](repeating: -1, count: m * max(k, 1))
                var bias = [Float](repeating: -1, count: m)
                if k > 0 { a[m * k - 1] = .nan } else { bias[m - 1] = .nan }   // the last row's sums are NaN
                let b = [Float](repeating: 1, count: max(k, 1) * n)
                var c = [Float](repeating: 0, count: m * n)
                a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in bias.withUnsafeBufferPointer { biasp in
                    c.withUnsafeMutableBufferPointer { cp in
                        FastGEMM.sgemm(m: m, n: n, k: k, a: ap.baseAddress!, lda: max(k, 1), b: bp.baseAddress!, ldb: n,
                                       c: cp.baseAddress!, ldc: n, bias: biasp.baseAddress!,
                                       activation: KernelActivation(activation))
                    }
                } } }
                for i in 0..<m {
                    for j in 0..<n {
                        if i == m - 1 {
                            XCTAssertTrue(c[i * n + j].isNaN, "\(activation) m \(m) n \(n) k \(k): C[\(i)][\(j)] = \(c[i * n + j])")
                        } else {
                            XCTAssertEqual(c[i * n + j], 0, "\(activation) m \(m) n \(n) k \(k): C[\(i)][\(j)]")
                        }
                    }
                }
            }
        }
    }
}
