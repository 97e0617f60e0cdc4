import Foundation
import Graph
import Importers
import Methods
import Rules
import TestSupport
import XCTest

/// The metrics against independent references on the same model and maps
/// (scripts/reference/metric_refs.py -> fixtures/metrics): pytorch-grad-cam 1.5.7's confidence-change
/// and ROAD classes, the papers' AD / IC, and a torch re-implementation of RISE's CausalMetric.
final class MetricReferenceTests: XCTestCase {
    struct Fixture {
        let model: ExplainModel
        let refs: [String: Tensor]
        let classes: [Int]
        init() throws {
            let registry = standardRegistry()
            let graph = try ONNXImporter.load(path: fixturesURL("metrics/tiny.onnx").path, registry: registry)
            model = try ExplainModel(graph: graph, registry: registry, threads: 2)
            refs = try NPZ.read(path: fixturesURL("metrics/refs.npz").path)
            classes = try XCTUnwrap(refs["classes"]).intValues()
        }
        func ref(_ key: String) throws -> [Double] { try XCTUnwrap(refs[key], "no \(key)").floatValues().map(Double.init) }
        func sample(_ maps: String, _ b: Int) throws -> MetricSample {
            let x = try XCTUnwrap(refs["x"]).rows(b..<(b + 1))
            let map = try XCTUnwrap(refs["maps.\(maps)"]).rows(b..<(b + 1))
            let target = try Target.classIndex(classes[b]).resolve(outputs: try model.forward(x))[0]
            return try MetricSample(input: x, map: map, target: target, seed: UInt64(b))
        }
        func values(_ metric: String, _ params: [String: String], maps: String, batchSize: Int = 32) throws -> [Double] {
            let entry = try MetricRegistry.builtin.entry(named: metric)
            let ev = MetricEvaluator(model: model, metrics: [.init(entry: entry, metric: try entry.metric(MethodParameters(params)))],
                                     batchSize: batchSize)
            return try (0..<classes.count).map { b in try XCTUnwrap(try ev.evaluate(try sample(maps, b)).values[0].value) }
        }
    }

    func check(_ fx: Fixture, _ metric: String, _ params: [String: String], ref: String, tol: Double) throws {
        for maps in ["smooth", "gradcam"] {
            let got = try fx.values(metric, params, maps: maps)
            let want = try fx.ref("\(maps).\(ref)")
            let worst = zip(got, want).map { abs($0 - $1) }.max() ?? .infinity
            print("\(metric) \(params) on \(maps) maps vs \(ref): got \(got.map { String(format: "%.6f", $0) }), want \(want.map { String(format: "%.6f", $0) }), max |diff| \(String(format: "%.2e", worst))")
            XCTAssertEqual(got.count, want.count)
            XCTAssertLessThanOrEqual(worst, tol, "\(metric) \(params) \(maps)")
        }
    }

    func testConfidenceChangeMatchesPytorchGradCamAndThePapers() throws {
        let fx = try Fixture()
        let pgc = ["variant": "pytorch-grad-cam"]
        try check(fx, "average-drop", pgc, ref: "pgc.drop.logit", tol: 1e-4)
        try check(fx, "increase-in-confidence", pgc, ref: "pgc.increase.logit", tol: 0)
        try check(fx, "average-drop", pgc.merging(["score": "probability"]) { a, _ in a }, ref: "pgc.drop.prob", tol: 1e-5)
        try check(fx, "increase-in-confidence", pgc.merging(["score": "probability"]) { a, _ in a }, ref: "pgc.increase.prob", tol: 0)
        try check(fx, "average-drop", [:], ref: "paper.drop", tol: 1e-3)
        try check(fx, "increase-in-confidence", [:], ref: "paper.increase", tol: 0)
    }

    func testROADMatchesPytorchGradCamWithoutNoise() throws {
        let fx = try Fixture()
        try check(fx, "road-morf", ["noise": "0"], ref: "road.morf", tol: 1e-4)
        try check(fx, "road-lerf", ["noise": "0"], ref: "road.lerf", tol: 1e-4)
        try check(fx, "road-combined", ["noise": "0"], ref: "road.combined", tol: 1e-4)
        try check(fx, "road-morf", ["noise": "0", "percentiles": "80"], ref: "road.morf80", tol: 1e-4)
    }

    func testInsertionAndDeletionMatchTheRISEProtocol() throws {
        let fx = try Fixture()
        for mode in ["insertion", "deletion"] {
            for step in [32, 100] {
                for substrate in Substrate.allCases {
                    try check(fx, mode, ["step": "\(step)", "substrate": substrate.rawValue],
                              ref: "\(mode).step\(step).\(substrate.rawValue)", tol: 1e-5)
                }
            }
        }
    }

    /// With noise, ROAD is reproducible for an image (seeded by the sample) and the noise matters.
    func testROADNoiseIsSeeded() throws {
        let fx = try Fixture()
        let m = try MetricRegistry.builtin.entry(named: "road-morf").metric(MethodParameters(["percentiles": "50"]))
        func value(_ seed: UInt64) throws -> Double {
            let s = try fx.sample("smooth", 0)
            let seeded = try MetricSample(input: s.input, map: Tensor(unchecked: [32, 32], floats: s.saliency), target: s.target, seed: seed)
            return try XCTUnwrap(try m.evaluate(seeded, scorer: try MetricScorer(model: fx.model, sample: seeded)))
        }
        XCTAssertEqual(try value(7), try value(7))
        XCTAssertNotEqual(try value(7), try value(8))
    }

    /// Reuse: Average Drop and Increase in Confidence share the clean and the masked forward.
    func testConfidenceMetricsShareTheirForwards() throws {
        let fx = try Fixture()
        let ev = MetricEvaluator(model: fx.model, metrics: try MetricEvaluator.configure(
            try MetricRegistry.builtin.select("average-drop,increase-in-confidence")))
        XCTAssertEqual(try ev.evaluate(try fx.sample("smooth", 0)).forwards, 2)
    }

    /// The batch size only groups forwards: the same values, and progress ends at the total.
    func testBatchSizeAndProgress() throws {
        let fx = try Fixture()
        let a = try fx.values("deletion", ["step": "100"], maps: "smooth", batchSize: 1)
        let b = try fx.values("deletion", ["step": "100"], maps: "smooth", batchSize: 4)
        XCTAssertEqual(a, b)
        let calls = MetricProgressLog()
        let entry = try MetricRegistry.builtin.entry(named: "deletion")
        let ev = MetricEvaluator(model: fx.model, metrics: [.init(entry: entry, metric: try entry.metric(MethodParameters(["step": "100"])))],
                                 batchSize: 4, progress: calls.handler)
        let r = try ev.evaluate(try fx.sample("smooth", 0))
        XCTAssertEqual(calls.calls.map(\.0), [4, 8, 12])
        XCTAssertEqual(calls.calls.last?.1, 12, "ceil(1024 / 100) + 1 curve points")
        XCTAssertEqual(r.forwards, 12, "one forward per curve point")
    }
}

final class MetricProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var log: [(Int, Int)] = []
    var calls: [(Int, Int)] { lock.lock(); defer { lock.unlock() }; return log }
    var handler: ProgressHandler { { [self] d, t in lock.lock(); log.append((d, t)); lock.unlock() } }
}
