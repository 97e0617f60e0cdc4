import Graph

/// The gradient of `MatMul`: per broadcast batch item dA_i = dY_i · B_iᵀ and dB_i = A_iᵀ · dY_i,
/// summed into the operand's own (possibly broadcast) batch item; 1-D operands get 1-D gradients.
extension NNMatMul {
    static func vjp(_ ctx: BackwardContext) throws -> [Tensor?] {
        let fwd = ctx.forwardContext()
        let (ash0, a) = try fwd.nnFloat(0, "A")
        let (bsh0, b) = try fwd.nnFloat(1, "B")
        guard !ash0.isEmpty, !bsh0.isEmpty else {
            throw GraphError.invalidShape("MatMul: operands must have rank >= 1, got \(ash0) and \(bsh0)")
        }
        let ash = ash0.count == 1 ? [1] + ash0 : ash0
        let bsh = bsh0.count == 1 ? bsh0 + [1] : bsh0
        let m = ash[ash.count - 2], k = ash[ash.count - 1], n = bsh[bsh.count - 1]
        guard k == bsh[bsh.count - 2] else {
            throw GraphError.invalidShape("MatMul: inner dimensions differ: A \(ash0), B \(bsh0)")
        }
        let aBatch = Array(ash.dropLast(2)), bBatch = Array(bsh.dropLast(2))
        let batch = try NNUtil.broadcastShapes(aBatch, bBatch)
        var outShape = batch
        if ash0.count > 1 { outShape.append(m) }
        if bsh0.count > 1 { outShape.append(n) }
        let dy = try ctx.nnOutputGrad(shape: outShape)
        let count = Tensor.elementCount(batch)
        let (aOff, bOff) = batchOffsets(batch, aBatch: aBatch, bBatch: bBatch, aMatrix: m * k, bMatrix: k * n)
        let threads = ctx.threads
        // A's batch matches the broadcast batch and B is one matrix: fold the batch into GEMM rows.
        let folded = Tensor.elementCount(bBatch) == 1 && aBatch == batch
        var result = ctx.nnNoGradients
        dy.withUnsafeBufferPointer { db in a.withUnsafeBufferPointer { ab in b.withUnsafeBufferPointer { bb in
            guard let dp = db.baseAddress, let ap = ab.baseAddress, let bp = bb.baseAddress else { return }
            if ctx.nnWants(0) {
                var da = [Float](repeating: 0, count: a.count)
                da.withUnsafeMutableBufferPointer { out in
                    guard let op = out.baseAddress else { return }
                    if folded {
                        BLAS.parallelSgemm(transB: true, m: count * m, n: k, k: n, a: dp, lda: n, b: bp, ldb: n,
                                           c: op, ldc: k, threads: threads)
                        return
                    }
                    for i in 0..<count {
                        BLAS.parallelSgemm(transB: true, m: m, n: k, k: n, a: dp + i * m * n, lda: n, b: bp + bOff[i], ldb: n,
                                           beta: 1, c: op + aOff[i], ldc: k, threads: threads)
                    }
                }
                result[0] = Tensor(unchecked: ash0, floats: da)
            }
            if ctx.nnWants(1) {
                var dbm = [Float](repeating: 0, count: b.count)
                dbm.withUnsafeMutableBufferPointer { out in
                    guard let op = out.baseAddress else { return }
                    if folded {
                        BLAS.parallelSgemm(transA: true, m: k, n: n, k: count * m, a: ap, lda: k, b: dp, ldb: n,
                                           c: op, ldc: n, threads: threads)
                        return
                    }
                    for i in 0..<count {
                        BLAS.parallelSgemm(transA: true, m: k, n: n, k: m, a: ap + aOff[i], lda: k, b: dp + i * m * n, ldb: n,
                                           beta: 1, c: op + bOff[i], ldc: n, threads: threads)
                    }
                }
                result[1] = Tensor(unchecked: bsh0, floats: dbm)
            }
        } } }
        return result
    }
}
