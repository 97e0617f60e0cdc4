import Foundation
import Graph
import Importers
import TestSupport
import XCTest

/// Minimal protobuf writer for building ONNX files in tests.
private struct Proto {
    var bytes: [UInt8] = []
    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 { bytes.append(UInt8(v & 0x7f) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }
    mutating func int(_ field: UInt64, _ v: Int) { varint(field << 3); varint(UInt64(v)) }
    mutating func bytes(_ field: UInt64, _ b: [UInt8]) { varint(field << 3 | 2); varint(UInt64(b.count)); bytes += b }
    mutating func string(_ field: UInt64, _ s: String) { bytes(field, Array(s.utf8)) }
    mutating func message(_ field: UInt64, _ build: (inout Proto) -> Void) { var p = Proto(); build(&p); bytes(field, p.bytes) }
}

/// ModelMetadata from ONNX metadata_props and sidecar JSON files; LabelFile.
final class ModelMetadataTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("cfcam-meta-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// An Identity model x[1, 3] -> y with the given metadata, half of it before the graph field.
    private func identityModel(_ props: [(String, String)]) -> [UInt8] {
        var m = Proto()
        m.int(1, 8)
        func entry(_ kv: (String, String)) -> (inout Proto) -> Void { { p in p.string(1, kv.0); p.string(2, kv.1) } }
        for kv in props.prefix(props.count / 2) { m.message(14, entry(kv)) }
        m.message(8) { $0.string(1, ""); $0.int(2, 17) }
        m.message(7) { g in
            g.message(1) { n in n.string(1, "x"); n.string(2, "y"); n.string(3, "id"); n.string(4, "Identity") }
            g.string(2, "tiny")
            for (field, name) in [(UInt64(11), "x"), (12, "y")] {
                g.message(field) { v in
                    v.string(1, name)
                    v.message(2) { t in t.message(1) { tt in tt.int(1, 1); tt.message(2) { s in
                        s.message(1) { $0.int(1, 1) }; s.message(1) { $0.int(1, 3) } } } }
                }
            }
        }
        for kv in props.dropFirst(props.count / 2) { m.message(14, entry(kv)) }
        return m.bytes
    }

    private func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    private func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }

    func testONNXMetadataProps() throws {
        let spec = #"{"resize": [256, 256], "interpolation": "bicubic", "scale": 127.5, "mean": [1], "std": [1]}"#
        let props = [("cfcam.preprocess", spec), ("cfcam.labels", "cat\ndog\n\n"), ("cfcam.licence", "CC-BY-4.0"), ("author", "me")]
        let path = try write("tiny.onnx", identityModel(props))
        let graph = try ONNXImporter.load(path: path)
        XCTAssertEqual(graph.metadata, Dictionary(uniqueKeysWithValues: props))
        XCTAssertEqual(try ONNXImporter.metadata(path: path), graph.metadata)
        let m = try ModelMetadata.load(modelPath: path)
        XCTAssertEqual(m.preprocess, PreprocessSpec(resize: .exact(height: 256, width: 256), interpolation: .bicubic, scale: 127.5, mean: [1], std: [1]))
        XCTAssertEqual(m.labels, ["cat", "dog"])
        XCTAssertEqual(m.licence, "CC-BY-4.0")
        XCTAssertEqual(m.props["author"], "me")
        // Labels as a JSON array.
        let p2 = try write("json-labels.onnx", identityModel([("cfcam.labels", #" ["a", "b c"]"#)]))
        XCTAssertEqual(try ModelMetadata.load(modelPath: p2).labels, ["a", "b c"])
        // No metadata at all.
        let p3 = try write("plain.onnx", identityModel([]))
        XCTAssertEqual(try ModelMetadata.load(modelPath: p3), ModelMetadata())
    }

    func testBadPropertyJSONNamesFileAndKey() throws {
        let path = try write("bad.onnx", identityModel([("cfcam.preprocess", #"{"mean": "zero"}"#)]))
        XCTAssertThrowsError(try ModelMetadata.load(modelPath: path)) { e in
            let t = "\(e)"
            XCTAssertTrue(t.hasPrefix(path) && t.contains("cfcam.preprocess.mean"), t)
        }
        let p2 = try write("bad2.onnx", identityModel([("cfcam.labels", "[\"a\", ")]))
        XCTAssertThrowsError(try ModelMetadata.load(modelPath: p2)) { e in
            XCTAssertTrue("\(e)".hasPrefix(p2) && "\(e)".contains("cfcam.labels"), "\(e)")
        }
    }

    func testSidecarOverridesAndLabelsFile() throws {
        let path = try write("net.onnx", identityModel([("cfcam.licence", "from onnx"), ("cfcam.labels", "x\ny")]))
        _ = try write("classes.txt", "zero\r\none\ntwo\n\n")
        _ = try write("net.json", #"{"preprocess": {"resize": 64, "crop": 56}, "labels_file": "classes.txt"}"#)
        let m = try ModelMetadata.load(modelPath: path)
        XCTAssertEqual(m.preprocess, PreprocessSpec(resize: .shortSide(64), crop: .shortSide(56)))
        XCTAssertEqual(m.labels, ["zero", "one", "two"])
        XCTAssertEqual(m.licence, "from onnx")
        // MODEL.json serves a model without its own <basename>.json.
        let other = try write("other.onnx", identityModel([]))
        _ = try write("MODEL.json", #"{"labels": ["p", "q"], "licence": "MIT"}"#)
        let o = try ModelMetadata.load(modelPath: other)
        XCTAssertEqual(o.labels, ["p", "q"]); XCTAssertEqual(o.licence, "MIT"); XCTAssertNil(o.preprocess)
        // A built-in architecture looks next to its weights file.
        let w = try write("weights.npz", [UInt8]())
        _ = try write("weights.json", #"{"licence": "BSD"}"#)
        XCTAssertEqual(try ModelMetadata.load(modelPath: "resnet18:\(w)").licence, "BSD")
    }

    func testBadSidecarNamesFileAndKey() throws {
        let path = try write("m.onnx", identityModel([]))
        let cases: [(String, String)] = [
            (#"{"preprocess": {"crop": "big"}}"#, "preprocess.crop"),
            (#"{"label": ["a"]}"#, "label"),
            (#"{"labels": [1, 2]}"#, "labels"),
            (#"{"preprocess": "#, "not valid JSON"),
            (#"{"labels_file": "missing.txt"}"#, "missing.txt"),
        ]
        for (text, part) in cases {
            let side = try write("m.json", text)
            XCTAssertThrowsError(try ModelMetadata.load(modelPath: path), text) { e in
                let t = "\(e)"
                XCTAssertTrue(t.contains(side) || t.contains("missing.txt"), t)
                XCTAssertTrue(t.contains(part), "'\(part)' missing from: \(t)")
            }
        }
    }

    func testLabelFile() throws {
        XCTAssertEqual(try LabelFile.read(path: write("l.txt", "a\n\nb \n\n\n")), ["a", "", "b "])
        XCTAssertThrowsError(try LabelFile.read(path: dir.appendingPathComponent("none.txt").path)) { e in
            XCTAssertTrue("\(e)".contains("none.txt"), "\(e)")
        }
        XCTAssertThrowsError(try LabelFile.read(path: write("empty.txt", "\n\n")))
    }

    func testTruncatedModelMetadataThrows() throws {
        let bytes = identityModel([("k", "v"), ("k2", "v2")])
        for cut in [1, 7, bytes.count / 2, bytes.count - 1] {
            let path = try write("cut\(cut).onnx", Array(bytes.prefix(cut)))
            XCTAssertThrowsError(try ONNXImporter.metadata(path: path), "cut at \(cut)") { e in
                XCTAssertTrue("\(e)".hasPrefix(path), "\(e)")
            }
        }
        // Every small ONNX fixture (garbage and hostile ones included): metadata throws or answers, never crashes.
        for name in ["garbage.onnx", "huge_dims.onnx", "cycle.onnx", "external_escape.onnx", "opset13.onnx"] {
            _ = try? ONNXImporter.metadata(path: onnxFixture(name))
        }
        XCTAssertThrowsError(try ONNXImporter.metadata(path: onnxFixture("garbage.onnx")))
    }
}
