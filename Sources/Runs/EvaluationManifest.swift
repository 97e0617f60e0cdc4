import Foundation

/// An evaluation dataset: a folder of images and its `manifest.json` (docs/metrics.md, "Datasets"):
///
///     {"name": "...", "source": "...", "classes": ["circle", ...],
///      "images": [{"file": "img_0000.png", "label": 3,
///                  "boxes": [{"label": 3, "xyxy": [x0, y0, x1, y1]}], "note": "..."}]}
///
/// `label` is the class to explain (absent: the model's top-1); boxes are in pixels of the original
/// image, x1 / y1 exclusive; a box whose label differs from the image's marks another object.
public struct EvaluationManifest: Sendable, Decodable {
    public struct Box: Sendable, Decodable, Equatable {
        public var label: Int?
        public var xyxy: [Double]
    }
    public struct Image: Sendable, Decodable, Equatable {
        public var file: String
        public var label: Int?
        public var boxes: [Box]?
        public var note: String?
    }
    public var name: String?
    public var source: String?
    public var classes: [String]?
    public var images: [Image]

    /// The folder the image files are relative to.
    public var folder: String = ""

    enum CodingKeys: String, CodingKey { case name, source, classes, images }

    /// Reads DATA/manifest.json (or a manifest file given directly) and checks it: every image has
    /// a relative file name without "..", no file is listed twice, boxes have four finite
    /// coordinates with x1 > x0 and y1 > y0, labels are >= 0.
    public static func load(_ data: String) throws -> EvaluationManifest {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: data, isDirectory: &isDir) else {
            throw RunsError("\(data): no such dataset folder or manifest")
        }
        let path = isDir.boolValue ? data + "/manifest.json" : data
        guard let bytes = FileManager.default.contents(atPath: path) else { throw RunsError("\(path): cannot read the manifest") }
        var m: EvaluationManifest
        do {
            m = try JSONDecoder().decode(EvaluationManifest.self, from: bytes)
        } catch {
            throw RunsError("\(path): not a dataset manifest (\(error))")
        }
        m.folder = isDir.boolValue ? data : (path as NSString).deletingLastPathComponent
        if m.folder.isEmpty { m.folder = "." }
        var seen = Set<String>()
        for (i, im) in m.images.enumerated() {
            let at = "\(path): images[\(i)] (\(im.file))"
            guard !im.file.isEmpty, !im.file.hasPrefix("/"), !im.file.split(separator: "/").contains("..") else {
                throw RunsError("\(at): the file must be a relative path inside the dataset folder")
            }
            guard seen.insert(im.file).inserted else { throw RunsError("\(at): listed twice") }
            if let l = im.label, l < 0 { throw RunsError("\(at): label \(l) is negative") }
            for (j, b) in (im.boxes ?? []).enumerated() {
                guard b.xyxy.count == 4, b.xyxy.allSatisfy(\.isFinite), b.xyxy[2] > b.xyxy[0], b.xyxy[3] > b.xyxy[1] else {
                    throw RunsError("\(at): boxes[\(j)] must be [x0, y0, x1, y1] with x1 > x0 and y1 > y0, got \(b.xyxy)")
                }
                if let l = b.label, l < 0 { throw RunsError("\(at): boxes[\(j)] label \(l) is negative") }
            }
        }
        return m
    }

    public func path(of image: Image) -> String { folder + "/" + image.file }
}
