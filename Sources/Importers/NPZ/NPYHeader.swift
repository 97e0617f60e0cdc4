/// The parsed header of a `.npy` array: element type, memory order, shape, and where the data starts.
struct NPYHeader: Equatable {
    /// Element kind as NumPy spells it: "f", "i", "u", "b".
    var kind: Character
    /// Bytes per element.
    var itemSize: Int
    /// True for big-endian data.
    var bigEndian: Bool
    var fortranOrder: Bool
    var shape: [Int]
    /// Offset of the first data byte.
    var dataOffset: Int
    /// Number of elements (checked against overflow).
    var count: Int

    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59] // "\x93NUMPY"
    /// Upper bound on the header dictionary (NumPy itself refuses more than 10 000 bytes by default).
    static let maxHeaderLength = 1 << 20

    /// Parses the preamble and header dictionary of `bytes`. Throws a message describing the problem.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(NPYFormatError) -> NPYHeader {
        guard bytes.count >= 10 else { throw NPYFormatError("file too short for an .npy header (\(bytes.count) bytes)") }
        guard Array(bytes[0..<6]) == magic else { throw NPYFormatError("not an .npy file (bad magic bytes)") }
        let major = bytes[6]
        let headerLength: Int
        let start: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            start = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw NPYFormatError("file too short for an .npy v\(major) header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            start = 12
        default:
            throw NPYFormatError("unsupported .npy format version \(major).\(bytes[7])")
        }
        guard headerLength <= maxHeaderLength else {
            throw NPYFormatError("header length \(headerLength) exceeds the limit of \(maxHeaderLength) bytes")
        }
        guard headerLength <= bytes.count - start else {
            throw NPYFormatError("truncated header: it claims \(headerLength) bytes, \(bytes.count - start) remain")
        }
        let text = bytes[start..<(start + headerLength)]
        var parser = PyLiteralParser(Array(text))
        let value = try parser.parseHeaderDict()
        var header = try NPYHeader.fromDict(value)
        header.dataOffset = start + headerLength
        return header
    }

    private static func fromDict(_ dict: [String: PyLiteral]) throws(NPYFormatError) -> NPYHeader {
        guard let descrValue = dict["descr"] else { throw NPYFormatError("header has no 'descr'") }
        guard case .string(let descr) = descrValue else {
            throw NPYFormatError("structured dtypes are not supported (descr \(descrValue))")
        }
        guard let orderValue = dict["fortran_order"], case .bool(let fortran) = orderValue else {
            throw NPYFormatError("header has no boolean 'fortran_order'")
        }
        guard let shapeValue = dict["shape"], case .tuple(let dims) = shapeValue else {
            throw NPYFormatError("header has no 'shape' tuple")
        }
        var shape: [Int] = []
        var count = 1
        for d in dims {
            guard case .int(let v) = d, v >= 0 else { throw NPYFormatError("invalid dimension \(d) in shape") }
            let (m, o) = count.multipliedReportingOverflow(by: v)
            guard !o else { throw NPYFormatError("element count of shape \(dims.map(\.description)) overflows") }
            shape.append(v); count = m
        }
        let (kind, size, big) = try parseDescr(descr)
        let (_, o) = count.multipliedReportingOverflow(by: size)
        guard !o else { throw NPYFormatError("byte size of shape \(shape) overflows") }
        return NPYHeader(kind: kind, itemSize: size, bigEndian: big, fortranOrder: fortran, shape: shape,
                         dataOffset: 0, count: count)
    }

    /// Decodes a dtype string such as "<f4", ">i8", "|b1", "?".
    static func parseDescr(_ descr: String) throws(NPYFormatError) -> (Character, Int, Bool) {
        var chars = Array(descr)
        var big = false
        if let first = chars.first, "<>|=".contains(first) {
            big = first == ">"
            chars.removeFirst()
        }
        if chars == ["?"] { return ("b", 1, false) }
        guard let kind = chars.first else { throw NPYFormatError("empty dtype descr") }
        if kind == "O" { throw NPYFormatError("object arrays (dtype 'O', pickled Python objects) are refused") }
        let size = Int(String(chars.dropFirst())) ?? -1
        let supported: [Character: Set<Int>] = ["f": [2, 4, 8], "i": [1, 2, 4, 8], "u": [1, 2, 4, 8], "b": [1]]
        guard let sizes = supported[kind], sizes.contains(size) else {
            throw NPYFormatError("unsupported dtype '\(descr)' (supported: f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1)")
        }
        return (kind, size, big)
    }
}

/// A format problem found while decoding; wrapped into `NPZError` with the file name by the callers.
struct NPYFormatError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
