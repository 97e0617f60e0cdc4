import Graph
@testable import Rules
import TestSupport
import XCTest

/// How `fastConv` cuts a convolution across threads (`NNConvKernels.fastTasks`): column blocks
/// start on the output's 64-byte lines (no line written by two threads), 1x1 convolutions whose
/// rows start at different points of a line cut output channels instead, and the result is the
/// same bit for bit on one thread or two, wherever the output buffer starts.
final class ConvTaskSplitTests: XCTestCase {
    typealias K = NNConvKernels

    func problem(channels c: Int, outChannels m: Int, size: Int, kernel: Int) -> K.Problem {
        let pad = kernel / 2
        let geo = NNWindow(input: [size, size], kernel: [kernel, kernel], strides: [1, 1], dilations: [1, 1],
                           padsBegin: [pad, pad], padsEnd: [pad, pad], output: [size, size])
        return K.Problem(batch: 1, inChannels: c, outChannels: m, group: 1, geo: geo)
    }

    func testColumnBlocksStartOnTheOutputLines() {
        let p = problem(channels: 8, outChannels: 48, size: 24, kernel: 1)   // 576 columns
        for phase in 0..<16 {
            let tasks = K.fastTasks(p, threads: 2, linePhase: phase)
            XCTAssertGreaterThan(tasks.count, 1)
            var next = 0
            for t in tasks where !t.cols.isEmpty {
                XCTAssertEqual(t.rows, 0..<48)
                XCTAssertEqual(t.cols.lowerBound, next, "blocks cover the columns in order (phase \(phase))")
                if t.cols.lowerBound > 0 { XCTAssertEqual(t.cols.lowerBound % 16, phase, "phase \(phase)") }
                next = t.cols.upperBound
            }
            XCTAssertEqual(next, 576)
        }
        var floats = [Float](repeating: 0, count: 64)
        floats.withUnsafeMutableBufferPointer { b in
            guard let base = b.baseAddress else { return XCTFail("no buffer") }
            for shift in 0..<16 {
                let p = base + shift
                let phase = K.linePhase(of: p, rowLength: 576)
                XCTAssertEqual(phase.map { (Int(bitPattern: p + $0) & 63) }, 0, "shift \(shift)")
            }
            XCTAssertNil(K.linePhase(of: base, rowLength: 196), "14x14 rows start at different points of a line")
        }
    }

    func testPointwiseRowsOffTheLinesCutOutputChannels() {
        let p = problem(channels: 16, outChannels: 64, size: 30, kernel: 1)   // 900 columns
        let tasks = K.fastTasks(p, threads: 2, linePhase: nil)
        XCTAssertEqual(tasks.map(\.cols), [0..<900, 0..<900])
        XCTAssertEqual(tasks.map(\.rows), [0..<32, 32..<64])
        // A 3x3 convolution keeps column blocks (each thread builds only its own im2col columns).
        let tasks3 = K.fastTasks(problem(channels: 16, outChannels: 64, size: 30, kernel: 3), threads: 2, linePhase: nil)
        XCTAssertTrue(tasks3.allSatisfy { $0.rows == 0..<64 })
        XCTAssertGreaterThan(tasks3.count, 1)
    }

    func testSameBitsOnOneThreadOrTwoAtEveryOutputOffset() throws {
        guard FastGEMM.available else { throw XCTSkip("this CPU has no AVX-512; fastConv never runs") }
        var rng = TestRNG(seed: 17)
        for (c, m, size, kernel) in [(8, 48, 24, 1), (16, 40, 30, 1), (6, 24, 16, 3), (5, 33, 14, 3)] {
            let p = problem(channels: c, outChannels: m, size: size, kernel: kernel)
            let x = (0..<(c * size * size)).map { _ in rng.symmetric() }
            let w = (0..<(m * p.depth)).map { _ in rng.symmetric() }
            let bias = (0..<m).map { _ in rng.symmetric() }
            let count = m * p.outPlane
            func run(threads: Int, offset: Int) -> [Float] {
                var out = [Float](repeating: .nan, count: count + 16)
                x.withUnsafeBufferPointer { xb in w.withUnsafeBufferPointer { wb in bias.withUnsafeBufferPointer { bb in
                    out.withUnsafeMutableBufferPointer { ob in
                        guard let xp = xb.baseAddress, let wp = wb.baseAddress, let op = ob.baseAddress else { return }
                        K.fastConv(p, x: xp, w: wp, bias: bb.baseAddress, out: op + offset, threads: threads,
                                   activation: .init(.clip(lo: 0, hi: 6)))
                    }
                } } }
                return Array(out[offset..<(offset + count)])
            }
            let want = run(threads: 1, offset: 0)
            XCTAssertFalse(want.contains { $0.isNaN }, "every output written")
            for offset in [0, 1, 4, 7, 12, 15] {
                XCTAssertEqual(run(threads: 2, offset: offset), want, "\(c)->\(m) at \(size)x\(size), k\(kernel), offset \(offset)")
            }
        }
    }
}
