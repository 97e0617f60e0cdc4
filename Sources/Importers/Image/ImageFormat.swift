/// The image file formats cfcam reads (all three) and writes (PNG and JPEG).
public enum ImageFormat: String, CaseIterable, Sendable {
    case png, jpeg, webp

    /// File-name extensions, lower case, without the dot.
    public var extensions: [String] {
        switch self {
        case .png: return ["png"]
        case .jpeg: return ["jpg", "jpeg"]
        case .webp: return ["webp"]
        }
    }

    /// "png, jpg, jpeg, webp", for error messages.
    public static var extensionList: String { allCases.flatMap(\.extensions).joined(separator: ", ") }

    /// The format whose signature starts `bytes`: PNG's 8-byte signature, JPEG's SOI marker
    /// followed by another marker (FF D8 FF), or a RIFF container of type "WEBP".
    public static func sniff(_ bytes: [UInt8]) -> ImageFormat? {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if bytes.count >= 12, bytes.starts(with: Array("RIFF".utf8)), Array(bytes[8..<12]) == Array("WEBP".utf8) {
            return .webp
        }
        return nil
    }

    /// The format named by the extension of `path` (case-insensitive), or nil.
    public static func fromExtension(_ path: String) -> ImageFormat? {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        let ext = name[name.index(after: dot)...].lowercased()
        return allCases.first { $0.extensions.contains(ext) }
    }
}
