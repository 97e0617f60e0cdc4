import Graph
import Methods
import TestSupport
import XCTest

/// Gradient methods on a linear model (hand-derived attributions), IG's quadrature rules and
/// completeness, batch-size invariance and errors.
final class AttributionGradientTests: XCTestCase {
    let d = 16, k = 3
    let classes = [2, 0]

    func expectedLinear(_ x: Tensor, _ f: (Float, Float) -> Float) -> [Float] {
        let w = ToyModels.weights(d, k).floatValues(), xv = x.floatValues()
        return (0..<xv.count).map { j in
            let b = j / d, i = j % d
            return f(xv[j], w[i * k + classes[b]])
        }
    }

    func testSaliencyAndInputXGradientOnLinearModel() throws {
        let model = try ToyModels.linear(d: d, k: k)
        let x = ToyModels.input([2, 1, 4, 4])
        let obj = TargetRows.classes(classes)
        let sal = try Saliency().attribute(x, model: model, objective: obj)
        XCTAssertEqual(sal.shape, x.shape)
        XCTAssertEqual(sal.floatValues(), expectedLinear(x) { _, w in abs(w) })
        XCTAssertEqual(try Saliency(absolute: false).attribute(x, model: model, objective: obj).floatValues(),
                       expectedLinear(x) { _, w in w })
        let ixg = try InputXGradient().attribute(x, model: model, objective: obj).floatValues()
        for (a, e) in zip(ixg, expectedLinear(x) { v, w in v * w }) { XCTAssertEqual(a, e, accuracy: 1e-6) }
    }

    /// For a linear score IG = (x − x') ⊙ w · Σ weights: 1 for Gauss–Legendre, 1 − 1/n for Captum's trapezoid.
    func testIntegratedGradientsOnLinearModel() throws {
        let model = try ToyModels.linear(d: d, k: k)
        let x = ToyModels.input([2, 1, 4, 4])
        let obj = TargetRows.classes(classes)
        let gl = try IntegratedGradients(steps: 7, rule: .gaussLegendre).attribute(x, model: model, objective: obj).floatValues()
        for (a, e) in zip(gl, expectedLinear(x) { v, w in v * w }) { XCTAssertEqual(a, e, accuracy: 1e-5) }
        let tr = try IntegratedGradients(steps: 4, rule: .riemannTrapezoid).attribute(x, model: model, objective: obj).floatValues()
        for (a, e) in zip(tr, expectedLinear(x) { v, w in 0.75 * v * w }) { XCTAssertEqual(a, e, accuracy: 1e-5) }
        // A baseline: (x − 1) ⊙ w.
        let base = try IntegratedGradients(steps: 3, baseline: .constant(1)).attribute(x, model: model, objective: obj).floatValues()
        for (a, e) in zip(base, expectedLinear(x) { v, w in (v - 1) * w }) { XCTAssertEqual(a, e, accuracy: 1e-5) }
    }

    /// Completeness on a smooth model: Σ IG = score(x) − score(0) (to quadrature accuracy).
    func testIntegratedGradientsCompleteness() throws {
        let model = try ToyModels.smooth(d: d, hidden: 5, k: k)
        let x = ToyModels.input([2, 1, 4, 4], phase: 0.4)
        let obj = TargetRows.classes(classes)
        let ig = try IntegratedGradients().attribute(x, model: model, objective: obj).floatValues()
        let fx = try model.scores(x, images: [0, 1], objective: obj)
        let f0 = try model.scores(Tensor.zeros(x.shape), images: [0, 1], objective: obj)
        for b in 0..<2 {
            let total = ig[b * d..<(b + 1) * d].reduce(0, +)
            XCTAssertEqual(total, fx[b] - f0[b], accuracy: 1e-4 * max(1, abs(fx[b] - f0[b])), "image \(b)")
            XCTAssertGreaterThan(abs(fx[b] - f0[b]), 0.05, "the check must not be trivially 0 = 0")
        }
    }

    func testIntegratedGradientsDoesNotDependOnBatchSizeAndReportsProgress() throws {
        var model = try ToyModels.smooth(d: d, hidden: 5, k: k)
        let x = ToyModels.input([2, 1, 4, 4], phase: 1)
        let obj = TargetRows.classes(classes)
        model.batchSize = 100
        let a = try IntegratedGradients(steps: 10).attribute(x, model: model, objective: obj)
        let log = ProgressLog()
        model.batchSize = 3
        model.progress = log.callback
        let b = try IntegratedGradients(steps: 10).attribute(x, model: model, objective: obj)
        assertClose(b, a, rtol: 1e-6, atol: 1e-7)
        XCTAssertEqual(log.reports.map(\.0), [3, 6, 9, 12, 15, 18, 20])
        XCTAssertTrue(log.reports.allSatisfy { $0.1 == 20 })
    }

    func testQuadratureRulesMatchCaptum() throws {
        // numpy.polynomial.legendre.leggauss(5), mapped to [0, 1] as Captum does.
        let (a, w) = try IntegrationRule.gaussLegendre.points(5)
        let wantA = [0.04691007703066802, 0.23076534494715845, 0.5, 0.7692346550528415, 0.9530899229693319]
        let wantW = [0.11846344252809464, 0.23931433524968315, 0.28444444444444433, 0.23931433524968315, 0.11846344252809464]
        for i in 0..<5 { XCTAssertEqual(a[i], wantA[i], accuracy: 1e-14); XCTAssertEqual(w[i], wantW[i], accuracy: 1e-14) }
        // n points integrate polynomials of degree 2n − 1 exactly: ∫₀¹ α⁹ dα = 0.1.
        let (a50, w50) = try IntegrationRule.gaussLegendre.points(50)
        XCTAssertEqual(zip(a50, w50).reduce(0) { $0 + $1.1 * pow($1.0, 99) }, 0.01, accuracy: 1e-13)
        XCTAssertEqual(zip(a, w).reduce(0) { $0 + $1.1 * pow($1.0, 9) }, 0.1, accuracy: 1e-14)
        let tr = try IntegrationRule.riemannTrapezoid.points(5)
        XCTAssertEqual(tr.alphas, [0, 0.25, 0.5, 0.75, 1]); XCTAssertEqual(tr.weights, [0.1, 0.2, 0.2, 0.2, 0.1])
        XCTAssertEqual(try IntegrationRule.riemannLeft.points(4).alphas, [0, 0.25, 0.5, 0.75])
        XCTAssertEqual(try IntegrationRule.riemannRight.points(4).alphas, [0.25, 0.5, 0.75, 1])
        XCTAssertEqual(try IntegrationRule.riemannMiddle.points(4).alphas, [0.125, 0.375, 0.625, 0.875])
        XCTAssertEqual(try IntegrationRule.riemannMiddle.points(4).weights, [0.25, 0.25, 0.25, 0.25])
    }

    func testSoftmaxObjectiveGradientMatchesFiniteDifferences() throws {
        let model = try ToyModels.smooth(d: d, hidden: 5, k: k)
        let x = ToyModels.input([1, 1, 4, 4], phase: 2)
        let obj = TargetRows.classes([1]).probabilities()
        let g = try model.gradient(x, images: [0], objective: obj).gradient.floatValues()
        let xv = x.floatValues(), h: Float = 1e-2
        for i in 0..<d {
            var p = xv, m = xv
            p[i] += h; m[i] -= h
            let fp = try model.scores(Tensor(unchecked: x.shape, floats: p), images: [0], objective: obj)[0]
            let fm = try model.scores(Tensor(unchecked: x.shape, floats: m), images: [0], objective: obj)[0]
            XCTAssertEqual(g[i], (fp - fm) / (2 * h), accuracy: 2e-4, "element \(i)")
        }
        XCTAssertTrue(g.contains { abs($0) > 1e-3 })
    }

    func testErrorsNameTheMethodAndProblem() throws {
        let model = try ToyModels.linear(d: d, k: k)
        let x = ToyModels.input([2, 1, 4, 4])
        let obj = TargetRows.classes(classes)
        func expect(_ method: String, _ fragment: String, _ body: () throws -> Tensor) {
            XCTAssertThrowsError(try body()) { e in
                guard let a = e as? ExplainError else { return XCTFail("\(e) is not an ExplainError") }
                XCTAssertTrue(a.message.hasPrefix(method + ":") || a.message.contains("\(method) "), "\(a)")
                XCTAssertTrue(a.message.contains(fragment), "\(a)")
            }
        }
        expect("ig", "more than one step") { try IntegratedGradients(steps: 1, rule: .riemannTrapezoid).attribute(x, model: model, objective: obj) }
        expect("ig", "at least 1") { try IntegratedGradients(steps: 0).attribute(x, model: model, objective: obj) }
        expect("ig", "baseline has shape") {
            try IntegratedGradients(baseline: .tensor(Tensor.zeros([3, 1, 4, 4]))).attribute(x, model: model, objective: obj)
        }
        expect("saliency", "image indices") { try Saliency().attribute(x, images: [0], model: model, objective: obj) }
        expect("target", "out of range") { try Saliency().attribute(x, model: model, objective: TargetRows.classes([0, 7])) }
        expect("saliency", "1 image indices") { try Saliency().attribute(x, model: model, objective: TargetRows.classes([0])) }
        expect("saliency", "float32") { try Saliency().attribute(x.cast(to: .int64), model: model, objective: obj) }
    }
}
