@testable import Methods
import Graph
import TestSupport
import XCTest

/// Occlusion on a linear model (hand-derived), RISE's masks and its constant-model property
/// (docs/methods.md, "rise"), SmoothGrad's own sampling, and the map reductions.
final class AttributionPerturbationTests: XCTestCase {
    /// Linear score: occluding a window changes the score by Σ_window w·x; with windows that do not
    /// overlap, every element's attribution is its window's sum.
    func testOcclusionOnLinearModelNonOverlapping() throws {
        let d = 16, k = 2
        let model = try ToyModels.linear(d: d, k: k)
        let x = ToyModels.input([1, 1, 4, 4])
        let a = try Occlusion(window: [2, 2], strides: [2, 2]).attribute(x, model: model, objective: TargetRows.classes([1]))
        let w = ToyModels.weights(d, k).floatValues(), xv = x.floatValues()
        for y in 0..<4 { for i in 0..<4 {
            var sum: Float = 0
            for yy in (y / 2 * 2)..<(y / 2 * 2 + 2) { for ii in (i / 2 * 2)..<(i / 2 * 2 + 2) { sum += w[(yy * 4 + ii) * k + 1] * xv[yy * 4 + ii] } }
            XCTAssertEqual(a.floatValues()[y * 4 + i], sum, accuracy: 1e-5, "(\(y), \(i))")
        } }
    }

    /// Overlapping windows clipped at the border (width 6, window 3, stride 2: Captum's
    /// ceil((6 − 3)/2) + 1 = 3 positions 0, 2, 4, the last clipped to 2 columns) on one row:
    /// each element averages the sums of the windows covering it.
    func testOcclusionOverlapAndBorderClipping() throws {
        let model = try ToyModels.linear(d: 6, k: 1)
        let x = Tensor(unchecked: [1, 1, 1, 6], floats: [1, 2, 3, 4, 5, 6])
        let a = try Occlusion(window: [1, 3], strides: [1, 2]).attribute(x, model: model, objective: TargetRows.classes([0])).floatValues()
        let w = ToyModels.weights(6, 1).floatValues()
        let c = (0..<6).map { w[$0] * Float($0 + 1) }
        let s0 = c[0] + c[1] + c[2], s1 = c[2] + c[3] + c[4], s2 = c[4] + c[5]
        let want = [s0, s0, (s0 + s1) / 2, s1, (s1 + s2) / 2, s2]
        for i in 0..<6 { XCTAssertEqual(a[i], want[i], accuracy: 1e-5, "element \(i)") }
    }

    func testOcclusionProgressAndErrors() throws {
        var model = try ToyModels.linear(d: 16, k: 2)
        let log = ProgressLog()
        model.progress = log.callback
        model.batchSize = 5
        let x = ToyModels.input([2, 1, 4, 4])
        _ = try Occlusion(window: [2, 2], strides: [1, 1]).attribute(x, model: model, objective: TargetRows.classes([0, 1]))
        // 2 clean rows, then 9 positions x 2 images in chunks of 5.
        XCTAssertEqual(log.reports.map(\.0), [2, 7, 12, 17, 20])
        XCTAssertTrue(log.reports.allSatisfy { $0.1 == 20 })
        let obj = TargetRows.classes([0, 1])
        XCTAssertThrowsError(try Occlusion(window: [5, 2], strides: [1, 1]).attribute(x, model: model, objective: obj)) {
            XCTAssertTrue("\($0)".contains("does not fit"), "\($0)")
        }
        XCTAssertThrowsError(try Occlusion(window: [2, 2], strides: [3, 3]).attribute(x, model: model, objective: obj)) {
            XCTAssertTrue("\($0)".contains("larger than the window"), "\($0)")
        }
        XCTAssertThrowsError(try Occlusion().attribute(Tensor.zeros([2, 16]), model: model, objective: obj)) {
            XCTAssertTrue("\($0)".contains("[N, C, H, W]"), "\($0)")
        }
    }

    /// skimage resize(order=1, mode='reflect') of [0, 1] to 4 samples: source coordinates −0.25,
    /// 0.25, 0.75, 1.25, mirrored about the edge pixels: 0.25, 0.25, 0.75, 0.75.
    func testRISEUpsamplingTaps() {
        let taps = RISEMasks.taps(input: 2, output: 4)
        let grid: [Float] = [0, 1]
        let values = taps.map { grid[$0.0] * (1 - $0.2) + grid[$0.1] * $0.2 }
        XCTAssertEqual(values, [0.25, 0.25, 0.75, 0.75])
    }

    func testRISEMasksHaveMeanP1AndAreSeeded() throws {
        for p1 in [0.1, 0.5] {
            let masks = try RISEMasks(count: 2000, cells: 7, p1: p1, height: 20, width: 24, seed: 5)
            var sum = 0.0, lo: Float = 1, hi: Float = 0
            for i in 0..<masks.count {
                let m = masks.mask(i)
                sum += m.reduce(0.0) { $0 + Double($1) }
                lo = min(lo, m.min() ?? 0); hi = max(hi, m.max() ?? 0)
            }
            XCTAssertEqual(sum / Double(2000 * 20 * 24), p1, accuracy: 0.01, "E[mask] for p1 = \(p1)")
            XCTAssertGreaterThanOrEqual(lo, 0); XCTAssertLessThanOrEqual(hi, 1)
        }
        let a = try RISEMasks(count: 3, cells: 4, p1: 0.5, height: 8, width: 8, seed: 1)
        let b = try RISEMasks(count: 3, cells: 4, p1: 0.5, height: 8, width: 8, seed: 1)
        let c = try RISEMasks(count: 3, cells: 4, p1: 0.5, height: 8, width: 8, seed: 2)
        XCTAssertEqual(a.mask(2), b.mask(2))
        XCTAssertNotEqual((0..<3).map { a.mask($0) }, (0..<3).map { c.mask($0) })
        XCTAssertEqual(try RISEMasks(count: 2, cells: 3, p1: 1, height: 5, width: 7, seed: 0).mask(1), [Float](repeating: 1, count: 35))
    }

    /// A model whose output ignores its input: S = p_c Σ_i M_i / (N p1) exactly, which is ≈ p_c
    /// everywhere (docs/methods.md, "rise").
    func testRISEOfInputIgnoringModelIsConstant() throws {
        let logits: [Float] = [0.5, 2, -1]
        var model = try ToyModels.constant(d: 3 * 16 * 16, logits: logits)
        let log = ProgressLog()
        model.progress = log.callback
        let x = ToyModels.input([2, 3, 16, 16])
        let rise = RISE(masks: 1500, cells: 4, p1: 0.5, seed: 9)
        let s = try rise.attribute(x, model: model, objective: TargetRows.classes([1, 1]))
        XCTAssertEqual(s.shape, [2, 1, 16, 16])
        let e = logits.map { exp(Double($0)) }, p = e[1] / e.reduce(0, +)
        let masks = try RISEMasks(count: 1500, cells: 4, p1: 0.5, height: 16, width: 16, seed: 9)
        var msum = [Double](repeating: 0, count: 256)
        for i in 0..<1500 { for (j, v) in masks.mask(i).enumerated() { msum[j] += Double(v) } }
        let sv = s.floatValues()
        for b in 0..<2 { for j in 0..<256 {
            XCTAssertEqual(Double(sv[b * 256 + j]), p * msum[j] / (1500 * 0.5), accuracy: 1e-5)
            XCTAssertEqual(Double(sv[b * 256 + j]) / p, 1, accuracy: 0.1)
        } }
        let mean = sv.reduce(0.0) { $0 + Double($1) } / Double(sv.count)
        XCTAssertEqual(mean / p, 1, accuracy: 0.02)
        XCTAssertEqual(log.reports.last?.0, 3000); XCTAssertEqual(log.reports.last?.1, 3000)
        // With raw logits instead of probabilities the constant is the logit.
        let raw = try RISE(masks: 200, cells: 4, p1: 0.5, seed: 9, probability: false)
            .attribute(x, model: model, objective: TargetRows.classes([0, 2])).floatValues()
        let rmean0 = raw[0..<256].reduce(0, +) / 256, rmean1 = raw[256...].reduce(0, +) / 256
        XCTAssertEqual(rmean0, 0.5, accuracy: 0.05); XCTAssertEqual(rmean1, -1, accuracy: 0.1)
        XCTAssertThrowsError(try RISE(masks: 10, p1: 0).attribute(x, model: model, objective: TargetRows.classes([1, 1])))
    }

    /// The wrapper's own noise: identity attributions average x + ε, so E ≈ x, E[a²] − E[a]² ≈ σ².
    func testSmoothGradSamplingStatistics() throws {
        let x = Tensor(unchecked: [2, 1, 20, 20], floats: (0..<800).map { Float($0 % 7) - 3 })
        var seenImages: [[Int]] = []
        let mean = try SmoothGrad.run(x, images: [0, 1], samples: 400, noise: .absolute(0.5), seed: 3, samplesPerCall: 16) { xs, imgs in
            seenImages.append(imgs); return xs
        }
        XCTAssertEqual(seenImages.first, Array(repeating: 0, count: 16) + Array(repeating: 1, count: 16))
        XCTAssertEqual(seenImages.count, 25)
        let xv = x.floatValues(), mv = mean.floatValues()
        let bias = zip(mv, xv).reduce(0.0) { $0 + Double($1.0 - $1.1) } / 800
        XCTAssertEqual(bias, 0, accuracy: 0.005)
        for i in 0..<800 { XCTAssertEqual(mv[i], xv[i], accuracy: 0.15) }   // 6 σ/√400
        let vg = try SmoothGrad.run(x, images: [0, 1], samples: 400, noise: .absolute(0.5), kind: .vargrad, seed: 3) { xs, _ in xs }
        XCTAssertEqual(vg.floatValues().reduce(0.0) { $0 + Double($1) } / 800, 0.25, accuracy: 0.01)
        let sq = try SmoothGrad.run(x, images: [0, 1], samples: 400, noise: .absolute(0.5), kind: .squared, seed: 3) { xs, _ in xs }
        let wantSq = xv.reduce(0.0) { $0 + Double($1 * $1) } / 800 + 0.25
        XCTAssertEqual(sq.floatValues().reduce(0.0) { $0 + Double($1) } / 800, wantSq, accuracy: 0.02)
        // Relative noise: σ = level · (max − min) = 0.1 · 6.
        let rel = try SmoothGrad.run(x, images: [0, 1], samples: 400, noise: .relative(0.1), kind: .vargrad, seed: 4) { xs, _ in xs }
        XCTAssertEqual(rel.floatValues().reduce(0.0) { $0 + Double($1) } / 800, 0.36, accuracy: 0.015)
        // The same seed gives the same noise however samples are grouped; another seed does not.
        let one = try SmoothGrad.run(x, images: [0, 1], samples: 6, noise: .absolute(1), seed: 8, samplesPerCall: 1) { xs, _ in xs }
        let four = try SmoothGrad.run(x, images: [0, 1], samples: 6, noise: .absolute(1), seed: 8, samplesPerCall: 4) { xs, _ in xs }
        let other = try SmoothGrad.run(x, images: [0, 1], samples: 6, noise: .absolute(1), seed: 9, samplesPerCall: 4) { xs, _ in xs }
        assertClose(four, one, rtol: 1e-6, atol: 1e-6)
        XCTAssertNotEqual(other.floatValues(), one.floatValues())
        // Wrapped output of another shape (a CAM-like map per row).
        let maps = try SmoothGrad.run(x, images: [0, 1], samples: 3, noise: .absolute(0), seed: 1) { xs, _ in
            try xs.reshaped([xs.shape[0], 20, 20])
        }
        XCTAssertEqual(maps.shape, [2, 20, 20]); XCTAssertEqual(maps.floatValues(), xv)
        XCTAssertThrowsError(try SmoothGrad.run(x, images: [0, 1], samples: 2, noise: .given(Tensor.zeros([3, 1, 20, 20]))) { xs, _ in xs })
    }

    func testMappings() throws {
        // Channels (−2, 1) and (1, 1) at two pixels, plus zeros.
        let a = Tensor(unchecked: [1, 2, 1, 3], floats: [-2, 1, 0, 1, 1, 0])
        XCTAssertEqual(try AttributionMapping(channels: .absoluteSum, scaling: .minmax).apply(a).floatValues().map { ($0 * 1e4).rounded() / 1e4 },
                       [0.5, 1, 0])
        XCTAssertEqual(try AttributionMapping(channels: .maxAbsolute, scaling: .minmax).apply(a).floatValues().map { ($0 * 1e4).rounded() / 1e4 },
                       [1, 0.5, 0])
        XCTAssertEqual(try AttributionMapping(channels: .sum, scaling: .minmax).apply(a).floatValues().map { ($0 * 1e4).rounded() / 1e4 },
                       [0, 1, 0.3333])
        // Captum's 2 % outliers: values 1, 1, 1, 97: the running sum reaches 98 % of 100 at 97.
        let b = Tensor(unchecked: [1, 1, 2, 2], floats: [1, -1, 1, 97])
        XCTAssertEqual(try AttributionMapping.captum.apply(b).floatValues(), [1 / 97, 1 / 97, 1 / 97, 1])
        // 100 values 1..100: total 5050, 98 % = 4949 is first reached at 99 (sum 4950): 100 clips to 1.
        let c = Tensor(unchecked: [1, 1, 10, 10], floats: (1...100).map { Float($0) })
        let mc = try AttributionMapping.captum.apply(c).floatValues()
        XCTAssertEqual(mc[98], 1); XCTAssertEqual(mc[99], 1); XCTAssertEqual(mc[0], 1 / 99, accuracy: 1e-7)
        // A constant map becomes zeros (no division by zero).
        XCTAssertEqual(try AttributionMapping.minmax.apply(Tensor(unchecked: [1, 1, 2, 2], floats: [3, 3, 3, 3])).floatValues(), [0, 0, 0, 0])
        XCTAssertEqual(try AttributionMapping.captum.apply(Tensor.zeros([1, 3, 2, 2])).floatValues(), [0, 0, 0, 0])
        XCTAssertThrowsError(try AttributionMapping.captum.apply(Tensor.zeros([4])))
    }
}
