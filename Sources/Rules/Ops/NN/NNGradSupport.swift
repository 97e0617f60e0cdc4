import Graph

// Small helpers shared by the NN gradients (VJPs).

extension BackwardContext {
    /// Whether the walk wants the gradient of input `i`.
    func nnWants(_ i: Int) -> Bool { i < needs.count && needs[i] && i < inputs.count && inputs[i] != nil }

    /// The gradient of output `k` as float32 values, checked against the forward output `shape`.
    func nnOutputGrad(_ k: Int = 0, shape: [Int]) throws -> [Float] {
        guard k < outputGrads.count else {
            throw GraphError.kernel("\(node.opType) gradient: no gradient given for output #\(k)")
        }
        let g = outputGrads[k]
        guard g.shape == shape else {
            throw GraphError.invalidShape("\(node.opType) gradient: output #\(k) gradient has shape \(g.shape), the output has \(shape)")
        }
        guard g.dtype == .float32 else {
            throw GraphError.kernel("\(node.opType) gradient: output #\(k) gradient must be float32, got \(g.dtype)")
        }
        return try g.floats()
    }

    /// An empty result list, one slot per input.
    var nnNoGradients: [Tensor?] { [Tensor?](repeating: nil, count: inputs.count) }
}

extension NNUtil {
    /// Sums `grad` (of the broadcast shape `full`) down to `shape`, which numpy-broadcasts to
    /// `full` (the reverse of broadcasting: the gradient of a broadcast operand).
    static func unbroadcast(_ grad: [Float], full: [Int], to shape: [Int]) throws -> [Float] {
        if shape == full { return grad }
        guard shape.count <= full.count, (try? broadcastShapes(shape, full)) == full else {
            throw GraphError.invalidShape("cannot reduce a gradient of shape \(full) to \(shape)")
        }
        let padded = [Int](repeating: 1, count: full.count - shape.count) + shape
        let str = stridesOf(padded).enumerated().map { padded[$0.offset] == 1 ? 0 : $0.element }
        var out = [Float](repeating: 0, count: Tensor.elementCount(shape))
        var idx = [Int](repeating: 0, count: full.count)
        let r = full.count
        for v in grad {
            var off = 0
            for d in 0..<r { off += idx[d] * str[d] }
            out[off] += v
            var d = r - 1
            while d >= 0 { idx[d] += 1; if idx[d] < full[d] { break }; idx[d] = 0; d -= 1 }
        }
        return out
    }
}
