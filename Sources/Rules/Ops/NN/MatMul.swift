import CKernels
import Graph

/// ONNX `MatMul` with numpy semantics: N-D batched with broadcasting batch dimensions; a 1-D A is
/// treated as [1, K] and a 1-D B as [K, 1], and those dimensions are dropped from the result.
enum NNMatMul {
    static func register(into r: inout OpRegistry) {
        r.register(OpDefinition(opType: "MatMul", vjp: { try vjp($0) }, lrp: .linear(weight: 1, bias: nil),
                                extensions: [BiasedProductKernel.extensionKey: BiasedProductKernel { try forward($0, biased: true) }]) { ctx in
            [try forward(ctx)]
        })
    }

    /// `biased`: the executor's fused `MatMul -> Add(bias)` (`BiasedProductKernel`): input 2 is a
    /// vector of one value per column, added to each block of rows as soon as it is computed.
    static func forward(_ ctx: OpContext, biased: Bool = false) throws -> Tensor {
        let (ash0, a) = try ctx.nnFloat(0, "A")
        let (bsh0, b) = try ctx.nnFloat(1, "B")
        guard !ash0.isEmpty, !bsh0.isEmpty else {
            throw GraphError.invalidShape("MatMul: operands must have rank >= 1, got \(ash0) and \(bsh0)")
        }
        let ash = ash0.count == 1 ? [1] + ash0 : ash0
        let bsh = bsh0.count == 1 ? bsh0 + [1] : bsh0
        let m = ash[ash.count - 2], k = ash[ash.count - 1]
        let kb = bsh[bsh.count - 2], n = bsh[bsh.count - 1]
        guard k == kb else {
            throw GraphError.invalidShape("MatMul: inner dimensions differ: A \(ash0) has \(k), B \(bsh0) has \(kb)")
        }
        let aBatch = Array(ash.dropLast(2)), bBatch = Array(bsh.dropLast(2))
        let batch = try NNUtil.broadcastShapes(aBatch, bBatch)
        var outShape = batch
        if ash0.count > 1 { outShape.append(m) }
        if bsh0.count > 1 { outShape.append(n) }
        let count = Tensor.elementCount(batch)
        var bias: [Float]? = nil
        if biased {
            let (bs, bv) = try ctx.nnFloat(2, "bias")
            guard bs.count == 1, bv.count == n else {
                throw GraphError.invalidShape("MatMul: fused bias has shape \(bs), expected [\(n)]")
            }
            bias = bv
        }
        let (aOff, bOff) = batchOffsets(batch, aBatch: aBatch, bBatch: bBatch, aMatrix: m * k, bMatrix: k * n)
        if ctx.precision == .fast && FastGEMM.enabled && k > 0 && m > 0 && n > 0 && count > 0 {
            return Tensor(unchecked: outShape, floats: fastProduct(a, b, count: count, m: m, n: n, k: k, aOff: aOff, bOff: bOff,
                                                                    oneB: Tensor.elementCount(bBatch) == 1 && aBatch == batch,
                                                                    threads: ctx.threads, bias: bias))
        }
        var out = [Float](repeating: 0, count: count * m * n)
        a.withUnsafeBufferPointer { ab in b.withUnsafeBufferPointer { bb in out.withUnsafeMutableBufferPointer { ob in
            guard let ap = ab.baseAddress, let bp = bb.baseAddress, let op = ob.baseAddress else { return }
            if Tensor.elementCount(bBatch) == 1 && aBatch == batch {
                // B is one matrix: fold A's batch into the rows of one GEMM.
                BLAS.parallelSgemm(m: count * m, n: n, k: k, a: ap, lda: k, b: bp, ldb: n, c: op, ldc: n, threads: ctx.threads)
                return
            }
            if ctx.threads > 1 && count >= ctx.threads {
                parallelChunks(count, threads: ctx.threads) { range in
                    for i in range {
                        BLAS.sgemm(m: m, n: n, k: k, a: ap + aOff[i], lda: k, b: bp + bOff[i], ldb: n,
                                   c: op + i * m * n, ldc: n)
                    }
                }
            } else {
                for i in 0..<count {
                    BLAS.parallelSgemm(m: m, n: n, k: k, a: ap + aOff[i], lda: k, b: bp + bOff[i], ldb: n,
                                       c: op + i * m * n, ldc: n, threads: ctx.threads)
                }
            }
        } } }
        if let bias { addRows(bias, to: &out, n: n) }
        return Tensor(unchecked: outShape, floats: out)
    }

    /// Adds `bias` (n values) to every row of n values of `out`, in place.
    static func addRows(_ bias: [Float], to out: inout [Float], n: Int) {
        guard n > 0 else { return }
        out.withUnsafeMutableBufferPointer { ob in
            guard let op = ob.baseAddress else { return }
            addRows(bias, to: op, rows: ob.count / n, n: n)
        }
    }

    /// Adds `bias` (n values) to `rows` contiguous rows of n values at `c`.
    static func addRows(_ bias: [Float], to c: UnsafeMutablePointer<Float>, rows: Int, n: Int) {
        bias.withUnsafeBufferPointer { bb in
            guard let bp = bb.baseAddress else { return }
            for r in 0..<rows { cfcam_add(c + r * n, bp, c + r * n, n) }
        }
    }

    /// The fast precision's product on cfcam's AVX-512 GEMM (the convolutions' 8x48 kernel, which reads
    /// both operands unpacked): when B is one matrix, A's batch is folded into the rows of one GEMM
    /// (a Linear layer on [N, H, W, C] tokens); otherwise each batch item (attention heads) is one
    /// task, its rows split further when there are fewer items than threads.
    static func fastProduct(_ a: [Float], _ b: [Float], count: Int, m: Int, n: Int, k: Int, aOff: [Int], bOff: [Int],
                            oneB: Bool, threads: Int, bias: [Float]? = nil) -> [Float] {
        [Float](unsafeUninitializedCapacity: count * m * n) { ob, initialized in
            a.withUnsafeBufferPointer { ab in b.withUnsafeBufferPointer { bb in
                guard let ap = ab.baseAddress, let bp = bb.baseAddress, let op = ob.baseAddress else { return }
                let items = oneB ? 1 : count, rows = oneB ? count * m : m
                // Row blocks (multiples of the 8-row tile, at least 16 rows each) so that the task
                // count is a multiple of the thread count: 3 attention heads on 2 threads run as 6
                // half-heads (3 + 3, not 2 + 1); one product as 2 halves (197 token rows: 104 + 93;
                // four 56-row blocks had run 112 + 85).
                var perItem = 1
                if items % threads != 0 {
                    while (items * perItem) % threads != 0 && perItem < threads { perItem += 1 }
                    if rows < 16 * perItem { perItem = 1 }
                }
                let block = ((rows + perItem - 1) / perItem + 7) / 8 * 8
                let tasks = items * perItem
                parallelChunks(tasks, threads: threads) { range in
                    for t in range {
                        let item = t / perItem, r0 = (t % perItem) * block, r1 = min(rows, r0 + block)
                        guard r0 < r1 else { continue }
                        let aBase = ap + (oneB ? 0 : aOff[item]) + r0 * k
                        let bBase = bp + (oneB ? 0 : bOff[item])
                        let c = op + item * m * n + r0 * n
                        FastGEMM.sgemm(m: r1 - r0, n: n, k: k, a: aBase, lda: k, b: bBase, ldb: n, c: c, ldc: n)
                        if let bias { addRows(bias, to: c, rows: r1 - r0, n: n) }   // while they are in cache
                    }
                }
            } }
            initialized = count * m * n
        }
    }

    /// Element offsets of each broadcast batch item's A and B matrices.
    static func batchOffsets(_ batch: [Int], aBatch: [Int], bBatch: [Int], aMatrix: Int, bMatrix: Int) -> ([Int], [Int]) {
        let r = batch.count
        let aFull = [Int](repeating: 1, count: r - aBatch.count) + aBatch
        let bFull = [Int](repeating: 1, count: r - bBatch.count) + bBatch
        let aStr = NNUtil.stridesOf(aFull).enumerated().map { aFull[$0.offset] == 1 ? 0 : $0.element * aMatrix }
        let bStr = NNUtil.stridesOf(bFull).enumerated().map { bFull[$0.offset] == 1 ? 0 : $0.element * bMatrix }
        let count = Tensor.elementCount(batch)
        var aOff = [Int](repeating: 0, count: count), bOff = [Int](repeating: 0, count: count)
        var idx = [Int](repeating: 0, count: r)
        for i in 0..<count {
            var ao = 0, bo = 0
            for d in 0..<r { ao += idx[d] * aStr[d]; bo += idx[d] * bStr[d] }
            aOff[i] = ao; bOff[i] = bo
            var d = r - 1
            while d >= 0 { idx[d] += 1; if idx[d] < batch[d] { break }; idx[d] = 0; d -= 1 }
        }
        return (aOff, bOff)
    }
}

extension NNUtil {
    /// Numpy broadcast of two shapes; throws when they are incompatible.
    static func broadcastShapes(_ a: [Int], _ b: [Int]) throws -> [Int] {
        let r = max(a.count, b.count)
        var out = [Int](repeating: 1, count: r)
        for i in 0..<r {
            let da = i < r - a.count ? 1 : a[i - (r - a.count)]
            let db = i < r - b.count ? 1 : b[i - (r - b.count)]
            guard da == db || da == 1 || db == 1 else {
                throw GraphError.invalidShape("shapes \(a) and \(b) do not broadcast")
            }
            out[i] = da == 1 ? db : da
        }
        return out
    }
}
