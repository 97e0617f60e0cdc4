import Graph

/// Einsum(inputs...; equation) for one or two float32 operands, in explicit (`ij,jk->ik`) and
/// implicit (`ij,jk`: the labels used once, in alphabetical order) form, with `...` standing for
/// broadcast leading dimensions and labels repeated inside one operand taking its diagonal
/// (`ii->i`, `bii->bi`). Spaces are ignored. Three or more operands, and equations outside this
/// grammar, throw an error naming the equation.
///
/// Each operand is first read through a strided view onto its distinct labels (a repeated label
/// walks the diagonal with the sum of its strides, a broadcast `...` dimension has stride 0). The
/// views are then contracted: labels only one operand has and the output lacks are summed out,
/// and the rest becomes a batched matrix product (batch: labels both operands and the output
/// have; rows and columns: labels of one operand kept in the output; inner: labels of both
/// operands the output lacks). The gradient of each operand is the contraction of the output
/// gradient with the other operand onto the first one's labels, broadcast along its summed-out
/// labels and scattered back through its view.
enum EinsumOps {
    static func register(into r: inout OpRegistry) {
        r.register(OpDefinition(opType: "Einsum", vjp: { try einsumGrad($0) }, lrp: .product(signals: [0, 1])) { ctx in
            let plan = try Plan(ctx)
            return try plan.naming {
                let views = try plan.views(ctx)
                let terms = zip(views, plan.unique).map { Term(values: $0, labels: $1) }
                let out = try contract(terms, to: plan.output, sizes: plan.sizes, threads: ctx.threads)
                return [Tensor(unchecked: plan.output.map { plan.sizes[$0] }, floats: out)]
            }
        })
    }

    /// A contiguous array over distinct labels (row-major in `labels` order).
    struct Term {
        var values: [Float]
        var labels: [Int]
    }

    /// The parsed equation for the operands' shapes: labels are small integers (letters first,
    /// then one per `...` dimension, aligned from the right as broadcasting does).
    struct Plan {
        let equation: String
        /// Per operand, its label at each dimension (a label may repeat).
        var inputs: [[Int]] = []
        /// Per operand, its distinct labels in order of first appearance (its view's dimensions).
        var unique: [[Int]] = []
        var output: [Int] = []
        /// Size of every label, indexed by label (broadcast `...` dimensions take the size other
        /// than 1); -1 for letters the equation does not use.
        var sizes: [Int] = []
        let shapes: [[Int]]

        init(_ ctx: OpContext) throws {
            let eq: String = try ctx.node.required("equation")
            equation = eq
            let operands = ctx.inputs.compactMap { $0 }
            guard operands.count == ctx.inputs.count, (1...2).contains(operands.count) else {
                throw GraphError.kernel("Einsum '\(eq)': \(ctx.inputs.count) operands given; cfcam supports 1 or 2")
            }
            for (i, t) in operands.enumerated() where t.dtype != .float32 {
                throw GraphError.kernel("Einsum '\(eq)': operand \(i) is \(t.dtype); cfcam computes float32 only")
            }
            shapes = operands.map(\.shape)
            try parse(eq.filter { !$0.isWhitespace })
        }

        private func fail(_ why: String) -> GraphError { .kernel("Einsum '\(equation)': \(why)") }

        /// `body`'s result; a GraphError it throws (too large a result, say) names the equation.
        func naming<R>(_ body: () throws -> R) throws -> R {
            do { return try body() } catch let e as GraphError { throw fail("\(e)") }
        }

        /// Letters and at most one `...` of one term; the ellipsis position is nil when absent.
        private func scan(_ term: Substring) throws -> (before: [Int], after: [Int], ellipsis: Bool) {
            var before: [Int] = [], after: [Int] = [], ellipsis = false
            var chars = Array(term)[...]
            while let c = chars.first {
                if c == "." {
                    guard !ellipsis, chars.starts(with: "...") else { throw fail("'.' outside one '...' in term '\(term)'") }
                    ellipsis = true
                    chars = chars.dropFirst(3)
                    continue
                }
                guard let a = c.asciiValue, c.isLetter else { throw fail("'\(c)' is not a letter label") }
                let label = a >= 97 ? Int(a - 97) + 26 : Int(a - 65)
                if ellipsis { after.append(label) } else { before.append(label) }
                chars = chars.dropFirst()
            }
            return (before, after, ellipsis)
        }

        private mutating func parse(_ eq: String) throws {
            let sides = eq.components(separatedBy: "->")
            guard sides.count <= 2 else { throw fail("more than one '->'") }
            let terms = sides[0].split(separator: ",", omittingEmptySubsequences: false)
            guard terms.count == shapes.count else {
                throw fail("\(terms.count) input terms for \(shapes.count) operands")
            }
            let scanned = try terms.map { try scan($0) }
            // Dimensions each operand's `...` covers; the widest sets the number of ellipsis labels.
            var widths: [Int] = []
            for (s, shape) in zip(scanned, shapes) {
                let letters = s.before.count + s.after.count
                guard s.ellipsis ? shape.count >= letters : shape.count == letters else {
                    throw fail("operand of shape \(shape) does not match its \(letters) labels\(s.ellipsis ? " and '...'" : "")")
                }
                widths.append(shape.count - letters)
            }
            let e = widths.max() ?? 0
            let ellipsisLabels = (0..<e).map { 52 + $0 }
            sizes = [Int](repeating: -1, count: 52 + e)
            for (k, s) in scanned.enumerated() {
                let labels = s.before + ellipsisLabels.suffix(widths[k]) + s.after
                inputs.append(labels)
                var seen: [Int] = []
                for (d, l) in labels.enumerated() {
                    let size = shapes[k][d]
                    if !seen.contains(l) { seen.append(l) }
                    let known = sizes[l]
                    if known < 0 || known == 1 && l >= 52 {
                        sizes[l] = size
                    } else if known != size && !(l >= 52 && size == 1) {
                        throw fail("label size \(size) of operand \(k) dimension \(d) differs from \(known) elsewhere")
                    }
                }
                unique.append(seen)
            }
            if sides.count == 2 {
                let s = try scan(Substring(sides[1]))
                guard !s.ellipsis || scanned.contains(where: \.ellipsis) else { throw fail("'...' in the output only") }
                output = s.before + (s.ellipsis ? ellipsisLabels : []) + s.after
                guard Set(output).count == output.count else { throw fail("a label repeats in the output") }
                for l in output where sizes[l] < 0 { throw fail("output label '\(Plan.letter(l))' is not in any input") }
            } else {
                var uses: [Int: Int] = [:]
                for l in inputs.joined() where l < 52 { uses[l, default: 0] += 1 }
                // Implicit output: ASCII order (upper case before lower case).
                output = ellipsisLabels + uses.keys.filter { uses[$0] == 1 }.sorted()
            }
        }

        /// The letter of label `l` (< 52).
        static func letter(_ l: Int) -> Character {
            Character(Unicode.Scalar(UInt8(l < 26 ? 65 + l : 97 + min(l, 51) - 26)))
        }

        /// The strided view of operand `k` onto `unique[k]`.
        func loop(_ k: Int) -> StridedLoop {
            let own = Axes.strides(of: shapes[k])
            let strides = unique[k].map { l in
                inputs[k].indices.reduce(0) { s, d in
                    // A broadcast `...` dimension of size 1 does not move.
                    inputs[k][d] == l && shapes[k][d] != 1 ? s + own[d] : s
                }
            }
            return StridedLoop(shape: unique[k].map { sizes[$0] }, strides: [strides])
        }

        /// Every operand read through its view.
        func views(_ ctx: OpContext) throws -> [[Float]] {
            try unique.indices.map { k in
                _ = try Axes.checkedCount(unique[k].map { sizes[$0] })
                return Broadcast.gather(try ctx.input(k).floats(), loop(k), threads: ctx.threads)
            }
        }
    }

    // MARK: Contraction

    /// Product of the sizes of `labels`.
    static func size(_ labels: [Int], _ sizes: [Int]) -> Int { labels.reduce(1) { $0 * sizes[$1] } }

    /// `t` with its labels reordered to `keep` (which must hold only labels of `t`) and every
    /// other label summed out.
    static func reduce(_ t: Term, keep: [Int], sizes: [Int], threads: Int) throws -> [Float] {
        let rest = t.labels.filter { !keep.contains($0) }
        let order = keep + rest
        if rest.isEmpty && keep == t.labels { return t.values }
        let own = Axes.strides(of: t.labels.map { sizes[$0] })
        let strides = try order.map { l in
            guard let d = t.labels.firstIndex(of: l) else { throw GraphError.kernel("Einsum: label \(l) is not in the term") }
            return own[d]
        }
        let permuted = Broadcast.gather(t.values, StridedLoop(shape: order.map { sizes[$0] }, strides: [strides]), threads: threads)
        let block = size(rest, sizes)
        if block == 1 { return permuted }
        let n = size(keep, sizes)
        return (0..<n).map { i in
            var s: Float = 0
            for j in 0..<block { s += permuted[i * block + j] }
            return s
        }
    }

    /// The contraction of one or two terms onto `out` (every label of `out` is in some term).
    static func contract(_ terms: [Term], to out: [Int], sizes: [Int], threads: Int) throws -> [Float] {
        _ = try Axes.checkedCount(out.map { sizes[$0] })
        guard terms.count == 2 else { return try reduce(terms[0], keep: out, sizes: sizes, threads: threads) }
        let a = terms[0], b = terms[1]
        let batch = out.filter { a.labels.contains($0) && b.labels.contains($0) }
        let rows = out.filter { a.labels.contains($0) && !b.labels.contains($0) }
        let cols = out.filter { b.labels.contains($0) && !a.labels.contains($0) }
        let inner = a.labels.filter { b.labels.contains($0) && !out.contains($0) }
        let av = try reduce(a, keep: batch + rows + inner, sizes: sizes, threads: threads)
        let bv = try reduce(b, keep: batch + inner + cols, sizes: sizes, threads: threads)
        let nb = size(batch, sizes), m = size(rows, sizes), n = size(cols, sizes), k = size(inner, sizes)
        var c = [Float](repeating: 0, count: nb * m * n)
        av.withUnsafeBufferPointer { pa in bv.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
            guard let ap = pa.baseAddress, let bp = pb.baseAddress, let cp = pc.baseAddress else { return }
            if nb == 1 {
                BLAS.parallelSgemm(m: m, n: n, k: k, a: ap, lda: k, b: bp, ldb: n, c: cp, ldc: n, threads: threads)
                return
            }
            parallelChunks(nb, threads: threads, minChunk: max(1, (1 << 18) / max(1, m * n * k))) { range in
                for i in range {
                    BLAS.sgemm(m: m, n: n, k: k, a: ap + i * m * k, lda: k, b: bp + i * k * n, ldb: n, c: cp + i * m * n, ldc: n)
                }
            }
        } } }
        return try reduce(Term(values: c, labels: batch + rows + cols), keep: out, sizes: sizes, threads: threads)
    }

    /// `t` read at the labels `target` (a superset of its labels), constant along the new ones.
    static func broadcast(_ t: Term, to target: [Int], sizes: [Int], threads: Int) throws -> [Float] {
        _ = try Axes.checkedCount(target.map { sizes[$0] })
        let own = Axes.strides(of: t.labels.map { sizes[$0] })
        let strides = target.map { l in t.labels.firstIndex(of: l).map { own[$0] } ?? 0 }
        return Broadcast.gather(t.values, StridedLoop(shape: target.map { sizes[$0] }, strides: [strides]), threads: threads)
    }

    // MARK: Gradient

    /// Operand k's gradient: the output gradient contracted with the other operand onto k's
    /// labels that the output or the other operand has, broadcast along the rest, then added back
    /// through k's view (a diagonal gets its entries, a broadcast dimension the sum).
    static func einsumGrad(_ ctx: BackwardContext) throws -> [Tensor?] {
        guard Grad.isFloat(ctx) else { return Grad.none(ctx) }
        let fctx = ctx.forwardContext()
        let plan = try Plan(fctx)
        return try plan.naming { try gradients(ctx, plan, views: try plan.views(fctx)) }
    }

    /// The gradients of every wanted operand (see `einsumGrad`).
    private static func gradients(_ ctx: BackwardContext, _ plan: Plan, views: [[Float]]) throws -> [Tensor?] {
        let g = Term(values: try Grad.output(ctx), labels: plan.output)
        var out = Grad.none(ctx)
        for k in plan.unique.indices where Grad.wants(ctx, k) {
            let mine = plan.unique[k]
            var terms = [g]
            if plan.unique.count == 2 { terms.append(Term(values: views[1 - k], labels: plan.unique[1 - k])) }
            let reach = Set(terms.flatMap(\.labels))
            let target = mine.filter { reach.contains($0) }
            let partial = try contract(terms, to: target, sizes: plan.sizes, threads: ctx.threads)
            let full = try broadcast(Term(values: partial, labels: target), to: mine, sizes: plan.sizes, threads: ctx.threads)
            let shape = plan.shapes[k]
            out[k] = Tensor(unchecked: shape, floats: try Unbroadcast.scatterAdd(full, plan.loop(k), count: Tensor.elementCount(shape)))
        }
        return out
    }
}
