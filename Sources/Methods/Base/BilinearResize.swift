/// Bilinear resize of one h x w map.
///
/// `alignCorners: false` (the default; docs/methods.md, "Conventions"): half-pixel centres, the
/// source coordinate is (dst + 0.5)·(in/out) − 0.5, clamped to [0, in − 1]. This is both PyTorch
/// `interpolate(mode="bilinear", align_corners=False)` and OpenCV `cv2.resize(..., INTER_LINEAR)`,
/// which pytorch-grad-cam uses for its final maps (`scale_cam_image`); both clamp a negative source
/// coordinate to 0 and use the last row/column beyond the end. (cv2 keeps the interpolation
/// weights in float32, this keeps them in double: differences are ~1e-7.)
/// `alignCorners: true` (convention 3, `UpsamplingBilinear2d`, pytorch-grad-cam's Score-CAM masks):
/// source = dst·(in − 1)/(out − 1).
public struct BilinearResize: Sendable {
    struct Axis: Sendable {
        var i0: [Int], i1: [Int], t: [Float]
        init(input: Int, output: Int, alignCorners: Bool) {
            i0 = []; i1 = []; t = []
            for d in 0..<output {
                var s: Double
                if alignCorners {
                    s = output > 1 ? Double(d) * Double(input - 1) / Double(output - 1) : 0
                } else {
                    s = (Double(d) + 0.5) * Double(input) / Double(output) - 0.5
                    if s < 0 { s = 0 }
                }
                var a = Int(s.rounded(.down))
                if a > input - 1 { a = input - 1 }
                let b = min(a + 1, input - 1)
                i0.append(a); i1.append(b); t.append(b == a ? 0 : Float(s - Double(a)))
            }
        }
    }
    let inW: Int, outW: Int
    let ys: Axis, xs: Axis

    public init(inH: Int, inW: Int, outH: Int, outW: Int, alignCorners: Bool) {
        self.inW = inW; self.outW = outW
        ys = Axis(input: inH, output: outH, alignCorners: alignCorners)
        xs = Axis(input: inW, output: outW, alignCorners: alignCorners)
    }

    /// Resizes the inH x inW map at `src[srcOffset...]` into the outH x outW map at `dst[dstOffset...]`
    /// (the caller sizes both buffers; indices are checked in debug builds).
    func apply(_ src: UnsafeBufferPointer<Float>, _ dst: UnsafeMutableBufferPointer<Float>, srcOffset: Int = 0, dstOffset: Int = 0) {
        for y in ys.i0.indices {
            let r0 = srcOffset + ys.i0[y] * inW, r1 = srcOffset + ys.i1[y] * inW, ty = ys.t[y]
            let out = dstOffset + y * outW
            for x in xs.i0.indices {
                let a = xs.i0[x], b = xs.i1[x], tx = xs.t[x]
                let top = src[r0 + a] + (src[r0 + b] - src[r0 + a]) * tx
                let bottom = src[r1 + a] + (src[r1 + b] - src[r1 + a]) * tx
                dst[out + x] = top + (bottom - top) * ty
            }
        }
    }

    /// Resizes one map held in an array into `out` (resized to outH x outW).
    func apply(_ src: [Float], into out: inout [Float]) {
        if out.count != ys.i0.count * outW { out = [Float](repeating: 0, count: ys.i0.count * outW) }
        src.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { d in apply(s, d) } }
    }
}
