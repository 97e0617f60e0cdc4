/// RISE's random masks (eclique/RISE `explanations.py: generate_masks`): for each mask a binary
/// s x s grid with P(1) = p1, resized bilinearly to (s+1)·cell (cell = ceil(H/s) by ceil(W/s);
/// skimage `resize(order=1, mode='reflect', anti_aliasing=False)`: half-pixel centres, mirror
/// reflection about the edge pixels) and cropped to H x W at a random offset in [0, cell)².
/// Grids and offsets are drawn from `SeededRandom(seed:)` up front; masks are built on demand.
public struct RISEMasks: Sendable {
    public let count: Int, cells: Int, p1: Double, height: Int, width: Int
    let grids: [UInt8]          // count x cells x cells
    let offsets: [(Int, Int)]   // (row, column) per mask
    let rowTaps: [(Int, Int, Float)], colTaps: [(Int, Int, Float)]  // per up-sampled coordinate

    public init(count: Int, cells: Int, p1: Double, height: Int, width: Int, seed: UInt64) throws {
        guard count >= 1 else { throw ExplainError("rise: the number of masks must be at least 1, got \(count)") }
        guard cells >= 1 else { throw ExplainError("rise: the grid size s must be at least 1, got \(cells)") }
        guard p1 > 0, p1 <= 1 else { throw ExplainError("rise: p1 must lie in (0, 1], got \(p1)") }
        guard height >= 1, width >= 1 else { throw ExplainError("rise: the input must be at least 1 x 1, got \(height) x \(width)") }
        self.count = count; self.cells = cells; self.p1 = p1; self.height = height; self.width = width
        let cellH = (height + cells - 1) / cells, cellW = (width + cells - 1) / cells
        var rng = SeededRandom(seed: seed)
        var g = [UInt8](repeating: 0, count: count * cells * cells)
        var off: [(Int, Int)] = []
        for i in 0..<count {
            for j in 0..<(cells * cells) { g[i * cells * cells + j] = rng.uniform() < p1 ? 1 : 0 }
            off.append((Int(rng.next() % UInt64(cellH)), Int(rng.next() % UInt64(cellW))))
        }
        grids = g; offsets = off
        rowTaps = RISEMasks.taps(input: cells, output: (cells + 1) * cellH)
        colTaps = RISEMasks.taps(input: cells, output: (cells + 1) * cellW)
    }

    /// Linear interpolation taps (i0, i1, weight of i1) for each output coordinate: source
    /// coordinate (o + 0.5)·in/out − 0.5, indices outside mirrored about the edge pixels.
    static func taps(input n: Int, output: Int) -> [(Int, Int, Float)] {
        func mirror(_ i: Int) -> Int {
            guard n > 1 else { return 0 }
            let period = 2 * (n - 1)
            var j = i % period
            if j < 0 { j += period }
            return j < n ? j : period - j
        }
        return (0..<output).map { o in
            let c = (Double(o) + 0.5) * Double(n) / Double(output) - 0.5
            let f = c.rounded(.down)
            let i0 = Int(f)
            return (mirror(i0), mirror(i0 + 1), Float(c - f))
        }
    }

    /// Mask `i` as H x W values in [0, 1].
    public func mask(_ i: Int) -> [Float] {
        var out = [Float](repeating: 0, count: height * width)
        guard i >= 0, i < count else { return out }
        let g = i * cells * cells
        let (dy, dx) = offsets[i]
        for y in 0..<height {
            let (r0, r1, ry) = rowTaps[y + dy]
            for x in 0..<width {
                let (c0, c1, cx) = colTaps[x + dx]
                let a = Float(grids[g + r0 * cells + c0]), b = Float(grids[g + r0 * cells + c1])
                let c = Float(grids[g + r1 * cells + c0]), d = Float(grids[g + r1 * cells + c1])
                let top = a + cx * (b - a), bottom = c + cx * (d - c)
                out[y * width + x] = top + ry * (bottom - top)
            }
        }
        return out
    }
}
