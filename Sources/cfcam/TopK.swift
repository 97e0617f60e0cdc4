import Graph

/// `run --print-top K`: the K largest entries of each row of a 2-D output, e.g. class scores.
enum TopK {
    /// The indices of the `k` largest values, largest first (ties: lower index first).
    static func indices(_ row: ArraySlice<Float>, k: Int) -> [Int] {
        let base = row.startIndex
        let order = row.indices.sorted { a, b in
            let x = row[a], y = row[b]
            if x.isNaN != y.isNaN { return y.isNaN } // NaN ranks last
            return x == y || (x.isNaN && y.isNaN) ? a < b : x > y
        }
        return order.prefix(k).map { $0 - base }
    }

    /// Prints `NAME[row] top-K: index=value ...` per row (`index 'label'=value` when `labels` has one
    /// name per column); outputs that are not 2-D are skipped with a note.
    static func print(name: String, _ t: Tensor, k: Int, labels: [String]? = nil) {
        guard t.rank == 2, t.dtype == .float32 else {
            Swift.print("\(name): top-\(k) skipped (shape \(t.shape), \(t.dtype); needs a 2-D float output)")
            return
        }
        let rows = t.shape[0], cols = t.shape[1]
        let v = t.floatValues()
        for r in 0..<rows {
            let row = v[(r * cols)..<((r + 1) * cols)]
            let top = indices(row, k: min(k, cols)).map { i in
                let name = labels.flatMap { i < $0.count && cols == $0.count ? " '\($0[i])'" : nil } ?? ""
                return "\(i)\(name)=\(row[row.startIndex + i])"
            }
            Swift.print("\(name)[\(r)] top-\(min(k, cols)): \(top.joined(separator: " "))")
        }
    }
}
