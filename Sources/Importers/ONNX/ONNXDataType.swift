import Graph

/// ONNX `TensorProto.DataType` codes and how cfcam stores each (float types -> float32, integer
/// types -> int64, BOOL -> bool; strings, complex and 8/4-bit float types are unsupported).
enum ONNXDataType: Int32, CaseIterable {
    case float = 1, uint8 = 2, int8 = 3, uint16 = 4, int16 = 5, int32 = 6, int64 = 7, string = 8
    case bool = 9, float16 = 10, double = 11, uint32 = 12, uint64 = 13, complex64 = 14
    case complex128 = 15, bfloat16 = 16

    /// Looks up a code, throwing a clear error for unknown and unsupported ones.
    static func supported(_ code: Int32) throws -> ONNXDataType {
        guard code != 0 else { throw GraphError.invalidGraph("data type is UNDEFINED (0)") }
        guard let t = ONNXDataType(rawValue: code) else {
            throw GraphError.invalidGraph("unsupported data type \(code) (float8 / int4 types and unknown codes are not supported)")
        }
        switch t {
        case .string: throw GraphError.invalidGraph("string tensors are not supported")
        case .complex64, .complex128: throw GraphError.invalidGraph("complex tensors (\(t)) are not supported")
        default: return t
        }
    }

    /// The dtype a tensor of this type becomes.
    var dtype: DType {
        switch self {
        case .float, .float16, .double, .bfloat16, .complex64, .complex128: return .float32
        case .bool: return .bool
        default: return .int64
        }
    }

    /// Bytes per element in raw_data.
    var byteSize: Int {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16, .float16, .bfloat16: return 2
        case .float, .int32, .uint32: return 4
        case .int64, .double, .uint64, .complex64: return 8
        case .complex128: return 16
        case .string: return 0
        }
    }

    /// Name of the typed TensorProto field that holds this type when raw_data is not used.
    var typedField: String {
        switch self {
        case .float: return "float_data"
        case .int64: return "int64_data"
        case .double: return "double_data"
        case .uint32, .uint64: return "uint64_data"
        default: return "int32_data"
        }
    }
}

/// IEEE half-precision bits to Float (exact; subnormals, infinities and NaN included).
func onnxHalfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h >> 15) << 31
    let exp = Int((h >> 10) & 0x1f)
    let mant = UInt32(h & 0x3ff)
    if exp == 0 {
        // zero or subnormal: mant * 2^-24
        let v = Float(mant) * Float(sign: .plus, exponent: -24, significand: 1)
        return sign != 0 ? -v : v
    }
    if exp == 31 { return Float(bitPattern: sign | 0x7f80_0000 | (mant << 13)) }
    return Float(bitPattern: sign | (UInt32(exp - 15 + 127) << 23) | (mant << 13))
}

/// bfloat16 bits to Float (the upper half of a float32).
func onnxBFloat16ToFloat(_ b: UInt16) -> Float { Float(bitPattern: UInt32(b) << 16) }
