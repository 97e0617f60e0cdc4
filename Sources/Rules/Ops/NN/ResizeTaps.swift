/// Per-axis interpolation taps for `Resize`: for every output position, `width` input indices and
/// weights. Nearest has 1 tap, linear 2, cubic 4; N-D resizing applies the axes one after another.
struct NNResizeTaps {
    var width: Int
    var index: [Int]
    var weight: [Float]

    /// Settings shared by every axis.
    struct Mode {
        var mode: String               // nearest, linear, cubic
        var transform: String          // coordinate_transformation_mode
        var nearest: String            // nearest_mode
        var cubicA: Float
        var excludeOutside: Bool
    }

    /// Input coordinate of output position `x` (float arithmetic, as onnxruntime does).
    static func sourceCoordinate(_ x: Int, scale: Float, outLen: Int, inLen: Int, transform: String) -> Float {
        let xf = Float(x)
        switch transform {
        case "asymmetric": return xf / scale
        case "align_corners": return outLen == 1 ? 0 : xf * Float(inLen - 1) / Float(outLen - 1)
        case "pytorch_half_pixel": return outLen > 1 ? (xf + 0.5) / scale - 0.5 : 0
        case "half_pixel_symmetric":
            let adjustment = Float(outLen) / (scale * Float(inLen))
            let center = Float(inLen) / 2
            let offset = center * (1 - adjustment)
            return offset + (xf + 0.5) / scale - 0.5
        default: return (xf + 0.5) / scale - 0.5   // half_pixel
        }
    }

    /// Rounds a source coordinate to an index by `nearest_mode`.
    static func nearestIndex(_ v: Float, mode: String) -> Int {
        let fl = v.rounded(.down), half = v - fl == 0.5
        let r: Float
        switch mode {
        case "floor": r = fl
        case "ceil": r = v.rounded(.up)
        case "round_prefer_ceil": r = half ? fl + 1 : v.rounded(.toNearestOrAwayFromZero)
        default: r = half ? fl : v.rounded(.toNearestOrAwayFromZero)   // round_prefer_floor
        }
        return NNUtil.clampedInt(r)
    }

    /// Keys cubic convolution weights for fractional offset `s` (taps at floor-1 ... floor+2).
    static func cubicWeights(_ s: Float, a: Float) -> [Float] {
        let s1 = s + 1, s2 = 1 - s, s3 = 2 - s
        return [((a * s1 - 5 * a) * s1 + 8 * a) * s1 - 4 * a,
                ((a + 2) * s - (a + 3)) * s * s + 1,
                ((a + 2) * s2 - (a + 3)) * s2 * s2 + 1,
                ((a * s3 - 5 * a) * s3 + 8 * a) * s3 - 4 * a]
    }

    init(inLen: Int, outLen: Int, scale: Float, _ m: Mode) {
        let last = inLen - 1
        func clamp(_ i: Int) -> Int { min(max(i, 0), last) }
        switch m.mode {
        case "nearest":
            width = 1
            index = (0..<outLen).map { o in
                clamp(NNResizeTaps.nearestIndex(NNResizeTaps.sourceCoordinate(o, scale: scale, outLen: outLen, inLen: inLen, transform: m.transform), mode: m.nearest))
            }
            weight = [Float](repeating: 1, count: outLen)
        case "linear":
            width = 2
            index = []; weight = []
            for o in 0..<outLen {
                var v = NNResizeTaps.sourceCoordinate(o, scale: scale, outLen: outLen, inLen: inLen, transform: m.transform)
                v = min(max(v, 0), Float(last))
                let i0 = NNUtil.clampedInt(v.rounded(.down)), w1 = v - Float(i0)
                index += [clamp(i0), clamp(i0 + 1)]
                weight += [1 - w1, w1]
            }
        default:   // cubic
            width = 4
            index = []; weight = []
            for o in 0..<outLen {
                let v = NNResizeTaps.sourceCoordinate(o, scale: scale, outLen: outLen, inLen: inLen, transform: m.transform)
                let f = v.rounded(.down), i0 = NNUtil.clampedInt(f)
                var w = NNResizeTaps.cubicWeights(v - f, a: m.cubicA)
                if m.excludeOutside {
                    for t in 0..<4 where i0 - 1 + t < 0 || i0 - 1 + t > last { w[t] = 0 }
                    let sum = w.reduce(0, +)
                    if sum != 0 { w = w.map { $0 / sum } }
                }
                for t in 0..<4 { index.append(clamp(i0 - 1 + t)); weight.append(w[t]) }
            }
        }
    }
}
