import Graph

/// ONNX `Gemm`: Y = alpha · op(A) · op(B) + beta · C, with op = transpose when transA / transB is
/// set and C (optional) broadcast to [M, N].
enum NNGemm {
    static func register(into r: inout OpRegistry) {
        r.register(OpDefinition(opType: "Gemm", vjp: { try vjp($0) }, lrp: .linear(weight: 1, bias: 2)) { ctx in
            [try forward(ctx)]
        })
    }

    static func forward(_ ctx: OpContext) throws -> Tensor {
        let (ash, a) = try ctx.nnFloat(0, "A")
        let (bsh, b) = try ctx.nnFloat(1, "B")
        let alpha: Float = try ctx.attr("alpha", default: 1)
        let beta: Float = try ctx.attr("beta", default: 1)
        let transA: Int = try ctx.attr("transA", default: 0)
        let transB: Int = try ctx.attr("transB", default: 0)
        guard ash.count == 2, bsh.count == 2 else {
            throw GraphError.invalidShape("Gemm: A \(ash) and B \(bsh) must both be 2-D")
        }
        let m = transA != 0 ? ash[1] : ash[0], k = transA != 0 ? ash[0] : ash[1]
        let kb = transB != 0 ? bsh[1] : bsh[0], n = transB != 0 ? bsh[0] : bsh[1]
        guard k == kb else {
            throw GraphError.invalidShape("Gemm: inner dimensions differ: A \(ash)\(transA != 0 ? "ᵀ" : "") has \(k), B \(bsh)\(transB != 0 ? "ᵀ" : "") has \(kb)")
        }
        var out = [Float](repeating: 0, count: m * n)
        var cBeta: Float = 0
        if let (csh, c) = try ctx.nnOptionalFloat(2, "C"), beta != 0 {
            try broadcastC(csh, c, m: m, n: n, beta: beta, into: &out)
            cBeta = 1
        }
        a.withUnsafeBufferPointer { ab in b.withUnsafeBufferPointer { bb in out.withUnsafeMutableBufferPointer { ob in
            guard let ap = ab.baseAddress, let bp = bb.baseAddress, let op = ob.baseAddress else { return }
            BLAS.parallelSgemm(transA: transA != 0, transB: transB != 0, m: m, n: n, k: k, alpha: alpha,
                               a: ap, lda: ash[1], b: bp, ldb: bsh[1], beta: cBeta, c: op, ldc: n, threads: ctx.threads)
        } } }
        return Tensor(unchecked: [m, n], floats: out)
    }

    /// Writes beta · C broadcast to [m, n] into `out`.
    static func broadcastC(_ shape: [Int], _ c: [Float], m: Int, n: Int, beta: Float, into out: inout [Float]) throws {
        guard shape.count <= 2 else { throw GraphError.invalidShape("Gemm: C has shape \(shape), expected at most 2-D") }
        let full = [Int](repeating: 1, count: 2 - shape.count) + shape
        guard full[0] == m || full[0] == 1, full[1] == n || full[1] == 1 else {
            throw GraphError.invalidShape("Gemm: C of shape \(shape) does not broadcast to [\(m), \(n)]")
        }
        let rs = full[0] == 1 ? 0 : full[1], cs = full[1] == 1 ? 0 : 1
        c.withUnsafeBufferPointer { cb in out.withUnsafeMutableBufferPointer { ob in
            for i in 0..<m { for j in 0..<n { ob[i * n + j] = beta * cb[i * rs + j * cs] } }
        } }
    }

    /// dA = alpha · dY · op(B)ᵀ (transposed back when transA), dB = alpha · op(A)ᵀ · dY (likewise),
    /// dC = beta · dY summed over the axes C was broadcast along.
    static func vjp(_ ctx: BackwardContext) throws -> [Tensor?] {
        let (ash, a) = try ctx.forwardContext().nnFloat(0, "A")
        let (bsh, b) = try ctx.forwardContext().nnFloat(1, "B")
        let alpha: Float = try ctx.attr("alpha", default: 1)
        let beta: Float = try ctx.attr("beta", default: 1)
        let tA = try ctx.attr("transA", default: 0) != 0
        let tB = try ctx.attr("transB", default: 0) != 0
        guard ash.count == 2, bsh.count == 2 else {
            throw GraphError.invalidShape("Gemm: A \(ash) and B \(bsh) must both be 2-D")
        }
        let m = tA ? ash[1] : ash[0], k = tA ? ash[0] : ash[1], n = tB ? bsh[0] : bsh[1]
        guard k == (tB ? bsh[1] : bsh[0]) else { throw GraphError.invalidShape("Gemm: inner dimensions of A \(ash) and B \(bsh) differ") }
        let dy = try ctx.nnOutputGrad(shape: [m, n])
        var result = ctx.nnNoGradients
        let threads = ctx.threads
        dy.withUnsafeBufferPointer { db in a.withUnsafeBufferPointer { ab in b.withUnsafeBufferPointer { bb in
            guard let dp = db.baseAddress, let ap = ab.baseAddress, let bp = bb.baseAddress else { return }
            if ctx.nnWants(0) {
                var da = [Float](repeating: 0, count: m * k)
                da.withUnsafeMutableBufferPointer { out in
                    guard let op = out.baseAddress else { return }
                    if tA {   // dA [K, M] = alpha · op(B) · dYᵀ
                        BLAS.parallelSgemm(transA: tB, transB: true, m: k, n: m, k: n, alpha: alpha, a: bp, lda: bsh[1],
                                           b: dp, ldb: n, c: op, ldc: m, threads: threads)
                    } else {  // dA [M, K] = alpha · dY · op(B)ᵀ
                        BLAS.parallelSgemm(transB: !tB, m: m, n: k, k: n, alpha: alpha, a: dp, lda: n, b: bp, ldb: bsh[1],
                                           c: op, ldc: k, threads: threads)
                    }
                }
                result[0] = Tensor(unchecked: ash, floats: da)
            }
            if ctx.nnWants(1) {
                var dbm = [Float](repeating: 0, count: k * n)
                dbm.withUnsafeMutableBufferPointer { out in
                    guard let op = out.baseAddress else { return }
                    if tB {   // dB [N, K] = alpha · dYᵀ · op(A)
                        BLAS.parallelSgemm(transA: true, transB: tA, m: n, n: k, k: m, alpha: alpha, a: dp, lda: n,
                                           b: ap, ldb: ash[1], c: op, ldc: k, threads: threads)
                    } else {  // dB [K, N] = alpha · op(A)ᵀ · dY
                        BLAS.parallelSgemm(transA: !tA, m: k, n: n, k: m, alpha: alpha, a: ap, lda: ash[1], b: dp, ldb: n,
                                           c: op, ldc: n, threads: threads)
                    }
                }
                result[1] = Tensor(unchecked: bsh, floats: dbm)
            }
        } } }
        if ctx.nnWants(2), let c = ctx.inputs[2], c.count > 0 {
            let dc = try NNUtil.unbroadcast(dy.map { $0 * beta }, full: [m, n], to: c.shape)
            result[2] = Tensor(unchecked: c.shape, floats: dc)
        }
        return result
    }
}
