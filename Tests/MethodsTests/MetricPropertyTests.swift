import Foundation
import Graph
@testable import Methods
import TestSupport
import XCTest

/// The spec's worked examples and the metrics' defining properties, on hand-made maps and boxes.
final class MetricPropertyTests: XCTestCase {
    /// A target whose score is the first output value (no model needed for box metrics).
    let target = ResolvedTarget(label: "class 0", classIndex: 0) { r in (r[0], [1] + [Float](repeating: 0, count: r.count - 1)) }

    func sample(_ map: [Float], h: Int, w: Int, boxes: [MetricBox], predicted: Int? = 0) throws -> MetricSample {
        try MetricSample(input: Tensor.zeros([1, 1, h, w]), map: Tensor(unchecked: [h, w], floats: map), target: target,
                         predictedClass: predicted, boxes: boxes)
    }

    func value(_ m: any ExplanationMetric, _ s: MetricSample) throws -> Double? {
        // Box metrics run no forward; the scorer (on the committed tiny model) is never used.
        try m.evaluate(s, scorer: try MetricScorer(model: try model(), sample: s))
    }

    private var cached: ExplainModel?
    func model() throws -> ExplainModel {
        if let m = cached { return m }
        let m = try MetricReferenceTests.Fixture().model
        cached = m
        return m
    }

    /// A model evaluated in fixed chunks (a fixed-batch graph that cannot be relaxed) gives the same
    /// values: perturbed batches of 5 go through it 2 rows at a time, the last chunk padded.
    func testFixedBatchModelsGiveTheSameValues() throws {
        let fx = try MetricReferenceTests.Fixture()
        let m = fx.model
        let chunked = try ExplainModel(prepared: m.graph, registry: m.registry, threads: 2, input: m.inputName, native: m.nativeInputName,
                                       layout: m.layout, output: m.output, batch: .chunks(of: 2))
        let entries = try MetricRegistry.builtin.select("average-drop,deletion,road-morf")
        let params = ["deletion": MethodParameters(["step": "100"]), "road-morf": MethodParameters(["percentiles": "30,70", "noise": "0"])]
        let sample = try fx.sample("smooth", 1)
        let a = try MetricEvaluator(model: m, metrics: try MetricEvaluator.configure(entries, params: params), batchSize: 5).evaluate(sample)
        let b = try MetricEvaluator(model: chunked, metrics: try MetricEvaluator.configure(entries, params: params), batchSize: 5).evaluate(sample)
        for (x, y) in zip(a.values, b.values) { XCTAssertEqual(try XCTUnwrap(x.value), try XCTUnwrap(y.value), accuracy: 1e-6, x.name) }
    }

    func testAUCWorkedExamples() {
        XCTAssertEqual(CausalMetric.auc([1, 0.5, 0]), 0.5, accuracy: 1e-12)
        XCTAssertEqual(CausalMetric.auc([0.2, 0.9, 0.8, 1.0]), 0.766667, accuracy: 1e-6)
        XCTAssertEqual(CausalMetric.auc([Float](repeating: 0.3, count: 17)), 0.3, accuracy: 1e-7, "a constant curve's AUC is the constant")
    }

    func testCurveLengthAndOrder() throws {
        let m = try CausalMetric(.deletion, step: 224)
        XCTAssertEqual(m.forwards(height: 224, width: 224), 225)
        XCTAssertEqual(try CausalMetric(.insertion, step: 100).forwards(height: 32, width: 32), 12)
        XCTAssertEqual(CausalMetric.order([0.5, 0.9, 0.5, 1]), [3, 1, 0, 2], "decreasing, ties by flat index")
    }

    func testRISEBlurTapsArePublishedOnes() {
        let published = [0.087958, 0.088896, 0.090474, 0.092191, 0.093489, 0.093982, 0.093489, 0.092191, 0.090474, 0.088896, 0.087958]
        for (a, b) in zip(RISEBlur.taps, published) { XCTAssertEqual(a, b, accuracy: 5e-7) }
        XCTAssertEqual(RISEBlur.taps.reduce(0, +), 1, accuracy: 1e-12)
    }

    /// A point exactly 15 px from the box is a miss; one 14.87 px away (10, 11) is a hit.
    func testPointingGameToleranceIsStrict() throws {
        let h = 40, w = 40
        let box = MetricBox(label: 0, x0: 20, y0: 20, x1: 25, y1: 25)
        func at(_ x: Int, _ y: Int) -> [Float] { var m = [Float](repeating: 0, count: h * w); m[y * w + x] = 1; return m }
        XCTAssertEqual(try value(PointingGame(), try sample(at(5, 22), h: h, w: w, boxes: [box])), 0, "15 px: miss")
        XCTAssertEqual(try value(PointingGame(), try sample(at(6, 22), h: h, w: w, boxes: [box])), 1, "14 px: hit")
        XCTAssertEqual(try value(PointingGame(), try sample(at(10, 9), h: h, w: w, boxes: [box])), 1, "sqrt(10² + 11²) = 14.87: hit")
        XCTAssertEqual(try value(PointingGame(), try sample(at(22, 22), h: h, w: w, boxes: [MetricBox(label: 3, x0: 20, y0: 20, x1: 25, y1: 25)])),
                       nil, "no box of the explained class: not applicable")
        // A box of another class at the peak does not count (class discrimination).
        let other = MetricBox(label: 3, x0: 0, y0: 0, x1: 10, y1: 10)
        XCTAssertEqual(try value(PointingGame(), try sample(at(2, 2), h: h, w: w, boxes: [other, box])), 0)
    }

    func testEnergyPointingGame() throws {
        var m = [Float](repeating: 0, count: 100)
        for i in 0..<10 { m[i] = 1 }   // row 0 all 1
        m[55] = 1                      // one more outside
        let s = try sample(m, h: 10, w: 10, boxes: [MetricBox(label: 0, x0: 0, y0: 0, x1: 10, y1: 1)])
        XCTAssertEqual(try XCTUnwrap(try value(EnergyPointingGame(), s)), 10.0 / 11.0, accuracy: 1e-6)
    }

    func testLargestEightConnectedComponentAndIoU() throws {
        // Two diagonal pixels are one 8-connected component; a 2x2 block elsewhere is smaller than the 5-pixel diagonal.
        var mask = [Bool](repeating: false, count: 100)
        for i in 0..<5 { mask[i * 10 + i] = true }
        for (y, x) in [(7, 0), (7, 1), (8, 0), (8, 1)] { mask[y * 10 + x] = true }
        let b = try XCTUnwrap(LocalizationError.largestComponentBox(mask, width: 10, height: 10))
        XCTAssertEqual([b.x0, b.y0, b.x1, b.y1], [0, 0, 5, 5])
        XCTAssertEqual(LocalizationError.iou((0, 0, 4, 4), (2, 0, 6, 4)), 8.0 / 24.0, accuracy: 1e-12)
    }

    func testLocalizationErrorModes() throws {
        var m = [Float](repeating: 0, count: 400)
        for y in 5..<15 { for x in 5..<15 { m[y * 20 + x] = 1 } }
        let box = MetricBox(label: 0, x0: 5, y0: 5, x1: 15, y1: 15)
        XCTAssertEqual(try value(LocalizationError(), try sample(m, h: 20, w: 20, boxes: [box])), 0)
        XCTAssertEqual(try value(LocalizationError(mode: .top1), try sample(m, h: 20, w: 20, boxes: [box], predicted: 2)), 1,
                       "top-1 mode: a wrong top-1 class is an error even with the right box")
        XCTAssertEqual(try value(LocalizationError(mode: .gtKnown), try sample(m, h: 20, w: 20, boxes: [box], predicted: 2)), 0)
        let far = MetricBox(label: 0, x0: 0, y0: 0, x1: 6, y1: 6)
        XCTAssertEqual(try value(LocalizationError(), try sample(m, h: 20, w: 20, boxes: [far])), 1)
    }

    /// Linear interpolation reproduces a linear ramp inside the image; the noise has the given spread.
    func testImputationIsLinearAndNoisy() throws {
        let h = 12, w = 12
        let ramp = (0..<(h * w)).map { Float(2 * ($0 % w) + 3 * ($0 / w)) }
        var keep = [Bool](repeating: true, count: h * w)
        for y in 3..<9 { for x in 2..<10 { keep[y * w + x] = false } }
        var rng = SeededRandom(seed: 1)
        let exact = try NoisyLinearImputer(noise: 0).impute(ramp, keep: keep, height: h, width: w, rng: &rng)
        for i in ramp.indices { XCTAssertEqual(exact[i], ramp[i], accuracy: 1e-4) }
        let noisy = try NoisyLinearImputer(noise: 0.5).impute(ramp, keep: keep, height: h, width: w, rng: &rng)
        let d = ramp.indices.filter { !keep[$0] }.map { Double(noisy[$0] - ramp[$0]) }
        let sd = (d.map { $0 * $0 }.reduce(0, +) / Double(d.count)).squareRoot()
        XCTAssertEqual(sd, 0.5, accuracy: 0.15)
        XCTAssertThrowsError(try NoisyLinearImputer().impute(ramp, keep: [Bool](repeating: false, count: h * w), height: h, width: w, rng: &rng))
    }

    func testPercentileIsNumpyLinear() {
        XCTAssertEqual(ROAD.percentile([1, 2, 3, 4], 50), 2.5)
        XCTAssertEqual(ROAD.percentile([4, 1, 3, 2], 10), 1.3, accuracy: 1e-12)
    }

    func testBadInputsThrow() throws {
        XCTAssertThrowsError(try MetricSample(input: Tensor.zeros([1, 3, 4, 4]), map: Tensor.zeros([5, 4]), target: target))
        XCTAssertThrowsError(try MetricSample(input: Tensor.zeros([1, 3, 4, 4]), map: Tensor(unchecked: [4, 4], floats: [Float](repeating: .nan, count: 16)), target: target))
        XCTAssertThrowsError(try MetricRegistry.builtin.entry(named: "average-drop").metric(MethodParameters(["variant": "nope"])))
        XCTAssertThrowsError(try MetricRegistry.builtin.entry(named: "insertion").metric(MethodParameters(["step": "0"])))
        XCTAssertThrowsError(try MetricRegistry.builtin.select("insertion,insertion"))
        XCTAssertThrowsError(try MetricRegistry.builtin.select("nosuch"))
        XCTAssertEqual(try MetricRegistry.builtin.select("all").map(\.name), ["average-drop", "increase-in-confidence", "insertion", "deletion",
            "pointing-game", "energy-pointing-game", "localization-error", "road-morf", "road-lerf", "road-combined"])
    }

    func testBootstrapInterval() {
        var rng = SeededRandom(seed: 0)
        let c = MetricSummary.bootstrap([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], resamples: 2000, rng: &rng)
        XCTAssertEqual(c.mean, 5.5)
        XCTAssertLessThan(c.low, 5.5); XCTAssertGreaterThan(c.high, 5.5)
        // The normal approximation: 5.5 ± 1.96 * 2.87 / sqrt(10) = [3.72, 7.28].
        XCTAssertEqual(c.low, 3.72, accuracy: 0.35); XCTAssertEqual(c.high, 7.28, accuracy: 0.35)
        var rng2 = SeededRandom(seed: 0)
        XCTAssertEqual(MetricSummary.bootstrap([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], resamples: 2000, rng: &rng2), c, "seeded")
    }
}

