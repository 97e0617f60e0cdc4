import CKernels
import Graph

/// 1x1 convolutions on maps of at most `CFCAM_NARROW_MAX` (9) positions (a 3x3 map, the last
/// stage of small mobile networks), on cfcam's transposed narrow kernel
/// (`Sources/CKernels/sgemm_narrow.c`): output channels in the vector lanes instead of positions,
/// so 9 positions no longer fill 9 of 16 lanes (MobileNetV2's (1280, 9, 112) product: 41 -> 24 µs,
/// docs/performance.md). Batches run image by image (`narrowBatchWeights`). It reads W in panels
/// of 48 channels (`cfcam_sgemm_narrow_pack`), packed once per constant weight array and cached
/// (`NarrowWeights`), so only a graph's own weights take this path, like Winograd's.
extension NNConvKernels {
    /// Batches take the narrow path image by image while the weights stay in L2 across images
    /// (1 MiB); larger weights keep the shared GEMM, which reads them once per block of images.
    static let narrowBatchWeights = 1 << 18

    static func narrowFits(_ p: Problem) -> Bool {
        FastGEMM.enabled && p.isPointwise && p.group == 1 && p.depth > 0
            && p.outPlane >= 1 && p.outPlane <= Int(CFCAM_NARROW_MAX)
            && (p.batch == 1 || p.mg * p.depth <= narrowBatchWeights)
    }

    /// Output [1, M, OH, OW] into `out`, then `activation`; requires `narrowFits(p)`. Large
    /// products split their output channels (whole 48-channel panels) across threads; small ones
    /// run on the calling thread.
    static func narrowConv(_ p: Problem, x: UnsafePointer<Float>, w: [Float], bias: UnsafePointer<Float>?,
                           out: UnsafeMutablePointer<Float>, threads: Int, activation: KernelActivation) {
        let m = p.outChannels, n = p.outPlane, depth = p.depth
        let packed = NarrowWeights.packed(w, rows: m, cols: depth)
        let perImage = threads > 1 && p.batch < threads && m * n * depth >= 1 << 17 ? min(threads, max(1, m / 48)) : 1
        let blocks = p.batch * perImage
        packed.withUnsafeBufferPointer { pb in w.withUnsafeBufferPointer { wb in
            guard let pp = pb.baseAddress, let wp = wb.baseAddress else { return }
            let run: (Int) -> Void = { t in
                let r = blockRange(t % perImage, of: perImage, total: m, align: 48)
                guard !r.isEmpty else { return }
                let x = x + (t / perImage) * depth * n, out = out + (t / perImage) * m * n
                let done = ScratchPool.shared.with(cfcam_sgemm_narrow_scratch(n, depth)) { scratch in
                    cfcam_sgemm_narrow(r.count, n, depth, pp + r.lowerBound * depth, x, n, out + r.lowerBound * n, n,
                                       bias.map { $0 + r.lowerBound }, activation.kind, activation.lo, activation.hi,
                                       scratch)
                }
                if done == 0 {   // not reached (narrowFits checked the shape and the CPU); stay correct
                    FastGEMM.sgemm(m: r.count, n: n, k: depth, a: wp + r.lowerBound * depth, lda: depth, b: x, ldb: n,
                                   c: out + r.lowerBound * n, ldc: n, bias: bias.map { $0 + r.lowerBound },
                                   activation: activation)
                }
            }
            if blocks == 1 { run(0); return }
            parallelChunks(blocks, threads: threads) { r in for b in r { run(b) } }
        } }
    }
}

/// Batches of 1x1 convolutions on small maps (10 to `lanesMaxPlane` positions: 7x7 and 14x14
/// stages) with the same packed panels and output channels in the lanes, reading the input in
/// place in blocks of 8 positions (`cfcam_sgemm_lanes`). Every image runs over one 48-channel
/// panel while it sits in L2, so each weight is read once per forward pass, with no side-by-side
/// copy of the images' columns and no copy back out (the shared-GEMM path for batches of small
/// maps needs both).
/// MobileNetV2 at batch 8: its 7x7 projections ran in 0.6 to 0.75 of their time. A single image
/// keeps the GEMM path: the same speed there (measured on one core, 7x7 and 14x14 shapes). So do
/// depths below 64: the 16x16 transposes before the stores cost more than a short product saves.
extension NNConvKernels {
    static let lanesMaxPlane = 256
    /// `CFCAM_LANES=0` keeps these layers on the shared GEMM (A/B benchmarks).
    nonisolated(unsafe) static var lanesEnabled = getenvString("CFCAM_LANES") != "0"

    static func lanesFits(_ p: Problem) -> Bool {
        lanesEnabled && FastGEMM.enabled && p.isPointwise && p.group == 1 && p.depth >= 64
            && p.outPlane > Int(CFCAM_NARROW_MAX) && p.outPlane < lanesMaxPlane && p.batch > 1
    }

    /// Output [N, M, OH, OW] into `out`, then `activation`; requires `lanesFits(p)`. Threads take
    /// whole panels when there are enough to share evenly (4 per thread), otherwise every panel
    /// for their share of the images.
    static func lanesConv(_ p: Problem, x: UnsafePointer<Float>, w: [Float], bias: UnsafePointer<Float>?,
                          out: UnsafeMutablePointer<Float>, threads: Int, activation: KernelActivation) {
        let m = p.outChannels, n = p.outPlane, depth = p.depth, panels = (m + 47) / 48
        let packed = NarrowWeights.packed(w, rows: m, cols: depth)
        let small = m * n * depth * p.batch < 1 << 17
        let byImages = !small && threads > 1 && panels < 4 * threads && p.batch >= threads
        let tasks = small ? 1 : byImages ? min(threads, p.batch) : min(threads, panels)
        packed.withUnsafeBufferPointer { pb in
            guard let pp = pb.baseAddress else { return }
            let run: (Int) -> Void = { t in
                let images = byImages ? blockRange(t, of: tasks, total: p.batch, align: 1) : 0..<p.batch
                let panelRange = byImages ? 0..<panels : blockRange(t, of: tasks, total: panels, align: 1)
                guard !images.isEmpty, !panelRange.isEmpty else { return }
                let done = cfcam_sgemm_lanes(m, n, depth, images.count, pp, panelRange.lowerBound,
                                             panelRange.upperBound, x + images.lowerBound * depth * n, n, depth * n,
                                             out + images.lowerBound * m * n, n, m * n, bias, activation.kind,
                                             activation.lo, activation.hi)
                if done == 0 {   // not reached (lanesFits checked the shape and the CPU); stay correct
                    w.withUnsafeBufferPointer { wb in
                        guard let wp = wb.baseAddress else { return }
                        let r0 = panelRange.lowerBound * 48, r1 = min(m, panelRange.upperBound * 48)
                        for i in images {
                            FastGEMM.sgemm(m: r1 - r0, n: n, k: depth, a: wp + r0 * depth, lda: depth,
                                           b: x + i * depth * n, ldb: n, c: out + i * m * n + r0 * n, ldc: n,
                                           bias: bias.map { $0 + r0 }, activation: activation)
                        }
                    }
                }
            }
            if tasks == 1 { run(0); return }
            parallelChunks(tasks, threads: threads) { r in for t in r { run(t) } }
        }
    }
}

/// Constant weight arrays packed for the narrow kernel (`DerivedWeights`; 128 MiB, MobileNetV2's
/// 3x3-map 1x1 weights take ~1 MiB).
enum NarrowWeights {
    static let shared = DerivedWeights(limit: 1 << 25)

    /// w [rows x cols] -> its panels (`cfcam_sgemm_narrow_pack`).
    static func packed(_ w: [Float], rows: Int, cols: Int) -> [Float] {
        shared.get(w, shape: [rows, cols], size: cfcam_sgemm_narrow_packed_size(rows, cols)) { src, dst in
            cfcam_sgemm_narrow_pack(src, rows, cols, dst)
        }
    }
}
