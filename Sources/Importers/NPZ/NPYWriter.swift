import Graph

extension NPY {
    /// Encodes `tensor` as a version 1.0 `.npy` image (2.0 when the header needs it): float32 as '<f4', int64 as '<i8', bool as '|b1'.
    public static func write(_ tensor: Tensor) -> [UInt8] {
        let descr: String
        switch tensor.dtype {
        case .float32: descr = "<f4"
        case .int64: descr = "<i8"
        case .bool: descr = "|b1"
        }
        let shapeText: String
        switch tensor.shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(tensor.shape[0]),)"
        default: shapeText = "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        }
        let dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        // Version 1.0 stores the header length in 2 bytes; longer headers (very high rank) need 2.0.
        let version: UInt8 = dict.utf8.count + 64 > 0xFFFF ? 2 : 1
        let lengthBytes = version == 1 ? 2 : 4
        // Pad with spaces so the data starts on a 64-byte boundary; the header ends with a newline.
        let total = NPYHeader.magic.count + 2 + lengthBytes + dict.utf8.count + 1
        let header = dict + String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var out = NPYHeader.magic + [version, 0]
        let len = header.utf8.count
        for k in 0..<lengthBytes { out.append(UInt8(truncatingIfNeeded: len >> (8 * k))) }
        out += Array(header.utf8)
        switch tensor.storage {
        case .float(let v): v.withUnsafeBytes { out += $0 } // little-endian hosts only (x86-64, arm64)
        case .int64(let v): v.withUnsafeBytes { out += $0 }
        case .bool(let v): out += v.map { $0 ? 1 : 0 }
        }
        return out
    }

    /// Writes `tensor` to `path` as `.npy`, atomically (temporary file, then rename).
    public static func write(_ tensor: Tensor, path: String) throws {
        try writeFileAtomically(path, write(tensor))
    }
}
