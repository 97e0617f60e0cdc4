import Graph

/// Sliding-window geometry over the spatial axes, shared by Conv and the pools: kernel, strides,
/// dilations and the begin/end padding resolved from `auto_pad` / `pads`, plus the output size.
struct NNWindow: Equatable {
    var input: [Int]
    var kernel: [Int]
    var strides: [Int]
    var dilations: [Int]
    var padsBegin: [Int]
    var padsEnd: [Int]
    var output: [Int]

    var rank: Int { input.count }

    /// Reads `auto_pad`, `pads`, `strides` and `dilations` from the node and computes the output size
    /// (`ceilMode` rounds up as MaxPool/AveragePool `ceil_mode = 1` do; a last window that would
    /// start in the end padding is dropped, as onnxruntime and PyTorch do).
    static func resolve(_ ctx: OpContext, input: [Int], kernel: [Int], ceilMode: Bool = false,
                        allowDilations: Bool = true) throws -> NNWindow {
        let op = ctx.node.opType
        let n = input.count
        let strides = try ctx.nnInts("strides", count: n) ?? [Int](repeating: 1, count: n)
        let dilations = try ctx.nnInts("dilations", count: n) ?? [Int](repeating: 1, count: n)
        if !allowDilations, dilations.contains(where: { $0 != 1 }) {
            throw GraphError.attribute("\(op): dilations \(dilations) are not supported")
        }
        guard kernel.count == n, kernel.allSatisfy({ $0 > 0 }) else {
            throw GraphError.attribute("\(op): kernel shape \(kernel) does not fit \(n) spatial axes")
        }
        guard input.allSatisfy({ $0 > 0 }) else { throw GraphError.invalidShape("\(op): empty spatial input \(input)") }
        guard strides.allSatisfy({ $0 > 0 }) else { throw GraphError.attribute("\(op): strides \(strides) must be positive") }
        guard dilations.allSatisfy({ $0 > 0 }) else { throw GraphError.attribute("\(op): dilations \(dilations) must be positive") }
        let autoPad: String = try ctx.attr("auto_pad", default: "NOTSET")
        var g = NNWindow(input: input, kernel: kernel, strides: strides, dilations: dilations,
                               padsBegin: [Int](repeating: 0, count: n), padsEnd: [Int](repeating: 0, count: n),
                               output: [Int](repeating: 0, count: n))
        for i in 0..<n {
            let span = (kernel[i] - 1) * dilations[i] + 1
            switch autoPad {
            case "NOTSET", "":
                let pads = try ctx.nnInts("pads", count: 2 * n) ?? [Int](repeating: 0, count: 2 * n)
                guard pads.allSatisfy({ $0 >= 0 }) else { throw GraphError.attribute("\(op): pads \(pads) must not be negative") }
                g.padsBegin[i] = pads[i]; g.padsEnd[i] = pads[i + n]
                let room = input[i] + pads[i] + pads[i + n] - span
                guard room >= 0 else {
                    throw GraphError.invalidShape("\(op): window of \(span) (kernel \(kernel[i]), dilation \(dilations[i])) does not fit spatial axis \(i) of size \(input[i]) with pads \(pads[i])+\(pads[i + n])")
                }
                var out = room / strides[i] + 1
                if ceilMode {
                    out = (room + strides[i] - 1) / strides[i] + 1
                    if (out - 1) * strides[i] >= input[i] + pads[i] { out -= 1 }
                }
                g.output[i] = out
            case "VALID":
                let room = input[i] - span
                guard room >= 0 else {
                    throw GraphError.invalidShape("\(op): window of \(span) does not fit spatial axis \(i) of size \(input[i]) (auto_pad VALID)")
                }
                g.output[i] = ceilMode ? (room + strides[i] - 1) / strides[i] + 1 : room / strides[i] + 1
            case "SAME_UPPER", "SAME_LOWER":
                let out = (input[i] + strides[i] - 1) / strides[i]
                let total = max(0, (out - 1) * strides[i] + span - input[i])
                let small = total / 2, large = total - small
                g.padsBegin[i] = autoPad == "SAME_UPPER" ? small : large
                g.padsEnd[i] = autoPad == "SAME_UPPER" ? large : small
                g.output[i] = out
            default:
                throw GraphError.attribute("\(op): unknown auto_pad '\(autoPad)'")
            }
        }
        return g
    }

    /// The same geometry seen as 2-D (a 1-D window becomes height 1), for the 2-D kernels.
    func as2D(op: String) throws -> NNWindow {
        switch rank {
        case 2: return self
        case 1:
            return NNWindow(input: [1] + input, kernel: [1] + kernel, strides: [1] + strides,
                                  dilations: [1] + dilations, padsBegin: [0] + padsBegin, padsEnd: [0] + padsEnd,
                                  output: [1] + output)
        default:
            throw GraphError.invalidShape("\(op): \(rank)-D windows are not supported (1-D and 2-D are)")
        }
    }

    /// Range of output positions `o` along axis `i` for which input index `o*s - p + t*d` lies inside
    /// `0..<input` for kernel tap `t` (so inner loops need no bounds checks).
    @inline(__always)
    func validOutputs(axis i: Int, tap t: Int) -> Range<Int> {
        NNUtil.strideRange(count: output[i], stride: strides[i], offset: t * dilations[i] - padsBegin[i], limit: input[i])
    }

    /// Calls `body(ky, kx, ys, xs, yOff, xOff)` for each tap of a 2-D kernel that reaches the input
    /// from some output: `ys` / `xs` are the valid output rows / columns for that tap and output
    /// (y, x) reads input (y * strideY + yOff, x * strideX + xOff).
    @inline(__always)
    func forEachTap(_ body: (_ ky: Int, _ kx: Int, _ ys: Range<Int>, _ xs: Range<Int>, _ yOff: Int, _ xOff: Int) -> Void) {
        for ky in 0..<kernel[0] {
            let ys = validOutputs(axis: 0, tap: ky)
            if ys.isEmpty { continue }
            let yOff = ky * dilations[0] - padsBegin[0]
            for kx in 0..<kernel[1] {
                let xs = validOutputs(axis: 1, tap: kx)
                if xs.isEmpty { continue }
                body(ky, kx, ys, xs, yOff, kx * dilations[1] - padsBegin[1])
            }
        }
    }
}

extension NNUtil {
    /// The `i` in `0..<count` with `0 <= i*stride + offset < limit` (a contiguous range; stride > 0).
    @inline(__always)
    static func strideRange(count: Int, stride s: Int, offset off: Int, limit: Int) -> Range<Int> {
        let lo = off >= 0 ? 0 : (-off + s - 1) / s
        let hi = min(count, limit - off <= 0 ? 0 : (limit - off - 1) / s + 1)
        return lo < hi ? lo..<hi : 0..<0
    }
}
