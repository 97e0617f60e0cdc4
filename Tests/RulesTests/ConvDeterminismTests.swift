import Graph
@testable import Rules
import TestSupport
import XCTest

/// A convolution's result depends on its shapes and thread count only, never on where its
/// buffers happen to sit in memory: the fast path's work split (`NNConvKernels.fastTasks`) is a
/// function of the shapes, so the same photo through the same model gives the same bits on every
/// run (the CLI's `--dump-input` round trip relies on it). The GEMM's depth slices depend on a
/// block's width (whole depth up to 256 columns, 128-deep slices past that, each slice adding
/// into the last), so blocks cut where the output's cache lines fall (tried and dropped) changed
/// the low bits from run to run: 200 -> 16 channels on 32x32 is such a shape.
final class ConvDeterminismTests: XCTestCase {
    typealias K = NNConvKernels

    func problem(channels c: Int, outChannels m: Int, size: Int, kernel: Int) -> K.Problem {
        let pad = kernel / 2
        let geo = NNWindow(input: [size, size], kernel: [kernel, kernel], strides: [1, 1], dilations: [1, 1],
                           padsBegin: [pad, pad], padsEnd: [pad, pad], output: [size, size])
        return K.Problem(batch: 1, inChannels: c, outChannels: m, group: 1, geo: geo)
    }

    func testSameBitsWhereverTheBuffersSit() throws {
        guard FastGEMM.available else { throw XCTSkip("this CPU has no AVX-512; fastConv never runs") }
        var rng = TestRNG(seed: 17)
        for (c, m, size, kernel) in [(8, 48, 24, 1), (200, 16, 32, 1), (16, 40, 30, 1), (6, 24, 16, 3), (64, 64, 10, 3), (5, 33, 14, 3)] {
            let p = problem(channels: c, outChannels: m, size: size, kernel: kernel)
            let x = (0..<(c * size * size)).map { _ in rng.symmetric() }
            let w = (0..<(m * p.depth)).map { _ in rng.symmetric() }
            let bias = (0..<m).map { _ in rng.symmetric() }
            let count = m * p.outPlane
            func run(threads: Int, offset: Int) -> [Float] {
                // Input and output both shifted by `offset` floats from wherever the arrays start.
                let xs = [Float](repeating: 0, count: offset) + x
                var out = [Float](repeating: .nan, count: count + 16)
                xs.withUnsafeBufferPointer { xb in w.withUnsafeBufferPointer { wb in bias.withUnsafeBufferPointer { bb in
                    out.withUnsafeMutableBufferPointer { ob in
                        guard let xp = xb.baseAddress, let wp = wb.baseAddress, let op = ob.baseAddress else { return }
                        K.fastConv(p, x: xp + offset, w: wp, bias: bb.baseAddress, out: op + offset, threads: threads,
                                   activation: .init(.clip(lo: 0, hi: 6)))
                    }
                } } }
                return Array(out[offset..<(offset + count)])
            }
            for threads in [1, 2] {
                let want = run(threads: threads, offset: 0)
                XCTAssertFalse(want.contains { $0.isNaN }, "every output written")
                for offset in [1, 4, 7, 12, 15] {
                    XCTAssertEqual(run(threads: threads, offset: offset), want,
                                   "\(c)->\(m) at \(size)x\(size), k\(kernel), \(threads) threads, offset \(offset)")
                }
            }
        }
    }
}
