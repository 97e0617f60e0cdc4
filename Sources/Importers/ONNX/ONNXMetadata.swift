import Graph

extension ONNXImporter {
    /// The model's `metadata_props` (ModelProto field 14) without loading the model: the file's
    /// top-level protobuf fields are walked with ranged reads and every other field (the graph
    /// with its weights above all) is skipped by its length, so this costs a few small reads
    /// whatever the model's size. A repeated key keeps its last value. Malformed files throw a
    /// `GraphError.inFile` naming the file.
    public static func metadata(path: String) throws -> [String: String] {
        try ONNXContext.file(path) {
            let size = try ONNXFile.fileSize(path)
            var out: [String: String] = [:]
            var offset = 0
            while offset < size {
                let head = try ONNXFile.read(path, offset: offset, length: min(20, size - offset))
                var p = ProtoScanner(head)
                let (field, wire) = try p.tag()
                var skip: Int
                switch wire {
                case 0: _ = try p.varint(); skip = 0
                case 1: skip = 8
                case 5: skip = 4
                case 2:
                    let n = try p.varint()
                    guard n <= UInt64(size) else { throw truncated(offset) }
                    skip = Int(n)
                default:
                    throw GraphError.invalidGraph("not an ONNX model: unsupported protobuf wire type \(wire) at byte \(offset)")
                }
                let body = offset + p.position
                guard body + skip <= size else { throw truncated(offset) }
                if field == 14 && wire == 2 {
                    guard skip <= 1 << 26 else { throw GraphError.invalidGraph("metadata entry at byte \(offset) is \(skip) bytes, more than 64 MiB") }
                    let (k, v) = try entry(ONNXFile.read(path, offset: body, length: skip))
                    out[k] = v
                }
                offset = body + skip
            }
            return out
        }
    }

    private static func truncated(_ offset: Int) -> GraphError {
        .invalidGraph("not an ONNX model (protobuf field at byte \(offset) runs past the end: the file is truncated or corrupt)")
    }

    /// A StringStringEntryProto: key (field 1), value (field 2).
    private static func entry(_ bytes: [UInt8]) throws -> (String, String) {
        var p = ProtoScanner(bytes)
        var key = "", value = ""
        while !p.atEnd {
            let (field, wire) = try p.tag()
            switch wire {
            case 0: _ = try p.varint()
            case 1: try p.skip(8)
            case 5: try p.skip(4)
            case 2:
                let s = try p.bytes()
                if field == 1 { key = String(decoding: s, as: UTF8.self) }
                if field == 2 { value = String(decoding: s, as: UTF8.self) }
            default: throw GraphError.invalidGraph("malformed metadata entry (wire type \(wire))")
            }
        }
        return (key, value)
    }
}

/// Reads protobuf wire-format pieces from a byte buffer, throwing at its end instead of overrunning.
struct ProtoScanner {
    let buf: [UInt8]
    var position = 0
    init(_ buf: [UInt8]) { self.buf = buf }

    var atEnd: Bool { position >= buf.count }

    mutating func varint() throws -> UInt64 {
        var v: UInt64 = 0, shift: UInt64 = 0
        while true {
            guard position < buf.count, shift < 64 else { throw GraphError.invalidGraph("not an ONNX model (a protobuf varint is truncated or too long)") }
            let b = buf[position]; position += 1
            v |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return v }
            shift += 7
        }
    }

    mutating func tag() throws -> (field: UInt64, wire: UInt64) {
        let t = try varint()
        guard t >> 3 != 0 else { throw GraphError.invalidGraph("not an ONNX model (protobuf field number 0)") }
        return (t >> 3, t & 7)
    }

    mutating func skip(_ n: Int) throws {
        guard n >= 0, n <= buf.count - position else { throw GraphError.invalidGraph("not an ONNX model (a protobuf field is truncated)") }
        position += n
    }

    mutating func bytes() throws -> ArraySlice<UInt8> {
        let n = try varint()
        guard n <= UInt64(buf.count - position) else { throw GraphError.invalidGraph("not an ONNX model (a protobuf field is truncated)") }
        let s = buf[position..<position + Int(n)]
        position += Int(n)
        return s
    }
}
