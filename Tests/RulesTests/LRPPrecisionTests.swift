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

    /// `.reference` Conv outputs are the exact sums rounded once (within one float32 ulp); the
    /// executor's default stays `.fast` (Winograd where the CPU has it), and LRP's forwards do not
    /// take it.
    func testReferenceConvIsRoundedOnceAndInferenceStaysFast() throws {
        var rng = LRPRandom(77), b = LRPGraphBuilder()
        let (c, m, h) = (16, 16, 32)
        b.input("x", [1, c, h, h]); b.constant("W", rng.tensor([m, c, 3, 3])); b.constant("B", rng.tensor([m]))
        b.node("Conv", ["x", "W", "B"], "y", ["pads": .ints([1, 1, 1, 1])], name: "conv"); b.output("y")
        let x = rng.tensor([1, c, h, h])
        let registry = standardRegistry()
        let reference = try XCTUnwrap(try Executor(graph: b.graph, registry: registry, threads: 2, precision: .reference)
            .run(["x": x])["y"]).floatValues()
        let xv = x.floatValues(), wv = try XCTUnwrap(b.graph.initializers["W"]).floatValues()
        let bv = try XCTUnwrap(b.graph.initializers["B"]).floatValues()
        var worstUlps: Float = 0
        for o in 0..<m { for yy in 0..<h { for xx in 0..<h {
            var sum = Double(bv[o])
            for ci in 0..<c { for ky in 0..<3 { for kx in 0..<3 {
                let (iy, ix) = (yy + ky - 1, xx + kx - 1)
                guard iy >= 0, iy < h, ix >= 0, ix < h else { continue }
                sum += Double(wv[((o * c + ci) * 3 + ky) * 3 + kx]) * Double(xv[(ci * h + iy) * h + ix])
            } } }
            let exact = Float(sum), got = reference[(o * h + yy) * h + xx]
            worstUlps = max(worstUlps, abs(got - exact) / exact.ulp)
        } } }
        XCTAssertLessThanOrEqual(worstUlps, 1)
        XCTAssertEqual(try Executor(graph: b.graph, registry: registry).precision, .fast)
        guard FastGEMM.enabled, Winograd.enabled else { return }
        let before = Winograd.runs
        _ = try Executor(graph: b.graph, registry: registry, threads: 2).run(["x": x])
        XCTAssertEqual(Winograd.runs, before + 1, "inference takes the Winograd path")
        let ex = try LRPExplainer(graph: b.graph, registry: registry, composite: try Composite.preset(.epsilonPlus), threads: 2)
        _ = try ex.relevance(feeds: ["x": x], seeds: ["y": Tensor(unchecked: [1, m, h, h], floats: reference)], read: ["x"])
        XCTAssertEqual(Winograd.runs, before + 1, "LRP's forwards do not")
    }
}
