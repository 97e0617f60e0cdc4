import Foundation
import Graph
import Importers
import Rules
import TestSupport
import XCTest

/// Agreement with zennit 0.5.1 on two small BatchNorm models exported from PyTorch
/// (`scripts/reference/zennit_refs.py` -> `fixtures/lrp/`): for every preset composite, the
/// relevance at the input and at one intermediate value, with the BatchNorm merge canonizer
/// (zennit: SequentialMergeBatchNorm / ResNetCanonizer). References are computed in float64.
final class LRPZennitTests: XCTestCase {
    private struct Model {
        let name: String, onnx: String, refs: String, mid: String, low: [Float], high: [Float], presets: [String]
    }

    private func models() throws -> [Model] {
        let data = try Data(contentsOf: fixturesURL("lrp/manifest.json"))
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let models = try XCTUnwrap(json["models"] as? [String: [String: Any]])
        return try models.keys.sorted().map { k in
            let m = try XCTUnwrap(models[k])
            func floats(_ key: String) throws -> [Float] { try XCTUnwrap(m[key] as? [Double]).map { Float($0) } }
            return Model(name: k, onnx: try XCTUnwrap(m["onnx"] as? String), refs: try XCTUnwrap(m["refs"] as? String),
                         mid: try XCTUnwrap(m["mid"] as? String), low: try floats("box_low"), high: try floats("box_high"),
                         presets: try XCTUnwrap(m["presets"] as? [String]))
        }
    }

    func testPresetsAgreeWithZennit() throws {
        let registry = standardRegistry()
        var checked = 0
        for model in try models() {
            let graph = try ONNXImporter.load(path: fixturesURL("lrp/\(model.onnx)").path, registry: registry)
            XCTAssertEqual(graph.nodes.filter { $0.opType == "BatchNormalization" }.count, model.name == "vggish" ? 3 : 6)
            let refs = try NPZ.read(path: fixturesURL("lrp/\(model.refs)").path)
            let input = try XCTUnwrap(refs["input"]), seed = try XCTUnwrap(refs["seed"])
            var options = Composite.PresetOptions()
            options.low = Tensor(unchecked: [1, 3, 1, 1], floats: model.low)
            options.high = Tensor(unchecked: [1, 3, 1, 1], floats: model.high)
            for preset in model.presets {
                let ex = try LRPExplainer(graph: graph, registry: registry,
                                          composite: try Composite.preset(named: preset, options: options), threads: 2)
                let r = try ex.relevance(feeds: ["input": input], seeds: ["logits": seed], read: ["input", model.mid])
                for (value, key) in [("input", "\(preset).input"), (model.mid, "\(preset).mid")] {
                    let got = try XCTUnwrap(r[value]), want = try XCTUnwrap(refs[key], key)
                    XCTAssertEqual(got.shape, want.shape, "\(model.name) \(key)")
                    let g = got.floatValues(), w = want.floatValues()
                    let scale = w.map(abs).max() ?? 0
                    let diff = zip(g, w).map { abs($0 - $1) }.max() ?? .infinity
                    let corr = correlation(g, w)
                    print(String(format: "zennit %@ %@: corr %.7f, max|diff|/max|ref| %.2e", model.name, key, corr, Double(diff / scale)))
                    XCTAssertGreaterThan(scale, 0, "\(model.name) \(key): reference is all zeros")
                    XCTAssertGreaterThanOrEqual(corr, 0.999, "\(model.name) \(key)")
                    XCTAssertLessThanOrEqual(diff, Tolerance.conformanceRelative * scale, "\(model.name) \(key)")
                    checked += 1
                }
            }
        }
        XCTAssertEqual(checked, 2 * 6 * 2)
    }

    /// The references discriminate: skipping the BatchNorm merge (BN as Pass) moves the
    /// epsilon-plus relevance well outside the tolerance.
    func testWithoutBatchNormMergeTheReferenceDisagrees() throws {
        let registry = standardRegistry()
        let model = try XCTUnwrap(try models().first { $0.name == "vggish" })
        let graph = try ONNXImporter.load(path: fixturesURL("lrp/\(model.onnx)").path, registry: registry)
        let refs = try NPZ.read(path: fixturesURL("lrp/\(model.refs)").path)
        let ex = try LRPExplainer(graph: graph, registry: registry, composite: try Composite.preset(.epsilonPlus),
                                  canonizers: [], threads: 2)
        let r = try ex.relevance(feeds: ["input": try XCTUnwrap(refs["input"])], seeds: ["logits": try XCTUnwrap(refs["seed"])],
                                 read: ["input"])
        let g = try XCTUnwrap(r["input"]).floatValues(), w = try XCTUnwrap(refs["epsilon-plus.input"]).floatValues()
        let scale = w.map(abs).max() ?? 0
        XCTAssertGreaterThan(zip(g, w).map { abs($0 - $1) }.max() ?? 0, 100 * Tolerance.conformanceRelative * scale)
    }
}
