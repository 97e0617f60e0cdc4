import Graph

/// The convolution path on cfcam's own AVX-512 GEMM (`FastGEMM`), used when the CPU has it.
///
/// Work is cut into tasks that the worker pool claims one at a time:
/// - many (image, group) items (batches, grouped convolutions): one task per item;
/// - otherwise each item's output columns (positions) are cut into blocks of a few hundred, a
///   multiple of the thread count so both cores finish together;
/// - small maps (fewer than ~100 positions per thread, resnet50's last stage at 7x7) cut output
///   channels instead, and so do 1x1 convolutions on small inputs (`channelsKeepLocality`).
/// - batches of small maps (outPlane < 256, group 1): several images share one GEMM, their
///   im2col columns side by side (~512 columns), so each weight is read once per block of images
///   instead of once per image; the product lands in a scratch block and is copied out per image.
///   Not for 1x1 convolutions with small weights (`smallPointwiseWeights`): one task per image.
/// A task walks the GEMM depth in slices of im2col rows (`multiplySlices`): it builds that slice for its
/// columns in a reused scratch block (L2-sized) and multiplies it in place; the first slice writes
/// the output (with the bias), later slices accumulate. 1x1 stride-1 convolutions read the input
/// directly. The output needs no zero fill: every element is written by its first slice.
extension NNConvKernels {
    static let depthSlice = 256
    static let columnBlock = 384

    struct FastTask { var item: Int; var rows: Range<Int>; var cols: Range<Int>; var images = 1 }

    static let batchedWidth = 512
    /// 1x1 stride-1 convolutions with at most this many weights (256 KiB, in L2 across images) run
    /// one GEMM per image straight on the input instead of sharing one: sharing needs the images'
    /// columns copied side by side and the product copied back out, which cost more than it saved
    /// on MobileNetV2 0.35's small maps (batch 8, one thread: 5.4 -> 4.3 ms per forward).
    static let smallPointwiseWeights = 1 << 16

    static func fastTasks(_ p: Problem, threads: Int) -> [FastTask] {
        if p.batch > 1 && p.group == 1 && p.outPlane < batchedWidth / 2
            && !(p.isPointwise && p.mg * p.depth <= smallPointwiseWeights) {
            let per = max(2, batchedWidth / max(p.outPlane, 1))
            var blocks = (p.batch + per - 1) / per
            blocks = min(p.batch, (blocks + threads - 1) / threads * threads)
            return (0..<blocks).compactMap { b in
                let r = blockRange(b, of: blocks, total: p.batch, align: 1)
                return r.isEmpty ? nil : FastTask(item: r.lowerBound, rows: 0..<p.mg, cols: 0..<p.outPlane, images: r.count)
            }
        }
        let items = p.batch * p.group
        let m = p.mg, n = p.outPlane
        let columnBlocks = max(1, (n + columnBlock - 1) / columnBlock)
        func byColumns(_ blocks: Int) -> [FastTask] {
            (0..<items).flatMap { i in
                (0..<blocks).map { b in FastTask(item: i, rows: 0..<m, cols: blockRange(b, of: blocks, total: n, align: 16)) }
            }
        }
        if threads <= 1 || items >= 2 * threads || m * n * p.depth < 1 << 17 {
            // Whole items; single-threaded problems still get column blocks (cache-sized im2col).
            return byColumns(columnBlocks)
        }
        if n >= (p.isPointwise ? 256 : 96) * threads && !channelsKeepLocality(p, threads: threads) {
            return byColumns((columnBlocks + threads - 1) / threads * threads)
        }
        let rowBlocks = max(1, min(threads, m / 8))
        return (0..<items).flatMap { i in
            (0..<rowBlocks).map { b in FastTask(item: i, rows: blockRange(b, of: rowBlocks, total: m, align: 8), cols: 0..<n) }
        }
    }

    /// A 1x1 convolution whose input is small (at most 256 KiB, read whole by every thread) and
    /// with output channels to share: threads take output channels rather than positions, so each
    /// writes whole channel planes, which the next layer (a depthwise convolution, split by
    /// channels) then reads on the core that wrote them, instead of half of every plane crossing
    /// between cores. Keras MobileNetV2 0.35 at batch 1, two threads: its 24x24 expansions took
    /// 10 to 12 µs split by positions and 7 µs on one thread.
    static func channelsKeepLocality(_ p: Problem, threads: Int) -> Bool {
        p.isPointwise && p.mg >= 16 * threads && p.outPlane * p.depth <= 1 << 16
    }

    /// Block `b` of `blocks` near-equal parts of `0..<total`, boundaries on multiples of `align`.
    static func blockRange(_ b: Int, of blocks: Int, total: Int, align: Int) -> Range<Int> {
        let per = ((total + blocks - 1) / blocks + align - 1) / align * align
        let lo = min(total, b * per), hi = min(total, lo + per)
        return lo..<hi
    }

    /// im2col rows per slice for a block `width` columns wide: narrow blocks (<= 256) take deeper
    /// slices (up to 128k floats) so the GEMM runs long K streams over the weights.
    static func sliceDepth(width: Int) -> Int {
        width <= 256 ? max(depthSlice, (1 << 17) / width) : depthSlice
    }

    /// C[rows × width] (ldc) = W[rows × depth] · B (+ bias), B built `sliceDepth` im2col rows at a
    /// time by `fill(col, k-range)` into a reused scratch block of row stride `width`: the first
    /// slice writes C (with the bias), later slices accumulate; the last one applies `activation`.
    static func multiplySlices(depth: Int, rows: Int, width: Int, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                               c: UnsafeMutablePointer<Float>, ldc: Int, activation: KernelActivation,
                               fill: (UnsafeMutablePointer<Float>, Range<Int>) -> Void) {
        let slice = sliceDepth(width: width)
        ScratchPool.shared.with(min(depth, slice) * width) { col in
            var k0 = 0
            while k0 < depth {
                let k1 = min(depth, k0 + slice)
                fill(col, k0..<k1)
                FastGEMM.sgemm(m: rows, n: width, k: k1 - k0, a: w + k0, lda: depth, b: col, ldb: width,
                               c: c, ldc: ldc, bias: k0 == 0 ? bias : nil, accumulate: k0 > 0,
                               activation: k1 == depth ? activation : .init(nil))
                k0 = k1
            }
        }
    }

    /// Output [N, M, OH, OW], then `activation` (in the GEMM's store); requires `FastGEMM.available`
    /// and a non-empty GEMM depth.
    static func fastConv(_ p: Problem, x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                         out: UnsafeMutablePointer<Float>, threads: Int, activation: KernelActivation = .init(nil)) {
        let tasks = fastTasks(p, threads: threads)
        let n = p.outPlane, depth = p.depth
        let run: (Int) -> Void = { t in
            let task = tasks[t]
            guard !task.rows.isEmpty, !task.cols.isEmpty else { return }
            let o = p.offsets(item: task.item), r0 = task.rows.lowerBound, g = task.item % p.group
            let xg = x + o.input
            let wg = w + o.weight + r0 * depth
            let og = out + o.output + r0 * n + task.cols.lowerBound
            let bg = bias.map { $0 + g * p.mg + r0 }
            let rows = task.rows.count, width = task.cols.count
            if task.images > 1 {
                batchedTask(p, x: xg, w: wg, bias: bg, out: og, images: task.images, activation: activation)
            } else if p.isPointwise {
                FastGEMM.sgemm(m: rows, n: width, k: depth, a: wg, lda: depth, b: xg + task.cols.lowerBound, ldb: n,
                               c: og, ldc: n, bias: bg, activation: activation)
            } else {
                multiplySlices(depth: depth, rows: rows, width: width, w: wg, bias: bg, c: og, ldc: n,
                               activation: activation) { col, ks in
                    im2col(p, x: xg, col: col, cols: task.cols, rows: ks, firstRow: ks.lowerBound)
                }
            }
        }
        if tasks.count == 1 { run(0); return }
        parallelChunks(tasks.count, threads: threads) { r in for t in r { run(t) } }
    }

    /// `images` consecutive images (group 1, whole maps) as one GEMM over their side-by-side columns.
    static func batchedTask(_ p: Problem, x: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                            out: UnsafeMutablePointer<Float>, images: Int, activation: KernelActivation) {
        let n = p.outPlane, m = p.mg, width = images * n
        ScratchPool.shared.with(m * width) { c in
            multiplySlices(depth: p.depth, rows: m, width: width, w: w, bias: bias, c: c, ldc: width,
                           activation: activation) { col, ks in
                for i in 0..<images {
                    im2col(p, x: x + i * p.inChannels * p.inPlane, col: col + i * n, cols: 0..<n, rows: ks,
                           firstRow: ks.lowerBound, rowStride: width)
                }
            }
            for i in 0..<images {
                let dst = out + i * p.outChannels * n
                for r in 0..<m { (dst + r * n).update(from: c + r * width + i * n, count: n) }
            }
        }
    }
}
