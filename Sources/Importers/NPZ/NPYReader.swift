import Graph

/// Reading and writing NumPy `.npy` arrays.
///
/// Float types (f2, f4, f8) become float32 tensors, integer types become int64, bool stays bool.
/// Fortran-ordered data is converted to C order. Object (pickled) and structured arrays are refused.
/// Every size is checked against the bytes actually present before anything is allocated.
public enum NPY {
    /// Reads the `.npy` file at `path`.
    public static func read(path: String) throws -> Tensor {
        let bytes = try readFile(path)
        return try read(data: bytes, name: path)
    }

    /// Decodes an `.npy` image held in memory; `name` appears in error messages.
    public static func read(data: [UInt8], name: String) throws -> Tensor {
        try data.withUnsafeBufferPointer { try read(buffer: $0, name: name, member: nil) }
    }

    static func read(buffer: UnsafeBufferPointer<UInt8>, name: String, member: String?) throws -> Tensor {
        do {
            let h = try NPYHeader.parse(buffer)
            let available = buffer.count - h.dataOffset
            let needed = h.count * h.itemSize // overflow checked by the header parser
            guard available >= needed else {
                throw NPYFormatError("truncated data: shape \(h.shape) of \(h.itemSize)-byte elements needs \(needed) bytes, \(available) present")
            }
            guard available == needed else {
                throw NPYFormatError("\(available - needed) unexpected bytes after the array data (shape \(h.shape))")
            }
            let data = UnsafeBufferPointer(rebasing: buffer[h.dataOffset...])
            let t = try decode(data, header: h)
            return h.fortranOrder && h.shape.count > 1 ? fortranToC(t) : t
        } catch let e as NPYFormatError {
            throw NPZError(file: name, member: member, e.message)
        }
    }

    // MARK: Element decoding

    private static func decode(_ d: UnsafeBufferPointer<UInt8>, header h: NPYHeader) throws(NPYFormatError) -> Tensor {
        let n = h.count, big = h.bigEndian
        @inline(__always) func raw(_ i: Int, _ size: Int) -> UInt64 {
            var v: UInt64 = 0
            let base = i * size
            if big { for k in 0..<size { v = v << 8 | UInt64(d[base + k]) } }
            else { for k in (0..<size).reversed() { v = v << 8 | UInt64(d[base + k]) } }
            return v
        }
        switch h.kind {
        case "f":
            var out = [Float](repeating: 0, count: n)
            switch h.itemSize {
            case 4 where !big:
                // Fast path: the common case is a straight copy (x86 and ARM are little-endian).
                out.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(d)[0..<(4 * n)])) }
            case 2: for i in 0..<n { out[i] = halfToFloat(UInt16(raw(i, 2))) }
            case 4: for i in 0..<n { out[i] = Float(bitPattern: UInt32(raw(i, 4))) }
            default: for i in 0..<n { out[i] = Float(Double(bitPattern: raw(i, 8))) }
            }
            return Tensor(unchecked: h.shape, floats: out)
        case "i":
            var out = [Int64](repeating: 0, count: n)
            let shift = UInt64(64 - 8 * h.itemSize)
            // Sign-extend by shifting the value to the top and back.
            for i in 0..<n { out[i] = Int64(bitPattern: raw(i, h.itemSize) << shift) >> Int64(shift) }
            return Tensor(unchecked: h.shape, ints: out)
        case "u":
            var out = [Int64](repeating: 0, count: n)
            for i in 0..<n {
                let v = raw(i, h.itemSize)
                guard let x = Int64(exactly: v) else {
                    throw NPYFormatError("uint64 value \(v) at flat index \(i) does not fit in int64")
                }
                out[i] = x
            }
            return Tensor(unchecked: h.shape, ints: out)
        default:
            var out = [Bool](repeating: false, count: n)
            for i in 0..<n { out[i] = d[i] != 0 }
            return Tensor(unchecked: h.shape, bools: out)
        }
    }

    /// IEEE 754 half precision to single precision (subnormals, infinities and NaN included).
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h >> 15) << 31
        let exp = Int((h >> 10) & 0x1F)
        let mant = UInt32(h & 0x3FF)
        if exp == 0 {
            let magnitude = Float(mant) * 0x1p-24 // subnormal (or zero)
            return sign != 0 ? -magnitude : magnitude
        }
        if exp == 31 { return Float(bitPattern: sign | 0x7F80_0000 | mant << 13) }
        return Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | mant << 13)
    }

    // MARK: Fortran order

    /// Reorders a tensor whose data is in Fortran (column-major) order into C order.
    static func fortranToC(_ t: Tensor) -> Tensor {
        let perm = fortranPermutation(t.shape)
        switch t.storage {
        case .float(let v): return Tensor(unchecked: t.shape, floats: perm.map { v[$0] })
        case .int64(let v): return Tensor(unchecked: t.shape, ints: perm.map { v[$0] })
        case .bool(let v): return Tensor(unchecked: t.shape, bools: perm.map { v[$0] })
        }
    }

    /// For each C-order flat index, the Fortran-order flat index of the same element.
    static func fortranPermutation(_ shape: [Int]) -> [Int] {
        let n = Tensor.elementCount(shape)
        guard n > 0 else { return [] }
        var fStride = [Int](repeating: 1, count: shape.count)
        for k in 1..<max(1, shape.count) { fStride[k] = fStride[k - 1] * shape[k - 1] }
        var index = [Int](repeating: 0, count: shape.count)
        var offset = 0
        var out = [Int](repeating: 0, count: n)
        for c in 0..<n {
            out[c] = offset
            // Odometer increment over the C-order index, last axis fastest.
            var k = shape.count - 1
            while k >= 0 {
                index[k] += 1; offset += fStride[k]
                if index[k] < shape[k] { break }
                offset -= fStride[k] * index[k]; index[k] = 0; k -= 1
            }
        }
        return out
    }
}
