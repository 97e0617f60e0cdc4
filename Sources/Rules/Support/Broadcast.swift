import CKernels
import Graph

/// NumPy-style broadcasting: result shapes, aligned strides, and elementwise maps that walk the
/// operands through precomputed strides (no per-element index arrays).
public enum Broadcast {
    /// The broadcast of `a` and `b` (NumPy rules: align trailing dimensions; a dimension of 1
    /// stretches). Throws when some aligned pair differs and neither is 1.
    public static func shape(_ a: [Int], _ b: [Int]) throws -> [Int] {
        let r = max(a.count, b.count)
        var out = [Int](repeating: 1, count: r)
        for i in 0..<r {
            let da = i < r - a.count ? 1 : a[i - (r - a.count)]
            let db = i < r - b.count ? 1 : b[i - (r - b.count)]
            if da == db || db == 1 { out[i] = da } else if da == 1 { out[i] = db } else {
                throw GraphError.invalidShape("shapes \(a) and \(b) cannot be broadcast together (dimension \(i): \(da) vs \(db))")
            }
        }
        return out
    }

    /// The broadcast of every shape in `shapes` (a scalar shape for an empty list).
    public static func shape(_ shapes: [[Int]]) throws -> [Int] {
        var out: [Int] = []
        for s in shapes { out = try shape(out, s) }
        return out
    }

    /// Element strides of a contiguous tensor of `shape` when read as `target` (which `shape`
    /// must broadcast to): 0 along broadcast dimensions, one entry per dimension of `target`.
    public static func strides(_ shape: [Int], to target: [Int]) -> [Int] {
        let own = Axes.strides(of: shape)
        let lead = target.count - shape.count
        return (0..<target.count).map { i in
            i < lead ? 0 : (shape[i - lead] == 1 && target[i] != 1 ? 0 : own[i - lead])
        }
    }

    /// `out[i] = f(a[i])` over a contiguous buffer, split across `threads` for large inputs.
    @inlinable @inline(__always)
    public static func map<A, R: BitwiseCopyable>(_ a: [A], threads: Int, _ f: (A) -> R) -> [R] {
        a.withUnsafeBufferPointer { pa in
            [R](unsafeUninitializedCapacity: pa.count) { po, n in
                parallelChunks(pa.count, threads: threads, minChunk: Broadcast.minParallelElements) { r in
                    for i in r { po[i] = f(pa[i]) }
                }
                n = pa.count
            }
        }
    }

    /// `out = f(a, b)` with NumPy broadcasting; returns the result shape and values.
    /// Equal shapes take a flat fast path; otherwise rows of the innermost (collapsed) dimension
    /// are walked with per-operand strides.
    @inlinable @inline(__always)
    public static func map<A, B, R: BitwiseCopyable>(_ a: [A], _ aShape: [Int], _ b: [B], _ bShape: [Int],
                                                     threads: Int, _ f: (A, B) -> R) throws -> (shape: [Int], values: [R]) {
        let outShape = aShape == bShape ? aShape : try shape(aShape, bShape)
        let count = try Axes.checkedCount(outShape)
        let values = a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                [R](unsafeUninitializedCapacity: count) { po, n in
                    if aShape == bShape {
                        // Base pointers in locals (see `gather`): the loop then keeps them in
                        // registers. Empty operands have none, and nothing to compute.
                        if let xa = pa.baseAddress, let xb = pb.baseAddress, let xo = po.baseAddress {
                            parallelChunks(count, threads: threads, minChunk: Broadcast.minParallelElements) { r in
                                for i in r { xo[i] = f(xa[i], xb[i]) }
                            }
                        }
                    } else {
                        let loop = StridedLoop(shape: outShape, strides: [strides(aShape, to: outShape), strides(bShape, to: outShape)])
                        let inner = loop.inner, sa = loop.innerStride(0), sb = loop.innerStride(1)
                        parallelChunks(loop.rows, threads: threads, minChunk: max(1, Broadcast.minParallelElements / inner)) { rows in
                            loop.forEachRow(rows) { o, offs in
                                let ia = offs[0], ib = offs[1]
                                if sa == 1 && sb == 1 {
                                    for k in 0..<inner { po[o + k] = f(pa[ia + k], pb[ib + k]) }
                                } else if sa == 1 && sb == 0 {
                                    let vb = pb[ib]
                                    for k in 0..<inner { po[o + k] = f(pa[ia + k], vb) }
                                } else if sa == 0 && sb == 1 {
                                    let va = pa[ia]
                                    for k in 0..<inner { po[o + k] = f(va, pb[ib + k]) }
                                } else {
                                    for k in 0..<inner { po[o + k] = f(pa[ia + k * sa], pb[ib + k * sb]) }
                                }
                            }
                        }
                    }
                    n = count
                }
            }
        }
        return (outShape, values)
    }

    /// `out = f(a, b, c)` with NumPy broadcasting of all three operands (e.g. Where).
    @inlinable @inline(__always)
    public static func map<A, B, C, R: BitwiseCopyable>(_ a: [A], _ aShape: [Int], _ b: [B], _ bShape: [Int],
                                                        _ c: [C], _ cShape: [Int], threads: Int,
                                                        _ f: (A, B, C) -> R) throws -> (shape: [Int], values: [R]) {
        let outShape = try shape([aShape, bShape, cShape])
        let count = try Axes.checkedCount(outShape)
        let loop = StridedLoop(shape: outShape, strides: [strides(aShape, to: outShape), strides(bShape, to: outShape),
                                                          strides(cShape, to: outShape)])
        let inner = loop.inner, sa = loop.innerStride(0), sb = loop.innerStride(1), sc = loop.innerStride(2)
        let values = a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeBufferPointer { pc in
                    [R](unsafeUninitializedCapacity: count) { po, n in
                        parallelChunks(loop.rows, threads: threads, minChunk: max(1, Broadcast.minParallelElements / inner)) { rows in
                            loop.forEachRow(rows) { o, offs in
                                let ia = offs[0], ib = offs[1], ic = offs[2]
                                for k in 0..<inner { po[o + k] = f(pa[ia + k * sa], pb[ib + k * sb], pc[ic + k * sc]) }
                            }
                        }
                        n = count
                    }
                }
            }
        }
        return (outShape, values)
    }

    /// Copies `src` read through `loop` (operand 0) into a new contiguous array: the engine of
    /// Expand (zero strides), Transpose (permuted strides) and Slice (offset, stepped strides).
    @inlinable @inline(__always)
    public static func gather<T: BitwiseCopyable>(_ src: [T], _ loop: StridedLoop, threads: Int) -> [T] {
        if MemoryLayout<T>.stride == 4, let planes = loop.interleavedPlanes {
            return deinterleaved(src, loop, planes: planes, threads: threads)
        }
        let inner = loop.inner, s = loop.innerStride(0)
        return src.withUnsafeBufferPointer { ps in
            [T](unsafeUninitializedCapacity: loop.count) { po, n in
                // Raw base pointers held in locals: indexing the captured buffers reloaded both
                // bases from memory on every element (a Transpose ran at ~1.2 ns per element).
                guard let src = ps.baseAddress, let dst = po.baseAddress else { n = loop.count; return }
                parallelChunks(loop.rows, threads: threads, minChunk: max(1, Broadcast.minParallelElements / inner)) { rows in
                    loop.forEachRow(rows) { o, offs in
                        let from = src + offs[0], to = dst + o
                        if s == 1 {
                            to.initialize(from: from, count: inner)
                        } else {
                            var i = 0
                            for k in 0..<inner { to[k] = from[i]; i &+= s }
                        }
                    }
                }
                n = loop.count
            }
        }
    }

    /// `gather` when each group of `planes` output rows reads one interleaved run of the source
    /// (`StridedLoop.interleavedPlanes`; 4-byte values): one C call per group
    /// (`cfcam_deinterleave32`), instead of a strided element loop.
    @usableFromInline
    static func deinterleaved<T: BitwiseCopyable>(_ src: [T], _ loop: StridedLoop, planes a: Int, threads: Int) -> [T] {
        let inner = loop.inner, groups = loop.rows / a
        return src.withUnsafeBytes { ps in
            [T](unsafeUninitializedCapacity: loop.count) { po, n in
                n = loop.count
                guard let from = ps.baseAddress, let to = po.baseAddress.map(UnsafeMutableRawPointer.init) else { return }
                parallelChunks(groups, threads: threads, minChunk: max(1, (1 << 18) / max(1, a * inner))) { gs in
                    loop.forEachRow(gs.lowerBound * a ..< gs.upperBound * a) { o, offs in
                        guard (o / inner) % a == 0 else { return }   // the group's first row
                        cfcam_deinterleave32(from + offs[0] * 4, inner, a, to + o * 4)
                    }
                }
            }
        }
    }

    /// Below this many elements per chunk, work stays on one thread. (High: inside the worker
    /// pool's closure the element function is not specialised and runs through a thunk per
    /// element, ~5x slower; the hot element-wise ops have their own C loops.)
    public static let minParallelElements = 1 << 22
}
