import Foundation
import Graph
import Rules
import XCTest

/// Timing of the Conv input gradient on resnet50-sized layers against the forward pass. Opt-in
/// (set CFCAM_BENCH=1, use a release build: `swift test -c release --filter NNGradTimingTests`);
/// fails when dX costs more than 3x the forward convolution.
final class NNGradTimingTests: XCTestCase {
    private func seconds(_ body: () throws -> Void) rethrows -> Double {
        var best = Double.infinity
        for _ in 0..<5 {
            let t0 = Date()
            try body()
            best = min(best, Date().timeIntervalSince(t0))
        }
        return best
    }

    func testConvInputGradientCostsLikeForward() throws {
        guard ProcessInfo.processInfo.environment["CFCAM_BENCH"] != nil else { throw XCTSkip("set CFCAM_BENCH=1 to time") }
        let threads = Executor.defaultThreads
        var rng = NNGradRandom(5)
        let layers: [(String, [Int], [Int], [String: Attribute])] = [
            ("256->64 1x1 56x56", [1, 256, 56, 56], [64, 256, 1, 1], [:]),
            ("64->64 3x3 56x56", [1, 64, 56, 56], [64, 64, 3, 3], ["pads": .ints([1, 1, 1, 1])]),
            ("128->128 3x3 s2 56x56", [1, 128, 56, 56], [128, 128, 3, 3], ["pads": .ints([1, 1, 1, 1]), "strides": .ints([2, 2])]),
            ("512->2048 1x1 7x7", [1, 512, 7, 7], [2048, 512, 1, 1], [:]),
            ("64->64 3x3 56x56 batch 8", [8, 64, 56, 56], [64, 64, 3, 3], ["pads": .ints([1, 1, 1, 1])]),
        ]
        for (name, xs, ws, attrs) in layers {
            let inputs: [Tensor?] = [rng.tensor(xs), rng.tensor(ws), rng.tensor([ws[0]])]
            let c = NNGradCheck("Conv", inputs, attrs, threads: threads)
            let y = try c.forward(inputs)
            let seed = rng.tensor(y.shape)
            let f = try seconds { _ = try c.forward(inputs) }
            let def = try c.definition()
            let vjp = try XCTUnwrap(def.vjp)
            func backward(_ needs: [Bool]) throws -> Double {
                let ctx = BackwardContext(node: c.node, inputs: inputs, outputs: [y], outputGrads: [seed], needs: needs, threads: threads)
                return try seconds { _ = try vjp(ctx) }
            }
            let dx = try backward([true, false, false])
            let all = try backward([true, true, true])
            print(String(format: "NNGradTiming %@ threads %d: forward %.2f ms, dX %.2f ms (%.2fx), dX+dW+dB %.2f ms",
                         name, threads, f * 1e3, dx * 1e3, dx / f, all * 1e3))
            XCTAssertLessThan(dx, 3 * f + 0.002, name)
        }
    }
}
