import Graph
@testable import Methods
import XCTest

/// Target scores and their gradients (the seeds) against hand values and finite differences.
final class TargetTests: XCTestCase {
    let logits = Tensor(unchecked: [2, 4], floats: [1, 3, 2, 0, 5, -1, 4, 2])

    func testClassTargets() throws {
        let top = try Target.top1.resolve(outputs: logits)
        XCTAssertEqual(top.map(\.classIndex), [1, 0])
        let (scores, seed) = try top.seed(for: logits)
        XCTAssertEqual(scores, [3, 5])
        XCTAssertEqual(try seed.floats(), [0, 1, 0, 0, 1, 0, 0, 0])
        let (cs, cseed) = try Target.contrast(2, 3).resolve(outputs: logits).seed(for: logits)
        XCTAssertEqual(cs, [2, 2])
        XCTAssertEqual(try cseed.floats(), [0, 0, 1, -1, 0, 0, 1, -1])
        // Top-1 vs the mean of the 3 others: image 0: 3 − (1+2+0)/3 = 2; image 1: 5 − (−1+4+2)/3.
        let (as_, aseed) = try Target.contrastAll().resolve(outputs: logits).seed(for: logits)
        XCTAssertEqual(as_[0], 2, accuracy: 1e-6)
        XCTAssertEqual(as_[1], 5 - 5.0 / 3, accuracy: 1e-6)
        let third: Float = -1.0 / 3
        let want: [Float] = [third, 1, third, third, 1, third, third, third]
        for (g, w) in zip(try aseed.floats(), want) { XCTAssertEqual(g, w, accuracy: 1e-6) }
        XCTAssertThrowsError(try Target.classIndex(4).resolve(outputs: logits))
        XCTAssertThrowsError(try Target.contrast(1, 1).resolve(outputs: logits))
    }

    func testSimilarityGradientsMatchFiniteDifferences() throws {
        let e: [Float] = [0.3, -1.2, 0.8, 2.0], r: [Float] = [1.0, 0.5, -0.4, 1.5]
        // Hand values: e·r = 0.3 − 0.6 − 0.32 + 3 = 2.38.
        XCTAssertEqual(SimilarityMetric.dot.scoreAndGradient(e, r).0, 2.38, accuracy: 1e-5)
        let ne = (0.09 + 1.44 + 0.64 + 4.0 as Float).squareRoot(), nr = (1 + 0.25 + 0.16 + 2.25 as Float).squareRoot()
        XCTAssertEqual(SimilarityMetric.cosine.scoreAndGradient(e, r).0, 2.38 / (ne * nr), accuracy: 1e-5)
        XCTAssertEqual(SimilarityMetric.euclidean.scoreAndGradient(e, r).0, -(0.49 + 2.89 + 1.44 + 0.25 as Float).squareRoot(), accuracy: 1e-5)
        for metric in SimilarityMetric.allCases {
            let g = metric.scoreAndGradient(e, r).1
            for i in e.indices {
                var p = e, m = e
                p[i] += 1e-2; m[i] -= 1e-2
                let fd = (metric.scoreAndGradient(p, r).0 - metric.scoreAndGradient(m, r).0) / 2e-2
                XCTAssertEqual(g[i], fd, accuracy: 2e-3, "\(metric) d/de[\(i)]")
            }
        }
        XCTAssertThrowsError(try Target.similarity(to: [1, 2, 3]).resolve(outputs: logits))
    }

    func testFunctionTargetAndCustomOutput() throws {
        // Σ of squares of image b's outputs: gradient 2z.
        let f = ScalarFunction(name: "energy") { z, _ in (z.reduce(0) { $0 + $1 * $1 }, z.map { 2 * $0 }) }
        let (s, seed) = try Target.function(f).resolve(outputs: logits).seed(for: logits)
        XCTAssertEqual(s, [14, 46])
        XCTAssertEqual(try seed.floats(), (try logits.floats()).map { 2 * $0 })
        // A target may read an intermediate value: the layer gradient through Gemm then equals W^T e_c.
        let model = try TinyModel.model()
        var t = Target.function(ScalarFunction(name: "flat[1]") { z, _ in
            var g = [Float](repeating: 0, count: z.count); g[1] = 1; return (z[1], g)
        })
        t.output = "flat"
        let cap = try LayerCapture.run(model: model, input: TinyModel.input(), layers: ["relu2"], target: t, gradients: true)
        let g = try XCTUnwrap(cap.gradients["relu2"]).floats()
        // d flat[b,1] / d relu2[b,k,i,j] = (k == 1) / 36.
        for b in 0..<2 { for k in 0..<3 { for p in 0..<36 {
            XCTAssertEqual(g[(b * 3 + k) * 36 + p], k == 1 ? 1.0 / 36 : 0, accuracy: 1e-7)
        } } }
    }
}
