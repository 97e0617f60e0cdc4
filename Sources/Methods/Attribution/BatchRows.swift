import Graph

/// Row bookkeeping shared by the attribution methods: a batch is a tensor [rows, ...] whose
/// row m explains image `images[m]`.
enum BatchRows {
    /// Consecutive ranges of at most `size` rows covering 0..<total.
    static func chunks(total: Int, size: Int) -> [Range<Int>] {
        let s = max(1, size)
        return stride(from: 0, to: total, by: s).map { $0..<min($0 + s, total) }
    }

    /// Checks that `x` is a float batch [N, ...] with N >= 1 and returns (N, elements per row).
    static func shape(of x: Tensor, method: String) throws -> (n: Int, row: Int) {
        guard x.dtype == .float32 else { throw ExplainError("\(method): the input must be float32, got \(x.dtype)") }
        guard x.rank >= 2, x.shape[0] >= 1, x.count > 0 else {
            throw ExplainError("\(method): the input must be a non-empty batch [N, ...], got \(x.shape)")
        }
        return (x.shape[0], x.count / x.shape[0])
    }

    /// Checks an image batch [N, C, H, W] and returns its dimensions.
    static func image(of x: Tensor, method: String) throws -> (n: Int, c: Int, h: Int, w: Int) {
        _ = try shape(of: x, method: method)
        guard x.rank == 4 else { throw ExplainError("\(method): the input must be an image batch [N, C, H, W], got \(x.shape)") }
        return (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    }

    /// The shape of a batch of `rows` rows shaped like the rows of `x`.
    static func shape(rows: Int, like x: Tensor) -> [Int] { [rows] + x.shape.dropFirst() }
}
