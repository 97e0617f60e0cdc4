#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Graph

/// Pointwise math (Sqrt, Exp, Log, Neg, Abs, Reciprocal), rounding (Ceil, Floor, Round, Sign),
/// Identity, Dropout (inference form) and Cast, plus the unary helpers the activation kernels share.
enum UnaryOps {
    static func register(into r: inout OpRegistry) {
        // Derivatives as PyTorch computes them (from the output where it does): Sqrt'(0) = inf,
        // Abs'(0) = 0.
        r.register(OpDefinition(opType: "Sqrt", vjp: grad { _, y in 0.5 / y }, lrp: .elementwise) { ctx in
            [try float(ctx) { $0.squareRoot() }]
        })
        r.register(OpDefinition(opType: "Exp", vjp: grad { _, y in y }, lrp: .elementwise) { ctx in [try float(ctx) { expf($0) }] })
        r.register(OpDefinition(opType: "Log", vjp: grad { x, _ in 1 / x }, lrp: .elementwise) { ctx in [try float(ctx) { logf($0) }] })
        r.register(OpDefinition(opType: "Reciprocal", vjp: grad { _, y in -y * y }, lrp: .elementwise) { ctx in
            [try float(ctx) { 1 / $0 }]
        })
        r.register(OpDefinition(opType: "Neg", vjp: grad { _, _ in -1 }, lrp: .elementwise) { ctx in
            [try numeric(ctx, float: { -$0 }, int: { 0 &- $0 })]
        })
        r.register(OpDefinition(opType: "Abs", vjp: grad { x, _ in x > 0 ? 1 : (x < 0 ? -1 : 0) }, lrp: .elementwise) { ctx in
            [try numeric(ctx, float: { Swift.abs($0) }, int: { $0 < 0 ? 0 &- $0 : $0 })]
        })
        // Rounding is piecewise constant: a zero gradient everywhere, as PyTorch defines it.
        // Round halves go to the even neighbour (2.5 -> 2, -1.5 -> -2); NaN stays NaN throughout.
        r.register(OpDefinition(opType: "Ceil", vjp: flat, lrp: .gradient) { ctx in [try float(ctx) { $0.rounded(.up) }] })
        r.register(OpDefinition(opType: "Floor", vjp: flat, lrp: .gradient) { ctx in [try float(ctx) { $0.rounded(.down) }] })
        r.register(OpDefinition(opType: "Round", vjp: flat, lrp: .gradient) { ctx in [try float(ctx) { $0.rounded(.toNearestOrEven) }] })
        r.register(OpDefinition(opType: "Sign", vjp: flat, lrp: .gradient) { ctx in
            [try numeric(ctx, float: { $0 > 0 ? 1 : ($0 < 0 ? -1 : $0) }, int: { $0.signum() })]
        })
        r.register(OpDefinition(opType: "Identity", vjp: { try Grad.passThrough($0) }, lrp: .gradient) { ctx in [try ctx.input(0)] })
        r.register(OpDefinition(opType: "Dropout", vjp: { try Grad.passThrough($0) }, lrp: .gradient) { ctx in
            // Inference: the data passes through (ratio and training_mode are ignored); the
            // optional mask output is all true.
            let x = try ctx.input(0)
            guard ctx.node.outputs.count > 1, !ctx.node.outputs[1].isEmpty else { return [x] }
            return [x, Tensor(unchecked: x.shape, bools: [Bool](repeating: true, count: x.count))]
        })
        // Cast between floating types is the identity for gradients (straight through the
        // float16 / bfloat16 rounding); casts to or from integers and bools carry none.
        r.register(OpDefinition(opType: "Cast", vjp: { ctx in
            let code: Int = try ctx.node.required("to")
            guard floatCodes.contains(code) else { return Grad.none(ctx) }
            return try Grad.passThrough(ctx)
        }, lrp: .gradient) { ctx in
            let code: Int = try ctx.node.required("to")
            return [try cast(ctx.input(0), code: code)]
        })
    }

    /// TensorProto data types Cast maps to float32: FLOAT, DOUBLE, FLOAT16, BFLOAT16.
    static let floatCodes: Set<Int> = [1, 11, 10, 16]

    /// The VJP of a pointwise op with derivative `d(x, y)`.
    static func grad(_ d: @escaping @Sendable (Float, Float) -> Float) -> OpDefinition.VJP {
        { ctx in try Grad.pointwise(ctx, d) }
    }

    /// The VJP of a piecewise constant op: zero for input 0.
    static let flat: OpDefinition.VJP = grad { _, _ in 0 }

    /// `f` applied to every element of float32 input 0.
    @inline(__always)
    static func float(_ ctx: OpContext, _ f: (Float) -> Float) throws -> Tensor {
        let x = try ctx.input(0)
        guard case .float(let v) = x.storage else {
            throw GraphError.kernel("input must be float32, got \(x.dtype)")
        }
        return Tensor(unchecked: x.shape, floats: Broadcast.map(v, threads: ctx.threads, f))
    }

    /// `f` or `g` applied to every element of float32 or int64 input 0.
    @inline(__always)
    static func numeric(_ ctx: OpContext, float f: (Float) -> Float, int g: (Int64) -> Int64) throws -> Tensor {
        let x = try ctx.input(0)
        switch x.storage {
        case .float(let v): return Tensor(unchecked: x.shape, floats: Broadcast.map(v, threads: ctx.threads, f))
        case .int64(let v): return Tensor(unchecked: x.shape, ints: Broadcast.map(v, threads: ctx.threads, g))
        case .bool: throw GraphError.kernel("input must be float32 or int64, got bool")
        }
    }

    /// `f` applied to a float32 tensor's values (precision rounding for half-precision targets).
    private static func roundedFloats(_ x: Tensor, _ f: (Float) -> Float) throws -> Tensor {
        Tensor(unchecked: x.shape, floats: try x.floats().map(f))
    }

    /// `x` rounded to bfloat16 precision (round to nearest even; NaN stays NaN).
    static func bfloat16(_ x: Float) -> Float {
        guard !x.isNaN else { return x }
        let b = x.bitPattern
        let rounded = b &+ 0x7FFF &+ ((b >> 16) & 1)
        return Float(bitPattern: rounded & 0xFFFF_0000)
    }

    /// ONNX Cast to the TensorProto.DataType `code`. Floating types become float32 (FLOAT16 and
    /// BFLOAT16 round the values to that precision, as a cast there and back would), integer
    /// types int64 (integers wrap to the target width first, as a C cast does; floats truncate
    /// toward zero), BOOL becomes bool. Strings and complex types throw.
    static func cast(_ x: Tensor, code: Int) throws -> Tensor {
        switch code {
        case 1, 11: return x.cast(to: .float32)
        case 10: return try roundedFloats(x.cast(to: .float32)) { Float(Float16($0)) }
        case 16: return try roundedFloats(x.cast(to: .float32), bfloat16)
        case 9: return x.cast(to: .bool)
        case 7: return x.cast(to: .int64)
        case 2, 3, 4, 5, 6, 12, 13:
            let i = x.cast(to: .int64)
            guard case .int64(let v) = i.storage else { return i }
            let narrow: (Int64) -> Int64
            switch code {
            case 2: narrow = { Int64(UInt8(truncatingIfNeeded: $0)) }
            case 3: narrow = { Int64(Int8(truncatingIfNeeded: $0)) }
            case 4: narrow = { Int64(UInt16(truncatingIfNeeded: $0)) }
            case 5: narrow = { Int64(Int16(truncatingIfNeeded: $0)) }
            case 6: narrow = { Int64(Int32(truncatingIfNeeded: $0)) }
            case 12: narrow = { Int64(UInt32(truncatingIfNeeded: $0)) }
            default: return i  // UINT64: values above Int64.max are not representable in an int64 graph
            }
            return Tensor(unchecked: i.shape, ints: v.map(narrow))
        default:
            throw GraphError.attribute("Cast 'to' = \(code) is not a supported data type (supported: 1-7, 9-13, 16)")
        }
    }
}
