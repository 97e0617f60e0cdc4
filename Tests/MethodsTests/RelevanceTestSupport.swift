import Foundation
import Graph
import Importers
@testable import Methods
import Rules
import TestSupport
import XCTest

/// The models and golden maps of scripts/reference/rcam_refs.py (fixtures/rcam).
struct RCAMFixture {
    struct Manifest: Decodable {
        struct Model: Decodable { let onnx: String; let refs: String; let layers: [String: String]; let targets: [Int] }
        let models: [String: Model]
        let contrasts: [String]
        let rules: [String]
        let blur: [Double]
        let groups: Int
    }

    let manifest: Manifest
    let entry: Manifest.Model
    let model: ExplainModel
    let refs: [String: Tensor]

    init(_ name: String) throws {
        let data = try Data(contentsOf: fixturesURL("rcam/manifest.json"))
        manifest = try JSONDecoder().decode(Manifest.self, from: data)
        entry = try XCTUnwrap(manifest.models[name], "no model \(name) in fixtures/rcam/manifest.json")
        let registry = standardRegistry()
        let graph = try ONNXImporter.load(path: fixturesURL("rcam/\(entry.onnx)").path, registry: registry)
        model = try ExplainModel(graph: graph, registry: registry, threads: 2)
        refs = try NPZ.read(path: fixturesURL("rcam/\(entry.refs)").path)
    }

    func ref(_ key: String) throws -> Tensor { try XCTUnwrap(refs[key], "missing reference array \(key)") }

    /// The request the references were made for: the stored input, class targets[0] for every image.
    func request(layer: String, batchSize: Int = 32, progress: ProgressHandler? = nil) throws -> ExplainRequest {
        let layerName = try XCTUnwrap(entry.layers[layer])
        XCTAssertEqual(Set(entry.targets).count, 1, "the references use one class for the batch")
        return ExplainRequest(input: try ref("input"), target: .classIndex(entry.targets[0]), layers: [.named(layerName)],
                              batchSize: batchSize, progress: progress)
    }
}

/// The agreement criterion per map: Pearson >= 0.999 and max |diff| <= 1e-3.
func assertMapsAgree(_ got: Tensor, _ want: Tensor, pearson minR: Double = 0.999, maxDiff: Float = 1e-3,
                     _ what: String, file: StaticString = #filePath, line: UInt = #line) throws {
    XCTAssertEqual(got.shape, want.shape, what, file: file, line: line)
    guard got.shape == want.shape, got.rank == 3 else { return }
    let g = try got.floats(), w = try want.floats()
    let per = got.shape[1] * got.shape[2]
    for b in 0..<got.shape[0] {
        let x = Array(g[(b * per)..<((b + 1) * per)]), y = Array(w[(b * per)..<((b + 1) * per)])
        let diff = zip(x, y).map { abs($0 - $1) }.max() ?? 0
        let r = pearson(x, y)
        XCTAssertGreaterThanOrEqual(r, minR, "\(what) image \(b): Pearson", file: file, line: line)
        XCTAssertLessThanOrEqual(diff, maxDiff, "\(what) image \(b): max |diff|", file: file, line: line)
    }
}

