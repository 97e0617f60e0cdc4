import Foundation
import Graph
@testable import Methods
import Rules
import TestSupport
import XCTest

/// CF-CAM against the Python re-implementation on Zennit's relevance in
/// scripts/reference/rcam_refs.py (fixtures/rcam), and its batching / grouping invariants.
final class CFCAMReferenceTests: XCTestCase {
    /// The stored variants: name -> parameters (blur as in the generator: small images).
    func variants(_ fx: RCAMFixture) -> [String: [String: String]] {
        let blur = ["blur-size": "\(Int(fx.manifest.blur[0]))", "blur-sigma": "\(fx.manifest.blur[1])"]
        let v: [String: [String: String]] = [
            "default": [:],
            "rel_channel.masks.prob": ["mask-source": "rel_channel", "combination": "masks", "score": "prob"],
            "act_only.act_x_mask.logit_softmax": ["mask-source": "act_only", "combination": "act_x_mask",
                                                  "score": "logit_softmax_over_channels"],
            "grouped": ["groups": "\(fx.manifest.groups)"],
        ]
        return v.mapValues { $0.merging(blur) { a, _ in a } }
    }

    func checkModel(_ name: String) throws {
        let fx = try RCAMFixture(name)
        for (variant, params) in variants(fx).sorted(by: { $0.key < $1.key }) {
            let request = try fx.request(layer: "final", batchSize: 5)
            let map = try MethodRegistry.builtin.method(named: "cfcam", parameters: MethodParameters(params)).explain(request, model: fx.model)
            try assertMapsAgree(map, try fx.ref("final.cfcam.\(variant)"), "\(name) CF-CAM \(variant)")
        }
    }

    func testResNetish() throws { try checkModel("resnetish") }
    func testVGGish() throws { try checkModel("vggish") }

    /// The batch size changes only how the blended inputs are grouped into forwards; progress
    /// counts every evaluated input once (K channels + 1 blurred baseline per image, less the
    /// channels with a constant mask source).
    func testBatchSizeAndProgress() throws {
        let fx = try RCAMFixture("resnetish")
        let params = variants(fx)["default"] ?? [:]
        let method = try MethodRegistry.builtin.method(named: "cfcam", parameters: MethodParameters(params))
        let log = CFCAMProgressLog()
        let one = try method.explain(try fx.request(layer: "final", batchSize: 1, progress: log.handler), model: fx.model)
        let calls = log.calls
        let total = try XCTUnwrap(calls.last?.1)
        XCTAssertEqual(calls.last?.0, total, "progress ends at the total")
        XCTAssertEqual(calls.count, total, "batch size 1: one call per evaluated input")
        XCTAssertLessThanOrEqual(total, 2 * (16 + 1))
        XCTAssertGreaterThan(total, 2)
        let big = try method.explain(try fx.request(layer: "final", batchSize: 64), model: fx.model)
        assertClose(big, one, rtol: 0, atol: 1e-5, "batch 64 vs batch 1")
    }

    /// Grouping into K groups of one channel with unit weights equals no grouping on a layer that
    /// is already non-negative (a ReLU output), since S_g = ReLU(A_k) = A_k there.
    func testSingletonGroupsEqualNoGrouping() throws {
        let fx = try RCAMFixture("resnetish")
        let blur = variants(fx)["default"] ?? [:]
        let request = try fx.request(layer: "final")
        let plain = try CFCAM(parameters: MethodParameters(blur)).explain(request, model: fx.model)
        let grouped = try CFCAM(parameters: MethodParameters(blur.merging(["groups": "16", "group-weights": "none"]) { a, _ in a }))
            .explain(request, model: fx.model)
        assertClose(grouped, plain, rtol: 0, atol: 1e-5, "16 singleton groups vs none")
        // 4 groups need 4 + 1 forwards per image instead of up to 16 + 1.
        let log = CFCAMProgressLog()
        var r = request
        r.progress = log.handler
        _ = try CFCAM(parameters: MethodParameters(blur.merging(["groups": "4"]) { a, _ in a })).explain(r, model: fx.model)
        XCTAssertLessThanOrEqual(log.calls.last?.1 ?? 0, 2 * 5)
    }

    /// Gradient-weighted groups (Group-CAM's weights) need and use the captured gradient.
    func testGradientGroupWeights() throws {
        let fx = try RCAMFixture("vggish")
        let blur = variants(fx)["default"] ?? [:]
        let m = try CFCAM(parameters: MethodParameters(blur.merging(["groups": "4", "group-weights": "gradient"]) { a, _ in a }))
        XCTAssertTrue(m.usesGradients)
        XCTAssertFalse(try CFCAM(parameters: MethodParameters(blur.merging(["groups": "4"]) { a, _ in a })).usesGradients)
        let map = try m.explain(try fx.request(layer: "final"), model: fx.model)
        let v = try map.floats()
        XCTAssertEqual(v.max() ?? 0, 1, accuracy: 1e-5)
        XCTAssertEqual(v.min() ?? 1, 0, accuracy: 1e-6)
    }

    func testParameters() throws {
        XCTAssertThrowsError(try CFCAM(parameters: MethodParameters(["groups": "-1"])))
        XCTAssertThrowsError(try CFCAM(parameters: MethodParameters(["mask-source": "x"])))
        XCTAssertThrowsError(try CFCAM(parameters: MethodParameters(["blur-size": "0"])))
        let d = try CFCAM()
        XCTAssertEqual(d.options.maskSource, .actXSpatial)
        XCTAssertEqual(d.options.combination, .act)
        XCTAssertEqual(d.options.score, .probMinusBlur)
        XCTAssertNil(d.options.groups)
        XCTAssertEqual(d.options.blur.size, 51)
        XCTAssertEqual(d.options.blur.sigma, 50)
        XCTAssertNil(d.options.relevance.contrast)
        XCTAssertEqual(d.options.relevance.rules, .rcam)
    }
}

/// Collects progress calls (thread-safe).
final class CFCAMProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var log: [(Int, Int)] = []
    var calls: [(Int, Int)] { lock.lock(); defer { lock.unlock() }; return log }
    var handler: ProgressHandler { { [self] d, t in lock.lock(); log.append((d, t)); lock.unlock() } }
}
