import Graph

/// ONNX `Gemm`: Y = alpha · op(A) · op(B) + beta · C, with op = transpose when transA / transB is
/// set and C (optional) broadcast to [M, N].
enum NNGemm {
    static func register(into r: inout OpRegistry) {
        r.register(OpDefinition(opType: "Gemm") { ctx in [try forward(ctx)] })
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
}
