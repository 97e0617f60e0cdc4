import Foundation
import Graph
import Importers
@testable import Methods
import Rules
import TestSupport
import XCTest

/// The local attention-map comparison against the torch reference of metric_refs.py: the
/// multi-layer activation energy of two seeded tiny CNNs and the per-block / overall Pearson.
final class MetricCompareTests: XCTestCase {
    func model(_ file: String) throws -> ExplainModel {
        let registry = standardRegistry()
        return try ExplainModel(graph: try ONNXImporter.load(path: fixturesURL("metrics/\(file)").path, registry: registry), registry: registry, threads: 2)
    }

    func testEnergyAndBlockPearsonMatchTheReference() throws {
        let refs = try NPZ.read(path: fixturesURL("metrics/refs.npz").path)
        let a = try model("tiny.onnx"), b = try model("tiny_b.onnx")
        let la = try AttentionComparison.energyLayers(model: a), lb = try AttentionComparison.energyLayers(model: b)
        XCTAssertEqual(la.count, 2, "two spatial sizes (32x32 after conv1, 16x16 after the pool): \(la)")
        let x = try XCTUnwrap(refs["x"])
        for i in 0..<3 {
            let xi = try x.rows(i..<(i + 1))
            let ea = try AttentionComparison.activationEnergy(model: a, input: xi, layers: la)
            let eb = try AttentionComparison.activationEnergy(model: b, input: xi, layers: lb)
            XCTAssertEqual([ea.height, ea.width], [16, 16])
            assertClose(Tensor(unchecked: [16, 16], floats: ea.values), try XCTUnwrap(refs["compare.energy_a"]).rows(i..<(i + 1)).reshaped([16, 16]),
                        rtol: 1e-5, atol: 1e-5, "energy A image \(i)")
            assertClose(Tensor(unchecked: [16, 16], floats: eb.values), try XCTUnwrap(refs["compare.energy_b"]).rows(i..<(i + 1)).reshaped([16, 16]),
                        rtol: 1e-5, atol: 1e-5, "energy B image \(i)")
            let ua = try AttentionComparison.resized(ea.values, h: 16, w: 16, to: 32, 32)
            let ub = try AttentionComparison.resized(eb.values, h: 16, w: 16, to: 32, 32)
            for g in [2, 3, 4] {
                let r = try AttentionComparison.compare(ua, ub, height: 32, width: 32, grid: g)
                let want = try XCTUnwrap(refs["compare.blocks\(g)"]).floatValues().map(Double.init)
                let got = r.blocks.flatMap { $0 }
                for (k, w) in want[(i * g * g)..<((i + 1) * g * g)].enumerated() {
                    XCTAssertEqual(got[k], w, accuracy: 1e-5, "image \(i) grid \(g) block \(k)")
                }
                XCTAssertEqual(r.overall, Double(try XCTUnwrap(refs["compare.overall"]).floatValues()[i]), accuracy: 1e-5)
            }
        }
    }

    func testPearsonAndGridProperties() throws {
        XCTAssertEqual(AttentionComparison.pearson([1, 2, 3], [2, 4, 6]), 1, accuracy: 1e-8)
        XCTAssertEqual(AttentionComparison.pearson([1, 2, 3], [3, 2, 1]), -1, accuracy: 1e-8)
        XCTAssertEqual(AttentionComparison.pearson([1, 1, 1], [1, 2, 3]), 0, "a constant block correlates 0")
        XCTAssertEqual(AttentionComparison.bounds(0, 3, 10), 0..<3)
        XCTAssertEqual(AttentionComparison.bounds(2, 3, 10), 6..<10)
        let m = (0..<64).map { Float($0 % 8) * Float($0 / 8) }
        let same = try AttentionComparison.compare(m, m, height: 8, width: 8, grid: 4)
        XCTAssertEqual(same.overall, 1, accuracy: 1e-8)
        XCTAssertThrowsError(try AttentionComparison.compare(m, m, height: 8, width: 8, grid: 9))
        XCTAssertThrowsError(try AttentionComparison.compare(m, Array(m.prefix(10)), height: 8, width: 8, grid: 2))
    }
}
