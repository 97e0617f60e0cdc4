/// A 256-entry lookup table from [0, 1] to 8-bit RGB, used the way pytorch-grad-cam uses OpenCV's
/// `applyColorMap`: the value is clamped to [0, 1], multiplied by 255 in single precision and
/// truncated to an index (`np.uint8(255 * mask)`), so only exactly 1 reaches the last entry.
/// NaN maps to entry 0.
public struct Colormap: Sendable {
    public let name: String
    /// 256 RGB entries; entry `i` is the colour of index `i`.
    public let table: [(UInt8, UInt8, UInt8)]

    /// A colormap from exactly 256 RGB entries.
    public init(name: String, table: [(UInt8, UInt8, UInt8)]) throws {
        guard !name.isEmpty else { throw RenderError("colormap", "a colormap needs a non-empty name") }
        guard table.count == 256 else {
            throw RenderError("colormap '\(name)'", "needs 256 entries, got \(table.count)")
        }
        self.name = name; self.table = table
    }

    /// The table index of `v`: `UInt8(255 * v)` (truncating) after clamping to [0, 1]; NaN -> 0.
    @inline(__always) public static func index(_ v: Float) -> Int {
        guard v > 0 else { return 0 }          // also NaN
        return Int(UInt8(255 * min(v, 1)))
    }

    /// The colour of `v` (see `index`).
    @inline(__always) public func color(_ v: Float) -> (UInt8, UInt8, UInt8) { table[Colormap.index(v)] }

    /// Decodes 768 bytes written as hex digits (whitespace ignored), as in `ColormapTables`.
    static func fromHex(name: String, _ hex: String) throws -> Colormap {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(768)
        var high: UInt8?
        for u in hex.utf8 {
            let d: UInt8
            switch u {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = u - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = u - UInt8(ascii: "a") + 10
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): continue
            default: throw RenderError("colormap '\(name)'", "table text holds a non-hex character")
            }
            if let h = high { bytes.append(h << 4 | d); high = nil } else { high = d }
        }
        guard high == nil, bytes.count == 768 else {
            throw RenderError("colormap '\(name)'", "table text holds \(bytes.count) bytes, expected 768")
        }
        return try Colormap(name: name, table: (0..<256).map { (bytes[3 * $0], bytes[3 * $0 + 1], bytes[3 * $0 + 2]) })
    }
}
