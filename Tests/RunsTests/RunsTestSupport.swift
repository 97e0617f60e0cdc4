import Foundation

/// A fresh temporary folder, removed when released.
final class Scratch {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "cfcam-runs-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ rel: String, _ contents: [UInt8] = [1, 2, 3]) throws -> String {
        let p = path + "/" + rel
        try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(contents).write(to: URL(fileURLWithPath: p))
        return p
    }
}

/// A valid 2x2 RGB PNG (red, green / blue, white), for pages that embed images.
let tinyPNG: [UInt8] = Array(Data(base64Encoded:
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==")!)
