import Foundation
import XCTest

/// The third-party reference models: timm architectures (`fixtures/timm/manifest.json`, written by
/// scripts/reference/timm_exports.py) and the trained fixed-batch EfficientNet-Lite0
/// (`fixtures/real/manifest.json`, scripts/reference/real_model.py). The manifests are committed;
/// the models and references they point to are generated into fixtures/cache by scripts/test.sh.
public struct ThirdPartyModel: Sendable {
    /// One Grad-CAM reference case of the model's `.cam.npz`: its key, the ONNX value, the layout of that value.
    public struct CAMCase: Sendable {
        public let key: String, layer: String, layout: String
    }

    public let name: String
    public let onnx: URL
    /// Batch-2 io (absent for fixed-batch models) and batch-1 io (the trained model: its first
    /// photo's): inputs and outputs by graph name.
    public let io: URL?, ioB1: URL?
    public let input: String
    public let fixedBatch: Bool
    public let cam: URL?
    public let camLayer: String?
    public let cams: [CAMCase]
    /// [h, w] of a token map's patch grid (a ViT's class token comes first).
    public let tokenGrid: [Int]?
    public let lrp: URL?
    public let lrpMid: String?
    public let lrpPresets: [String]
    public let lrpLow: [Float], lrpHigh: [Float]
    /// The trained model's photos: name -> (io file, expected top-5 classes).
    public let photos: [(name: String, io: URL, top5: [Int])]
    public let generatedBy: String

    /// Every file the tests read.
    public var files: [URL] { [onnx, io, ioB1, cam, lrp].compactMap { $0 } + photos.map(\.io) }
}

public enum ThirdPartyModels {
    public static let timmCommand = ".venv/bin/python scripts/reference/timm_exports.py"
    public static let realCommand = ".venv/bin/python scripts/reference/real_model.py"

    public struct MissingReference: Error, CustomStringConvertible {
        public let description: String
    }

    /// The models of a committed manifest (`timm` or `real`).
    public static func load(_ manifest: String) throws -> [ThirdPartyModel] {
        let data = try Data(contentsOf: fixturesURL("\(manifest)/manifest.json"))
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let models = try XCTUnwrap(json["models"] as? [[String: Any]], "\(manifest)/manifest.json: no models")
        return try models.map { m in
            func url(_ key: String) -> URL? { (m[key] as? String).map { fixturesURL($0) } }
            func floats(_ v: Any?) -> [Float] { (v as? [Double])?.map { Float($0) } ?? [] }
            var cams = (m["cams"] as? [[String: Any]] ?? []).compactMap { c -> ThirdPartyModel.CAMCase? in
                guard let key = c["case"] as? String, let layer = c["layer"] as? String else { return nil }
                return .init(key: key, layer: layer, layout: c["layout"] as? String ?? "NCHW")
            }
            // A manifest without a case list (the trained model's) has one NCHW case at cam_layer.
            if cams.isEmpty, let layer = m["cam_layer"] as? String { cams = [.init(key: "gradcam", layer: layer, layout: "NCHW")] }
            let box = m["lrp_box"] as? [String: Any]
            let photos = (m["photos"] as? [String: [String: Any]] ?? [:]).sorted { $0.key < $1.key }.compactMap {
                (p: (key: String, value: [String: Any])) -> (name: String, io: URL, top5: [Int])? in
                guard let io = p.value["io"] as? String, let top5 = p.value["top5"] as? [Int] else { return nil }
                return (p.key, fixturesURL(io), top5)
            }
            return ThirdPartyModel(
                name: try XCTUnwrap(m["name"] as? String), onnx: try XCTUnwrap(url("onnx")), io: url("io"),
                ioB1: url("io_b1") ?? photos.first?.io, input: m["input"] as? String ?? "input", fixedBatch: m["fixed_batch"] as? Bool ?? false,
                cam: url("cam"), camLayer: m["cam_layer"] as? String, cams: cams, tokenGrid: m["token_grid"] as? [Int],
                lrp: url("lrp"), lrpMid: m["lrp_mid"] as? String, lrpPresets: m["lrp_presets"] as? [String] ?? [],
                lrpLow: floats(box?["low"]), lrpHigh: floats(box?["high"]), photos: photos,
                generatedBy: m["generated_by"] as? String ?? (manifest == "real" ? realCommand : timmCommand))
        }
    }

    /// The manifest entry `name`.
    public static func model(_ manifest: String, _ name: String) throws -> ThirdPartyModel {
        guard let m = try load(manifest).first(where: { $0.name == name }) else {
            throw MissingReference(description: "\(manifest)/manifest.json has no model \(name)")
        }
        return m
    }

    /// Skips the test when a generated file is missing (naming the command that makes it); under
    /// CI=true a missing file is a failure instead.
    public static func requireGenerated(_ model: ThirdPartyModel, _ extra: [URL] = []) throws {
        let missing = (model.files + extra).filter { !FileManager.default.fileExists(atPath: $0.path) }
        guard !missing.isEmpty else { return }
        let message = "\(model.name): \(missing.map(\.lastPathComponent).joined(separator: ", ")) missing; run: \(model.generatedBy)"
        if ProcessInfo.processInfo.environment["CI"] == "true" { throw MissingReference(description: message) }
        throw XCTSkip(message)
    }
}
