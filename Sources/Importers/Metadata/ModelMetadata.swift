#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a model file says about itself beyond its graph: how to preprocess images, class names,
/// its licence, and every raw ONNX metadata property.
///
/// Sources, later ones winning key by key:
/// 1. the ONNX file's `metadata_props`: `cfcam.preprocess` (a JSON `PreprocessSpec`),
///    `cfcam.labels` (a JSON array of strings, or one label per line), `cfcam.licence`;
/// 2. a JSON file next to the model, `<model basename>.json` (`resnet18.onnx` -> `resnet18.json`)
///    or else `MODEL.json`: `{"preprocess": {...}, "labels": [...] | "labels_file": "relative.txt",
///    "licence": "..."}` (every key optional; unknown keys are refused, so a typo is not ignored).
///
/// For a built-in architecture (`ARCH:WEIGHTS.npz`) the JSON file is looked for next to the
/// weights file, and there are no ONNX properties.
public struct ModelMetadata: Sendable, Equatable {
    public var preprocess: PreprocessSpec?
    public var labels: [String]?
    public var licence: String?
    /// Every ONNX `metadata_props` entry as stored (the `cfcam.*` ones included).
    public var props: [String: String]

    public init(preprocess: PreprocessSpec? = nil, labels: [String]? = nil, licence: String? = nil, props: [String: String] = [:]) {
        self.preprocess = preprocess; self.labels = labels; self.licence = licence; self.props = props
    }

    /// ONNX property keys cfcam reads.
    public static let preprocessKey = "cfcam.preprocess", labelsKey = "cfcam.labels", licenceKey = "cfcam.licence"

    /// Bad JSON (in a property or the sidecar file) throws an error naming the file and the key.
    public static func load(modelPath: String) throws -> ModelMetadata {
        try load(modelPath: modelPath, props: ModelLoader.isArchitectureSpec(modelPath) ? [:] : try ONNXImporter.metadata(path: modelPath))
    }

    /// As `load(modelPath:)`, with the key/value properties the importer already read into
    /// `Graph.metadata` (any format: ONNX `metadata_props`, or what a plugin's importer sets).
    public static func load(modelPath: String, props: [String: String]) throws -> ModelMetadata {
        var m = ModelMetadata()
        let modelFile: String
        if ModelLoader.isArchitectureSpec(modelPath), let colon = modelPath.firstIndex(of: ":") {
            modelFile = String(modelPath[modelPath.index(after: colon)...])
        } else {
            modelFile = modelPath
        }
        m.props = props
        try m.apply(props: props, file: modelPath)
        if let sidecar = sidecarPath(for: modelFile) { try m.apply(sidecar: sidecar) }
        return m
    }

    /// `<basename>.json` or `MODEL.json` in the model's folder, whichever exists first.
    static func sidecarPath(for model: String) -> String? {
        let dir = ONNXFile.directory(of: model)
        var base = model.split(separator: "/").last.map(String.init) ?? model
        if let dot = base.lastIndex(of: "."), dot != base.startIndex { base = String(base[..<dot]) }
        for name in [base + ".json", "MODEL.json"] {
            let p = dir + "/" + name
            if p != model, (try? ONNXFile.fileSize(p)) != nil { return p }
        }
        return nil
    }

    private mutating func apply(props: [String: String], file: String) throws {
        if let text = props[Self.preprocessKey] {
            preprocess = try Self.decode(PreprocessSpec.self, Array(text.utf8), file: file, key: Self.preprocessKey)
        }
        if let text = props[Self.labelsKey] {
            if text.drop(while: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }).first == "[" {
                labels = try Self.decode([String].self, Array(text.utf8), file: file, key: Self.labelsKey)
            } else {
                labels = LabelFile.parse(text)
            }
        }
        if let text = props[Self.licenceKey] { licence = text }
    }

    private mutating func apply(sidecar path: String) throws {
        let bytes: [UInt8]
        do { bytes = try ONNXFile.readAll(path, limit: 1 << 26) } catch {
            throw PreprocessError("\(path): cannot read: \(ONNXContext.describe(error))")
        }
        let s = try Self.decode(Sidecar.self, bytes, file: path, key: nil)
        if let p = s.preprocess { preprocess = p }
        if s.labels != nil && s.labelsFile != nil {
            throw PreprocessError("\(path): give either 'labels' or 'labels_file', not both")
        }
        if let l = s.labels { labels = l }
        if let f = s.labelsFile {
            labels = try LabelFile.read(path: f.hasPrefix("/") ? f : ONNXFile.directory(of: path) + "/" + f)
        }
        if let l = s.licence { licence = l }
    }

    /// The sidecar file's layout.
    struct Sidecar: Decodable {
        var preprocess: PreprocessSpec?
        var labels: [String]?
        var labelsFile: String?
        var licence: String?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case preprocess, labels, labelsFile = "labels_file", licence
        }

        init(from decoder: Decoder) throws {
            let all = try decoder.container(keyedBy: AnyKey.self)
            let known = CodingKeys.allCases.map(\.rawValue)
            if let bad = all.allKeys.first(where: { !known.contains($0.stringValue) }) {
                throw DecodingError.dataCorruptedError(forKey: bad, in: all, debugDescription: "unknown key (known: \(known.joined(separator: ", ")))")
            }
            let c = try decoder.container(keyedBy: CodingKeys.self)
            preprocess = try c.decodeIfPresent(PreprocessSpec.self, forKey: .preprocess)
            labels = try c.decodeIfPresent([String].self, forKey: .labels)
            labelsFile = try c.decodeIfPresent(String.self, forKey: .labelsFile)
            licence = try c.decodeIfPresent(String.self, forKey: .licence)
        }
    }

    /// Decodes JSON, turning decoding errors into "<file>: key '<key.path>': <problem>".
    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], file: String, key: String?) throws -> T {
        do { return try JSONDecoder().decode(T.self, from: Data(bytes)) } catch let e as DecodingError {
            let (path, problem) = describe(e)
            let full = ([key].compactMap { $0 } + path).joined(separator: ".")
            throw PreprocessError("\(file): \(full.isEmpty ? "" : "key '\(full)': ")\(problem)")
        } catch {
            throw PreprocessError("\(file): \(key.map { "key '\($0)': " } ?? "")not valid JSON (\(error))")
        }
    }

    private static func describe(_ e: DecodingError) -> ([String], String) {
        func path(_ p: [CodingKey]) -> [String] { p.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue } }
        switch e {
        case .typeMismatch(let t, let c): return (path(c.codingPath), "expected \(t) (\(c.debugDescription))")
        case .valueNotFound(let t, let c): return (path(c.codingPath), "missing \(t) value")
        case .keyNotFound(let k, let c): return (path(c.codingPath + [k]), "missing key")
        case .dataCorrupted(let c):
            let under = (c.underlyingError as? CustomStringConvertible)?.description
            return (path(c.codingPath), c.codingPath.isEmpty && under != nil ? "not valid JSON (\(c.debugDescription))" : c.debugDescription)
        @unknown default: return ([], "\(e)")
        }
    }
}
