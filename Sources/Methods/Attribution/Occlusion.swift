import Graph

/// Occlusion (Zeiler & Fergus 2014) as Captum's `Occlusion`: a window slides over (C, H, W) with
/// the given strides; each position replaces the window by the baseline and the attribution of an
/// element is the mean of score(x) − score(x with the window occluded) over the windows covering it.
///
/// Window positions follow Captum: ceil((dim − window) / stride) + 1 per axis, the last window
/// clipped at the border. Defaults (Captum has none): window (3, 15, 15), strides (3, 8, 8),
/// baseline 0. Two values mean (H, W) with the window spanning all channels. The occluded copies
/// are evaluated in chunks of `batching.size` rows (Captum's `perturbations_per_eval`), with
/// progress after each chunk.
public struct Occlusion: InputAttribution {
    public var name: String { "occlusion" }
    public var window: [Int]
    public var strides: [Int]
    public var baseline: AttributionBaseline
    public var mapping: AttributionMapping

    public init(window: [Int] = [3, 15, 15], strides: [Int] = [3, 8, 8], baseline: AttributionBaseline = .constant(0),
                mapping: AttributionMapping = .captum) {
        self.window = window; self.strides = strides; self.baseline = baseline; self.mapping = mapping
    }

    /// The window and strides over (C, H, W) for `c` channels, and the number of positions per axis.
    func geometry(c: Int, h: Int, w: Int) throws -> (window: [Int], strides: [Int], shifts: [Int]) {
        let dims = [c, h, w]
        let win = window.count == 2 ? [c] + window : window
        let str = strides.count == 2 ? [c] + strides : strides
        guard win.count == 3, str.count == 3 else {
            throw ExplainError("\(name): window \(window) and strides \(strides) need 2 (H, W) or 3 (C, H, W) values")
        }
        var shifts: [Int] = []
        for d in 0..<3 {
            guard win[d] >= 1, win[d] <= dims[d] else {
                throw ExplainError("\(name): window \(win) does not fit the input (C, H, W) = \(dims)")
            }
            guard str[d] >= 1 else { throw ExplainError("\(name): strides must be >= 1, got \(str)") }
            guard dims[d] == win[d] || str[d] <= win[d] else {
                throw ExplainError("\(name): stride \(str[d]) is larger than the window \(win[d]) (elements would be skipped)")
            }
            shifts.append((dims[d] - win[d] + str[d] - 1) / str[d] + 1)
        }
        return (win, str, shifts)
    }

    public func attribute(_ x: Tensor, rows: TargetRows, model: ExplainModel, batching: Batching) throws -> Tensor {
        _ = try checkRows(x, rows)
        let (n, c, h, w) = try BatchRows.image(of: x, method: name)
        let (win, str, shifts) = try geometry(c: c, h: h, w: w)
        let row = c * h * w
        let xv = try x.floats()
        let bv = try baseline.values(for: x, method: name)
        let positions = shifts[0] * shifts[1] * shifts[2]
        let total = n + positions * n
        // The box of window position p: first axis fastest, as Captum's feature numbering.
        func box(_ p: Int) -> [Range<Int>] {
            var r = p, out: [Range<Int>] = []
            let dims = [c, h, w]
            for d in 0..<3 {
                let lo = (r % shifts[d]) * str[d]; r /= shifts[d]
                out.append(lo..<min(lo + win[d], dims[d]))
            }
            return out
        }
        // Clean scores.
        var clean = [Float](repeating: 0, count: n)
        for r in BatchRows.chunks(total: n, size: batching.size) {
            let t = Tensor(unchecked: BatchRows.shape(rows: r.count, like: x), floats: Array(xv[r.lowerBound * row..<r.upperBound * row]))
            let s = try model.scores(t, rows: rows.slice(r))
            for (j, m) in r.enumerated() { clean[m] = s[j] }
            batching.progress?(r.upperBound, total)
        }
        var acc = [Double](repeating: 0, count: x.count)
        var count = [Float](repeating: 0, count: row)
        for p in 0..<positions {
            let b = box(p)
            for k in b[0] { for y in b[1] { for i in b[2] { count[(k * h + y) * w + i] += 1 } } }
        }
        // Evaluation e is window position e / n of row e % n.
        for r in BatchRows.chunks(total: positions * n, size: batching.size) {
            var inp = [Float](repeating: 0, count: r.count * row)
            var imgs: [Int] = []
            for (j, e) in r.enumerated() {
                let p = e / n, m = e % n
                imgs.append(rows.images[m])
                for i in 0..<row { inp[j * row + i] = xv[m * row + i] }
                let b = box(p)
                for k in b[0] { for y in b[1] { for i in b[2] {
                    let o = (k * h + y) * w + i
                    inp[j * row + o] = bv[m * row + o]
                } } }
            }
            let s = try model.scores(Tensor(unchecked: BatchRows.shape(rows: r.count, like: x), floats: inp), rows: rows.with(images: imgs))
            for (j, e) in r.enumerated() {
                let p = e / n, m = e % n
                let d = Double(clean[m] - s[j])
                let b = box(p)
                for k in b[0] { for y in b[1] { for i in b[2] { acc[m * row + (k * h + y) * w + i] += d } } }
            }
            batching.progress?(n + r.upperBound, total)
        }
        var out = [Float](repeating: 0, count: x.count)
        for m in 0..<n { for o in 0..<row where count[o] > 0 { out[m * row + o] = Float(acc[m * row + o] / Double(count[o])) } }
        return Tensor(unchecked: x.shape, floats: out)
    }
}
