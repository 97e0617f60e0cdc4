import Graph
import ONNXProto

/// Converts `TensorProto` messages to `Tensor`s: raw_data (little endian), the typed fields, or
/// external data read from a file inside the model's folder.
struct ONNXTensorReader {
    /// Folder external data paths are resolved against; nil refuses external data.
    var baseDirectory: String?

    /// Most elements one tensor may hold.
    static let maxElements = 1 << 31

    /// The tensor's shape, validated (non-negative, no overflow, at most `maxElements` elements).
    static func shape(_ t: UnsafePointer<Onnx__TensorProto>) throws -> (shape: [Int], count: Int) {
        var shape: [Int] = []
        var count = 1
        for i in 0..<t.pointee.n_dims {
            let d = t.pointee.dims[i]
            guard d >= 0 else { throw GraphError.invalidShape("negative dimension \(d) in dims") }
            shape.append(Int(d))
            let (m, o) = count.multipliedReportingOverflow(by: Int(d))
            guard !o, m <= maxElements else {
                throw GraphError.invalidShape("dims claim more than \(maxElements) elements")
            }
            count = m
        }
        return (shape, count)
    }

    /// Converts one TensorProto (the caller adds the tensor's name to errors).
    func tensor(_ t: UnsafePointer<Onnx__TensorProto>) throws -> Tensor {
        let (shape, count) = try ONNXTensorReader.shape(t)
        let type = try ONNXDataType.supported(t.pointee.has_data_type != 0 ? t.pointee.data_type : 0)
        let bytes = count * type.byteSize

        if t.pointee.has_data_location != 0 && t.pointee.data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL {
            let data = try external(t, expectedBytes: bytes)
            return try data.withUnsafeBytes { try ONNXTensorReader.decodeRaw($0, type: type, shape: shape, count: count) }
        }
        if t.pointee.has_raw_data != 0 {
            let raw = t.pointee.raw_data
            guard raw.len == bytes else {
                throw GraphError.invalidShape("raw_data has \(raw.len) bytes, dims \(shape) of \(type) need \(bytes)")
            }
            let buf = UnsafeRawBufferPointer(start: raw.data, count: raw.len)
            return try ONNXTensorReader.decodeRaw(buf, type: type, shape: shape, count: count)
        }
        return try typed(t, type: type, shape: shape, count: count)
    }

    // MARK: Typed fields

    private func typed(_ t: UnsafePointer<Onnx__TensorProto>, type: ONNXDataType, shape: [Int], count: Int) throws -> Tensor {
        let p = t.pointee
        func field<T>(_ n: Int, _ ptr: UnsafeMutablePointer<T>?) throws -> UnsafeBufferPointer<T> {
            guard n == count else {
                throw GraphError.invalidShape("\(type.typedField) has \(n) values, dims \(shape) need \(count)"
                    + (n == 0 ? " (the tensor has no data)" : ""))
            }
            return UnsafeBufferPointer(start: ptr, count: n)
        }
        switch type {
        case .float:
            return try Tensor(shape: shape, floats: Array(try field(p.n_float_data, p.float_data)))
        case .double:
            return try Tensor(shape: shape, floats: try field(p.n_double_data, p.double_data).map { Float($0) })
        case .int64:
            return try Tensor(shape: shape, ints: Array(try field(p.n_int64_data, p.int64_data)))
        case .uint32, .uint64:
            let v = try field(p.n_uint64_data, p.uint64_data)
            return try Tensor(shape: shape, ints: try v.map { try ONNXTensorReader.int64($0) })
        case .float16:
            return try Tensor(shape: shape, floats: try field(p.n_int32_data, p.int32_data).map { onnxHalfToFloat(UInt16(truncatingIfNeeded: $0)) })
        case .bfloat16:
            return try Tensor(shape: shape, floats: try field(p.n_int32_data, p.int32_data).map { onnxBFloat16ToFloat(UInt16(truncatingIfNeeded: $0)) })
        case .bool:
            return try Tensor(shape: shape, bools: try field(p.n_int32_data, p.int32_data).map { $0 != 0 })
        default: // int8 ... uint16, int32
            return try Tensor(shape: shape, ints: try field(p.n_int32_data, p.int32_data).map { Int64($0) })
        }
    }

    private static func int64(_ v: UInt64) throws -> Int64 {
        guard let r = Int64(exactly: v) else { throw GraphError.invalidShape("unsigned value \(v) does not fit in int64") }
        return r
    }

    // MARK: Raw little-endian bytes

    /// Decodes `count` elements of `type` from little-endian bytes (length already checked).
    static func decodeRaw(_ buf: UnsafeRawBufferPointer, type: ONNXDataType, shape: [Int], count: Int) throws -> Tensor {
        guard buf.count == count * type.byteSize else {
            throw GraphError.invalidShape("data has \(buf.count) bytes, dims \(shape) of \(type) need \(count * type.byteSize)")
        }
        func load<T: FixedWidthInteger>(_: T.Type, _ i: Int) -> T {
            T(littleEndian: buf.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self))
        }
        #if _endian(little)
        // Fast paths: the bytes already are the host's float32 / int64 layout.
        if type == .float { return try Tensor(shape: shape, floats: copyOut(buf, count, as: Float.self)) }
        if type == .int64 { return try Tensor(shape: shape, ints: copyOut(buf, count, as: Int64.self)) }
        #endif
        switch type {
        case .float:
            return try Tensor(shape: shape, floats: (0..<count).map { Float(bitPattern: load(UInt32.self, $0)) })
        case .double:
            return try Tensor(shape: shape, floats: (0..<count).map { Float(Double(bitPattern: load(UInt64.self, $0))) })
        case .float16:
            return try Tensor(shape: shape, floats: (0..<count).map { onnxHalfToFloat(load(UInt16.self, $0)) })
        case .bfloat16:
            return try Tensor(shape: shape, floats: (0..<count).map { onnxBFloat16ToFloat(load(UInt16.self, $0)) })
        case .bool:
            return try Tensor(shape: shape, bools: (0..<count).map { load(UInt8.self, $0) != 0 })
        case .int8: return try Tensor(shape: shape, ints: (0..<count).map { Int64(load(Int8.self, $0)) })
        case .uint8: return try Tensor(shape: shape, ints: (0..<count).map { Int64(load(UInt8.self, $0)) })
        case .int16: return try Tensor(shape: shape, ints: (0..<count).map { Int64(load(Int16.self, $0)) })
        case .uint16: return try Tensor(shape: shape, ints: (0..<count).map { Int64(load(UInt16.self, $0)) })
        case .int32: return try Tensor(shape: shape, ints: (0..<count).map { Int64(load(Int32.self, $0)) })
        case .uint32: return try Tensor(shape: shape, ints: (0..<count).map { Int64(load(UInt32.self, $0)) })
        case .int64: return try Tensor(shape: shape, ints: (0..<count).map { load(Int64.self, $0) })
        case .uint64: return try Tensor(shape: shape, ints: try (0..<count).map { try int64(load(UInt64.self, $0)) })
        case .string, .complex64, .complex128:
            throw GraphError.invalidGraph("\(type) tensors are not supported")
        }
    }

    /// Copies `count` values of `T` out of (possibly unaligned) bytes; `buf` holds exactly that many.
    private static func copyOut<T>(_ buf: UnsafeRawBufferPointer, _ count: Int, as: T.Type) -> [T] {
        [T](unsafeUninitializedCapacity: count) { out, n in
            if count > 0, let src = buf.baseAddress, let dst = out.baseAddress {
                UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: count * MemoryLayout<T>.size)
            }
            n = count
        }
    }

    // MARK: External data

    /// Reads the bytes of an external-data tensor, checking every size before allocating.
    private func external(_ t: UnsafePointer<Onnx__TensorProto>, expectedBytes: Int) throws -> [UInt8] {
        var entries: [String: String] = [:]
        for i in 0..<t.pointee.n_external_data {
            guard let e = t.pointee.external_data[i] else { continue }
            let key = e.pointee.key.map { String(cString: $0) } ?? ""
            entries[key] = e.pointee.value.map { String(cString: $0) } ?? ""
        }
        guard let location = entries["location"] else {
            throw GraphError.invalidGraph("external data has no 'location' entry")
        }
        guard let base = baseDirectory else {
            throw GraphError.invalidGraph("external data '\(location)' cannot be read: the model was not loaded from a file")
        }
        func number(_ key: String) throws -> Int? {
            guard let s = entries[key] else { return nil }
            guard let v = Int(s), v >= 0 else { throw GraphError.invalidGraph("external data \(key) '\(s)' is not a non-negative integer") }
            return v
        }
        let offset = try number("offset") ?? 0
        let path = try ONNXFile.containedPath(location, in: base)
        let size = try ONNXFile.fileSize(path)
        guard offset <= size else {
            throw GraphError.invalidGraph("external data offset \(offset) is past the end of '\(location)' (\(size) bytes)")
        }
        let length = try number("length") ?? (size - offset)
        guard length <= size - offset else {
            throw GraphError.invalidGraph("external data '\(location)' has \(size - offset) bytes after offset \(offset), length says \(length)")
        }
        guard length == expectedBytes else {
            throw GraphError.invalidShape("external data '\(location)' holds \(length) bytes, the tensor's dims need \(expectedBytes)")
        }
        return try ONNXFile.read(path, offset: offset, length: length)
    }
}
