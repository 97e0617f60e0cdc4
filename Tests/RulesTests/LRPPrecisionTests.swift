import Foundation
import Graph
import Importers
import Rules
import TestSupport
import XCTest

/// LRP keeps the reference's accuracy on a deep network: VGG16-BN (seeded weights, the
/// `export_models.py` export) with epsilon-plus-flat against float64 zennit
/// (`scripts/reference/zennit_vgg16_bn_ref.py`, run by `scripts/test.sh`).
///
/// The explainer's forwards run at `ComputePrecision.reference`; `.fast` (Winograd and cfcam's
/// own SGEMM in the forwards the rules divide by) is measured for comparison when
/// `CFCAM_LRP_PRECISION_REPORT=1`.
final class LRPPrecisionTests: XCTestCase {
    static let command = "scripts/reference/export_models.py --out fixtures/cache --only vgg16_bn --variants op17 && "
        + "scripts/reference/zennit_vgg16_bn_ref.py --out fixtures/cache (with the reference Python environment)"

    /// max |a − b| / max |b|.
    static func ratio(_ a: [Float], _ b: [Float]) -> Float {
        (zip(a, b).map { abs($0 - $1) }.max() ?? .infinity) / (b.map(abs).max() ?? 0)
    }

    /// Against float64 zennit on torchvision's model (BatchNorm merged in float64): within 1e-4.
    /// Against float64 zennit on the ONNX file's own weights (BatchNorm folded by the exporter in
    /// float32, which alone moves the map by ~5e-5): within 1e-5, which `.fast` misses by far.
    func testVGG16BNWithinReferenceToleranceOfFloat64Zennit() throws {
        let model = fixturesURL("cache/vgg16_bn_op17.onnx"), refsURL = fixturesURL("cache/vgg16_bn.zennit.npz")
        let fm = FileManager.default
        guard fm.fileExists(atPath: model.path), fm.fileExists(atPath: refsURL.path) else {
            let message = "VGG16-BN zennit reference not generated: \(Self.command)"
            if ProcessInfo.processInfo.environment["CI"] == "true" { XCTFail(message); return }
            throw XCTSkip(message)
        }
        let registry = standardRegistry()
        let graph = try ONNXImporter.load(path: model.path, registry: registry)
        let refs = try NPZ.read(path: refsURL.path)
        let input = try XCTUnwrap(refs["input"]), seed = try XCTUnwrap(refs["seed"])
        let want = try XCTUnwrap(refs["relevance"]).floatValues()
        let sameWeights = try XCTUnwrap(refs["relevance_onnx"], "regenerate with --force").floatValues()
        let composite = try Composite.preset(.epsilonPlusFlat)
        var precisions: [ComputePrecision] = [.reference]
        if ProcessInfo.processInfo.environment["CFCAM_LRP_PRECISION_REPORT"] == "1" { precisions.append(.fast) }
        for precision in precisions {
            let ex = try LRPExplainer(graph: graph, registry: registry, composite: composite, precision: precision)
            let t0 = Date()
            let r = try ex.relevance(feeds: ["input": input], seeds: ["logits": seed], read: ["input"])
            let seconds = Date().timeIntervalSince(t0)
            let got = try XCTUnwrap(r["input"])
            XCTAssertEqual(got.count, want.count)
            let g = got.floatValues()
            let (canonical, same) = (Self.ratio(g, want), Self.ratio(g, sameWeights))
            print(String(format: "vgg16_bn epsilon-plus-flat, %@: max|diff|/max|ref| %.2e (zennit float64), %.2e (same weights); "
                         + "Pearson %.9f; %.2f s", precision.rawValue, Double(canonical), Double(same), pearson(g, want), seconds))
            if precision == .reference {
                XCTAssertLessThanOrEqual(canonical, Tolerance.conformanceRelative)
                XCTAssertLessThanOrEqual(same, 1e-5)
            }
        }
    }
}
