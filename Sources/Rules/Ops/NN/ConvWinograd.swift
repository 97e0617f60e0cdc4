import CKernels
import Graph
import Synchronization

/// Winograd F(4x4, 3x3) for 3x3 stride-1 convolutions (`Sources/CKernels/winograd.c`).
///
/// 36 multiplies per 4x4 output tile and channel pair instead of 144, at the price of transforms
/// and of rounding: results differ from the direct path by a few float32 ulps of the largest
/// partial sums (relative error ~1e-6..1e-5, the same order as onnxruntime against PyTorch).
/// Used when `FastGEMM.enabled` (an AVX-512 CPU), `Winograd.enabled` is on (`CFCAM_WINOGRAD=0`
/// turns it off) and the batch has at least `Winograd.minTiles` tiles.
/// The weights' transform is computed once per weight array and cached (`WinogradWeights`), so
/// only a graph's own weights (`OpContext.isConstant`) take this path: transforming one-off weights
/// (LRP's modified copies) would cost more than the convolution.
public enum Winograd {
    nonisolated(unsafe) public static var enabled: Bool = getenvString("CFCAM_WINOGRAD") != "0"
    /// Fewest tiles (4x4 outputs, whole batch) worth the transforms. Small late-stage maps at
    /// batch 1 (7x7: 4 tiles, 14x14: 16) read 4x more weight data than they save in arithmetic;
    /// the direct path is faster there (measured on resnet50, docs/performance.md). Tests lower it.
    nonisolated(unsafe) public static var minTiles = 32
    /// Convolutions run on this path since the process started (tests check the path was taken).
    public static var runs: Int { counter.load(ordering: .relaxed) }
    static let counter = Atomic<Int>(0)
    /// Frees the cached transformed weights (4x a model's eligible 3x3 weights, up to 512 MiB),
    /// e.g. after dropping a model; they are rebuilt on the next forward that needs them.
    public static func releaseCachedWeights() { WinogradWeights.shared.removeAll() }
}

extension NNConvKernels {
    /// Tiles per worker task: enough rows for the GEMMs, small enough that a task's transformed
    /// input and products stay near L2.
    static let winogradBlock = 64

    static func winogradGeometry(_ p: Problem) -> cfcam_wino? {
        let g = p.geo
        guard Winograd.enabled, FastGEMM.enabled, p.group == 1, g.kernel == [3, 3], g.strides == [1, 1],
              g.dilations == [1, 1], p.inChannels >= 16, p.outChannels >= 16 else { return nil }
        var w = cfcam_wino(c: p.inChannels, k: p.outChannels, ih: g.input[0], iw: g.input[1],
                           oh: g.output[0], ow: g.output[1], pt: g.padsBegin[0], pl: g.padsBegin[1])
        guard cfcam_wino_tiles(&w) * p.batch >= max(1, Winograd.minTiles) else { return nil }
        return w
    }

    /// Output [N, K, OH, OW] into `out`, then `activation` (in the output transform's store);
    /// `geometry` from `winogradGeometry`.
    ///
    /// Batches with at least two images per thread run as tasks of whole images (enough of them
    /// for `winogradBlock` tiles): each task packs its images into its own scratch and transforms
    /// them while they are in cache. Smaller batches pack every image first (channel blocks in
    /// parallel), then split the tiles across threads.
    static func winogradConv(_ p: Problem, geometry: cfcam_wino, x: UnsafePointer<Float>, w: [Float],
                             bias: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>, threads: Int,
                             activation: KernelActivation) {
        var g = geometry
        Winograd.counter.add(1, ordering: .relaxed)
        let u = WinogradWeights.transformed(w, geometry: g)
        let packSize = cfcam_wino_pack_size(&g)
        let blocks = (p.inChannels + 15) / 16
        let perImage = cfcam_wino_tiles(&g)
        let imageIn = p.inChannels * p.inPlane, imageOut = p.outChannels * p.outPlane
        /// Tiles `tiles` of images starting at `first`, packed in `xt`, in equal blocks of at most
        /// `winogradBlock` (196 tiles: 4 x 49, not 3 x 64 + 4).
        func transform(_ ub: UnsafePointer<Float>, xt: UnsafePointer<Float>, first: Int, tiles: Range<Int>) {
            let count = (tiles.count + winogradBlock - 1) / winogradBlock
            let per = (tiles.count + count - 1) / max(count, 1)
            var t0 = tiles.lowerBound
            while t0 < tiles.upperBound {
                let t1 = min(tiles.upperBound, t0 + per)
                ScratchPool.shared.with(cfcam_wino_block_size(&g, t1 - t0)) { scratch in
                    cfcam_wino_block(&g, ub, xt, packSize, t0, t1, scratch, bias, activation.kind, activation.lo,
                                     activation.hi, out + first * imageOut)
                }
                t0 = t1
            }
        }
        u.withUnsafeBufferPointer { ub in
            guard let ub = ub.baseAddress else { return }
            if p.batch >= 2 * threads && threads > 1 {
                let images = max(1, min(p.batch / threads, (winogradBlock + perImage - 1) / perImage))
                let groups = (p.batch + images - 1) / images
                parallelChunks(groups, threads: threads) { r in
                    for group in r {
                        let n0 = group * images, n1 = min(p.batch, n0 + images)
                        ScratchPool.shared.with(packSize * (n1 - n0)) { xt in
                            for n in n0..<n1 { cfcam_wino_pack(&g, x + n * imageIn, xt + (n - n0) * packSize, 0, blocks) }
                            transform(ub, xt: xt, first: n0, tiles: 0..<((n1 - n0) * perImage))
                        }
                    }
                }
                return
            }
            // Equal blocks, a multiple of the thread count (49 tiles on 2 threads: 25 + 24, not
            // 32 + 17).
            let tiles = perImage * p.batch
            let tasks = ((tiles + winogradBlock - 1) / winogradBlock + threads - 1) / threads * threads
            let per = (tiles + tasks - 1) / tasks
            ScratchPool.shared.with(packSize * p.batch) { xt in
                parallelChunks(p.batch * blocks, threads: threads) { r in
                    for i in r {
                        let n = i / blocks, cb = i % blocks
                        cfcam_wino_pack(&g, x + n * imageIn, xt + n * packSize, cb, cb + 1)
                    }
                }
                parallelChunks(tasks, threads: threads) { r in
                    for t in r { transform(ub, xt: xt, first: 0, tiles: (t * per)..<min(tiles, (t + 1) * per)) }
                }
            }
        }
    }
}

/// Transformed Winograd weights, cached per weight array (`DerivedWeights`; 512 MiB: resnet50 at
/// batch 8 needs ~190 MiB).
enum WinogradWeights {
    static let shared = DerivedWeights(limit: 1 << 27)

    static func transformed(_ w: [Float], geometry: cfcam_wino) -> [Float] {
        var g = geometry
        return shared.get(w, shape: [g.c, g.k], size: cfcam_wino_weights_size(&g)) { src, dst in
            cfcam_wino_weights(&g, src, dst)
        }
    }
}
