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
