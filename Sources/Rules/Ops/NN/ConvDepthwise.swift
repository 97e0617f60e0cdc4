import CKernels
import Graph

/// A `FusedActivation` as the C kernels take it (`CFCAM_ACT_*`, clip bounds).
struct KernelActivation {
    var kind: Int32 = Int32(CFCAM_ACT_NONE), lo: Float = 0, hi: Float = 0

    init(_ a: FusedActivation?) {
        switch a {
        case .relu?: kind = Int32(CFCAM_ACT_RELU)
        case let .clip(lo, hi)?: kind = Int32(CFCAM_ACT_CLIP); self.lo = lo; self.hi = hi
        case .hardSwish?: kind = Int32(CFCAM_ACT_HARDSWISH)
        case .sigmoid?: kind = Int32(CFCAM_ACT_SIGMOID)
        case .silu?: kind = Int32(CFCAM_ACT_SILU)
        case nil: break
        }
    }

    /// y = act(y) in place over `count` floats, in parallel blocks.
    func apply(_ y: UnsafeMutablePointer<Float>, count: Int, threads: Int, simd: Bool) {
        guard kind != Int32(CFCAM_ACT_NONE) else { return }
        parallelChunks(count, threads: threads, minChunk: 1 << 15) { r in
            cfcam_activate_simd(y + r.lowerBound, r.count, kind, lo, hi, simd ? 1 : 0)
        }
    }
}

/// The direct depthwise convolution in C. Wide maps at stride 1 or 2 read each plane in place,
/// several output rows and vectors at a time (`Sources/CKernels/depthwise_direct.c`); other
/// geometries copy each plane into a zero-padded scratch block split into stride phases, so every
/// tap is a contiguous vector load (`depthwise.c`). Either way the bias and the fused activation
/// are applied before the store. Planes (image, channel) are split across threads.
extension NNConvKernels {
    /// `packed`: the weights packed for the blocked kernel (`BlockedDepthwiseWeights`), when they
    /// are a graph's constant weights and the layer takes that kernel.
    static func directDepthwise(_ p: Problem, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                                packed: UnsafePointer<Float>? = nil, bias: [Float]?,
                                out: UnsafeMutablePointer<Float>, threads: Int, activation: KernelActivation) {
        var win = p.window
        if FastGEMM.enabled && blockedDepthwiseFits(p) {
            blockedDepthwise(p, win: win, x: x, w: w, packed: packed, bias: bias, out: out, threads: threads,
                             activation: activation)
            return
        }
        // Wide maps at stride 1 or 2 read the input directly (`depthwise_direct.c`); the rest
        // (other strides, dilations, wide kernels, no AVX-512) take the padded-copy kernel.
        let direct = FastGEMM.enabled && directDepthwiseEnabled && cfcam_depthwise_direct_fits(&win) != 0
        let scratch = direct ? cfcam_depthwise_direct_scratch(&win) : cfcam_depthwise_scratch(&win)
        let planes = p.batch * p.outChannels
        let simd: Int32 = FastGEMM.enabled ? 1 : 0
        func body(_ r: Range<Int>, _ b: UnsafePointer<Float>?) {
            ScratchPool.shared.with(scratch) { s in
                var w2 = win
                if direct && cfcam_depthwise_direct(&w2, x, w, b, out, r.lowerBound, r.upperBound, p.outChannels, p.mg,
                                                    s, activation.kind, activation.lo, activation.hi) != 0 { return }
                cfcam_depthwise(&w2, x, w, b, out, r.lowerBound, r.upperBound, p.outChannels, p.mg, s,
                                activation.kind, activation.lo, activation.hi, simd)
            }
        }
        func all(_ b: UnsafePointer<Float>?) {
            // Enough planes per task to amortise the hand-off; small maps take more.
            let minChunk = max(1, 4096 / max(1, p.outPlane))
            parallelChunks(planes, threads: threads, minChunk: minChunk) { r in body(r, b) }
        }
        if let bias { bias.withUnsafeBufferPointer { all($0.baseAddress) } } else { all(nil) }
    }

    /// `CFCAM_DEPTHWISE_DIRECT=0` keeps wide maps on the padded-copy plane kernel (A/B benchmarks).
    nonisolated(unsafe) static var directDepthwiseEnabled = getenvString("CFCAM_DEPTHWISE_DIRECT") != "0"

    /// `CFCAM_DEPTHWISE_BLOCKED=0` keeps every depthwise layer on the plane kernel (A/B benchmarks).
    nonisolated(unsafe) static var blockedDepthwiseEnabled = getenvString("CFCAM_DEPTHWISE_BLOCKED") != "0"

    /// Which kernel a depthwise layer with one output channel per input channel takes, from
    /// single-core timings of the three (batch 1 and 8, 3x3 and 5x5, stride 1 and 2, 6 to 112 wide):
    /// - 3x3 (up to 9 taps): 16 channels in the vector lanes (`cfcam_depthwise_blocked`) below 20
    ///   wide (1.5x the direct kernel at 12 wide, 2.5x at 6); the direct kernel from 20 wide (1.25x
    ///   the blocked one at 24 wide, stride 2), where it fits; else the blocked one below 28 wide.
    /// - 5x5 and 7x7: the blocked kernel up to 56 wide (1.2x the direct one at 56 wide, 1.5x at 28).
    /// The plane kernel (`cfcam_depthwise`) takes the rest.
    static func blockedDepthwiseFits(_ p: Problem) -> Bool {
        let taps = p.geo.kernel[0] * p.geo.kernel[1], ow = p.geo.output[1]
        guard blockedDepthwiseEnabled && p.mg == 1 && taps <= 64 else { return false }
        if taps > 9 { return ow <= 56 }
        if ow < 20 { return true }
        return ow < 28 && !(directDepthwiseEnabled && directFits(p))
    }

    /// The direct kernel's own test (`cfcam_depthwise_direct_fits`) for this problem's geometry.
    static func directFits(_ p: Problem) -> Bool {
        var win = p.window
        return cfcam_depthwise_direct_fits(&win) != 0
    }

    /// Blocks of (image, 16 channels) split across threads, each with its own scratch.
    static func blockedDepthwise(_ p: Problem, win: cfcam_window, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                                 packed: UnsafePointer<Float>?, bias: [Float]?, out: UnsafeMutablePointer<Float>,
                                 threads: Int, activation: KernelActivation) {
        var win = win
        let scratch = cfcam_depthwise_blocked_scratch(&win)
        let blocks = p.batch * ((p.outChannels + 15) / 16)
        // Too few blocks to share evenly (3 blocks on 2 threads run 2 + 1) also split output rows.
        let splits = threads > 1 && blocks < 4 * threads ? min(p.geo.output[0], (2 * threads + blocks - 1) / blocks) : 1
        func all(_ b: UnsafePointer<Float>?) {
            // About 16k multiply-adds per task at least, so tiny layers stay on one thread.
            let perTask = 16 * p.outPlane * p.geo.kernel[0] * p.geo.kernel[1] / splits
            parallelChunks(blocks * splits, threads: threads, minChunk: max(1, (1 << 14) / max(1, perTask))) { r in
                ScratchPool.shared.with(scratch) { s in
                    var w2 = win
                    cfcam_depthwise_blocked(&w2, x, w, packed, b, out, r.lowerBound, r.upperBound, p.outChannels,
                                            splits, s, activation.kind, activation.lo, activation.hi)
                }
            }
        }
        if let bias { bias.withUnsafeBufferPointer { all($0.baseAddress) } } else { all(nil) }
    }
}

/// Constant depthwise weights packed for the blocked kernel (`cfcam_depthwise_blocked_pack`: each
/// 16-channel block's taps as channel vectors), made once per weight array (`DerivedWeights`).
/// Building them per block per run was a quarter of the kernel's time on 3x3 and 6x6 maps
/// (MobileNetV2's last stages). One-off weights (LRP's modified copies) are packed per block as before.
enum BlockedDepthwiseWeights {
    static let shared = DerivedWeights(limit: 1 << 24)

    static func packed(_ w: [Float], channels: Int, taps: Int) -> [Float] {
        shared.get(w, shape: [channels, taps], size: cfcam_depthwise_blocked_packed_size(channels, taps)) { src, dst in
            guard let src, let dst else { return }
            cfcam_depthwise_blocked_pack(src, channels, taps, dst)
        }
    }
}
