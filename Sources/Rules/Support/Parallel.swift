/// Splits `0..<count` into at most `threads` contiguous chunks and runs `body(range)` on each,
/// concurrently on cfcam's `WorkerPool` when `threads > 1` and there is enough work (`minChunk`
/// items per chunk). Nested calls run inline.
@inline(__always)
public func parallelChunks(_ count: Int, threads: Int, minChunk: Int = 1, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let chunks = max(1, min(threads, count / max(1, minChunk)))
    if chunks == 1 { body(0..<count); return }
    let per = (count + chunks - 1) / chunks
    WorkerPool.shared.run(chunks) { c in
        let lo = c * per, hi = min(count, lo + per)
        if lo < hi { body(lo..<hi) }
    }
}
