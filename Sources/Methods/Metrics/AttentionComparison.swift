import Graph

/// The local attention-map comparison of Cheng et al. 2022 (docs/metrics.md, "Comparing two
/// models' attention"): each model's attention map, both brought to one size, split into a g x g
/// grid, and the Pearson correlation of the two maps per block and over the whole map.
public enum AttentionComparison {
    /// Multi-layer activation energy: for each layer l, Q_l = Σ_c A_{l,c}² (Zagoruyko and
    /// Komodakis' attention, p = 2); each Q_l is resized bilinearly (half-pixel centres) to the
    /// deepest layer's size and the Q_l are summed. One image, [1, C, H, W] in; h * w values out.
    public static func activationEnergy(model: ExplainModel, input: Tensor, layers: [String]) throws -> (values: [Float], height: Int, width: Int) {
        guard input.rank == 4, input.shape[0] == 1 else { throw ExplainError("attention maps are made one image at a time, got \(input.shape)") }
        guard !layers.isEmpty else { throw ExplainError("activation energy needs at least one layer") }
        let values = try model.run([model.inputName: input], fetch: layers)
        var planes: [(values: [Float], h: Int, w: Int)] = []
        for l in layers {
            guard let t = values[l] else { throw GraphError.missingValue(l) }
            guard t.rank == 4, t.shape[0] == 1, t.shape[2] * t.shape[3] > 0 else {
                throw ExplainError("layer '\(l)' is \(t.shape); activation energy needs an NCHW feature map [1, C, h, w]")
            }
            let c = t.shape[1], h = t.shape[2], w = t.shape[3]
            let a = try t.floats()
            var q = [Float](repeating: 0, count: h * w)
            for k in 0..<c { for i in 0..<(h * w) { let v = a[k * h * w + i]; q[i] += v * v } }
            planes.append((q, h, w))
        }
        let deepest = planes[planes.count - 1]
        var sum = [Float](repeating: 0, count: deepest.h * deepest.w)
        for p in planes {
            let r = try resized(p.values, h: p.h, w: p.w, to: deepest.h, deepest.w)
            for i in sum.indices { sum[i] += r[i] }
        }
        return (sum, deepest.h, deepest.w)
    }

    /// The default layers of the activation energy: on the way to the `auto` layer (inclusive),
    /// the last NCHW feature map of each spatial size (a stage's output), for the `count` deepest
    /// sizes with more than one position. Values made by ops that only move or pad data (Pad,
    /// Slice, Reshape, Transpose, Identity, Flatten) are skipped: a padded copy is not a stage.
    public static func energyLayers(model: ExplainModel, count: Int = 3) throws -> [String] {
        let last = try LayerResolver.auto(model: model, output: model.outputName)
        let graph = model.graph
        let ancestors = graph.nodesNeeded(for: [last], given: [model.inputName])
        let names = ancestors.flatMap { graph.nodes[$0].outputs }.filter { !$0.isEmpty }
        let shapes = model.layerShapes(names)
        var order: [[Int]] = [], lastOf: [[Int]: String] = [:]
        let movers: Set<String> = ["Pad", "Slice", "Reshape", "Transpose", "Identity", "Flatten"]
        let producers = graph.producers()
        for v in names {
            if let p = producers[v], movers.contains(graph.nodes[p].opType) { continue }
            guard let d = shapes.dims(v), d.count == 4, shapes.form(v) == .nchw, d[2] * d[3] > 1 else { continue }
            let size = [d[2], d[3]]
            order.removeAll { $0 == size }
            order.append(size)
            lastOf[size] = v
        }
        let picked = order.suffix(count).compactMap { lastOf[$0] }
        return picked.isEmpty ? [last] : picked
    }

    /// Bilinear resize of one plane (align_corners = false, no antialiasing).
    public static func resized(_ v: [Float], h: Int, w: Int, to oh: Int, _ ow: Int) throws -> [Float] {
        if h == oh && w == ow { return v }
        return try MapBatch(n: 1, h: h, w: w, values: v).resized(height: oh, width: ow).values
    }

    /// Per-block and overall Pearson correlation of two maps of one size.
    public struct Result: Sendable, Equatable, Codable {
        public let grid: Int
        public let overall: Double
        /// blocks[row][column].
        public let blocks: [[Double]]
    }

    /// Pearson(u, v) = Σ(u − ū)(v − v̄) / (sqrt Σ(u − ū)² · sqrt Σ(v − v̄)² + 1e-8), in double precision
    /// (0 when either block is constant).
    public static func pearson(_ u: [Float], _ v: [Float]) -> Double {
        let n = Double(u.count)
        guard n > 0, u.count == v.count else { return 0 }
        let mu = u.reduce(0.0) { $0 + Double($1) } / n, mv = v.reduce(0.0) { $0 + Double($1) } / n
        var suv = 0.0, suu = 0.0, svv = 0.0
        for i in u.indices {
            let a = Double(u[i]) - mu, b = Double(v[i]) - mv
            suv += a * b; suu += a * a; svv += b * b
        }
        return suv / (suu.squareRoot() * svv.squareRoot() + 1e-8)
    }

    /// Rows (and columns) of block i of g: floor(i·n/g) ..< floor((i+1)·n/g).
    static func bounds(_ i: Int, _ g: Int, _ n: Int) -> Range<Int> { (i * n / g)..<((i + 1) * n / g) }

    public static func compare(_ a: [Float], _ b: [Float], height h: Int, width w: Int, grid g: Int) throws -> Result {
        guard a.count == h * w, b.count == h * w else { throw ExplainError("two maps of \(h)x\(w) expected, got \(a.count) and \(b.count) values") }
        guard g >= 1, h >= g, w >= g else { throw ExplainError("a \(g)x\(g) grid needs a map of at least \(g)x\(g), got \(h)x\(w)") }
        var blocks: [[Double]] = []
        for by in 0..<g {
            var row: [Double] = []
            for bx in 0..<g {
                var u: [Float] = [], v: [Float] = []
                for y in bounds(by, g, h) { for x in bounds(bx, g, w) { u.append(a[y * w + x]); v.append(b[y * w + x]) } }
                row.append(pearson(u, v))
            }
            blocks.append(row)
        }
        return Result(grid: g, overall: pearson(a, b), blocks: blocks)
    }
}
