import Graph

/// ONNX `Pad` (canonical form: data, pads, constant_value?, axes?), modes constant, reflect, edge and
/// wrap. Negative pads crop. Works on float32, int64 and bool data.
enum NNPad {
    static func register(into r: inout OpRegistry) {
        r.register(OpDefinition(opType: "Pad", vjp: { try vjp($0) }, lrp: .gradient) { ctx in [try forward(ctx)] })
    }

    static func forward(_ ctx: OpContext) throws -> Tensor {
        let data = try ctx.input(0)
        let shape = data.shape
        let (outShape, maps) = try plan(ctx, shape)
        let fill = ctx.optionalInput(2)
        switch data.storage {
        case .float(let v):
            let f = fill.flatMap { $0.floatValues().first } ?? 0
            return Tensor(unchecked: outShape, floats: gather(v, fill: f, shape: shape, outShape: outShape, maps: maps))
        case .int64(let v):
            let f = fill.flatMap { try? $0.cast(to: .int64).ints().first } ?? 0
            return Tensor(unchecked: outShape, ints: gather(v, fill: f, shape: shape, outShape: outShape, maps: maps))
        case .bool(let v):
            let f = fill.flatMap { try? $0.cast(to: .bool).bools().first } ?? false
            return Tensor(unchecked: outShape, bools: gather(v, fill: f, shape: shape, outShape: outShape, maps: maps))
        }
    }

    /// The output shape and, per axis, the input index each output position reads (-1: the constant).
    static func plan(_ ctx: OpContext, _ shape: [Int]) throws -> (outShape: [Int], maps: [[Int]]) {
        let rank = shape.count
        let pads = try ctx.nnOptionalInts(1, "pads") ?? []
        var axes = Array(0..<rank)
        if let a = try ctx.nnOptionalInts(3, "axes") { axes = try a.map { try ctx.nnAxis($0, rank: rank, name: "pad axis") } }
        guard pads.count == 2 * axes.count else {
            throw GraphError.invalidShape("Pad: pads has \(pads.count) values, expected \(2 * axes.count) for \(axes.count) axes of input \(shape)")
        }
        guard Set(axes).count == axes.count else { throw GraphError.attribute("Pad: axes \(axes) repeat an axis") }
        var begin = [Int](repeating: 0, count: rank), end = begin
        for (k, a) in axes.enumerated() { begin[a] = pads[k]; end[a] = pads[k + axes.count] }
        let mode: String = try ctx.attr("mode", default: "constant")
        guard ["constant", "reflect", "edge", "wrap"].contains(mode) else {
            throw GraphError.attribute("Pad: unknown mode '\(mode)' (constant, reflect, edge, wrap)")
        }
        var outShape = shape
        var maps: [[Int]] = []
        for d in 0..<rank {
            outShape[d] = shape[d] + begin[d] + end[d]
            guard outShape[d] >= 0 else {
                throw GraphError.invalidShape("Pad: pads \(begin[d]), \(end[d]) crop axis \(d) of size \(shape[d]) below zero")
            }
            if mode != "constant" && shape[d] == 0 && outShape[d] > 0 {
                throw GraphError.invalidShape("Pad: cannot \(mode)-pad axis \(d), which is empty")
            }
        }
        try NNUtil.checkAllocatable("Pad", "output", outShape)
        for d in 0..<rank {
            maps.append((0..<outShape[d]).map { sourceIndex($0 - begin[d], size: shape[d], mode: mode) })
        }
        return (outShape, maps)
    }

    /// dX[i] = Σ dY over the output positions that read input i (reflect, edge and wrap read an
    /// input element several times); the constant_value input gets Σ dY over the padded positions.
    static func vjp(_ ctx: BackwardContext) throws -> [Tensor?] {
        var result = ctx.nnNoGradients
        let data = try ctx.input(0)
        guard data.dtype == .float32 else { return result }
        let shape = data.shape, rank = shape.count
        let (outShape, maps) = try plan(ctx.forwardContext(), shape)
        let dy = try ctx.nnOutputGrad(shape: outShape)
        var dx = [Float](repeating: 0, count: data.count)
        var dFill: Double = 0
        if rank == 0 {
            dx = dy
        } else if let last = outShape.last, last > 0 {
            let inStr = NNUtil.stridesOf(shape), lastMap = maps[rank - 1]
            var idx = [Int](repeating: 0, count: rank - 1)
            for row in 0..<(dy.count / last) {
                var off = 0, inside = true
                for d in 0..<(rank - 1) {
                    let s = maps[d][idx[d]]
                    if s < 0 { inside = false; break }
                    off += s * inStr[d]
                }
                let base = row * last
                for o in 0..<last {
                    let s = lastMap[o]
                    if inside && s >= 0 { dx[off + s] += dy[base + o] } else { dFill += Double(dy[base + o]) }
                }
                var d = rank - 2
                while d >= 0 { idx[d] += 1; if idx[d] < outShape[d] { break }; idx[d] = 0; d -= 1 }
            }
        }
        if ctx.nnWants(0) { result[0] = Tensor(unchecked: shape, floats: dx) }
        if ctx.nnWants(2), let f = ctx.inputs[2], f.dtype == .float32, f.count == 1 {
            result[2] = Tensor(unchecked: f.shape, floats: [Float(dFill)])
        }
        return result
    }

    /// Input index read for input-relative position `j` on an axis of `size` (-1: the constant).
    static func sourceIndex(_ j: Int, size n: Int, mode: String) -> Int {
        if j >= 0 && j < n { return j }
        switch mode {
        case "edge": return j < 0 ? 0 : n - 1
        case "wrap": return ((j % n) + n) % n
        case "reflect":
            if n == 1 { return 0 }
            let period = 2 * (n - 1)
            let k = ((j % period) + period) % period
            return k < n ? k : period - k
        default: return -1
        }
    }

    /// out[o] = src[maps[0][o0], maps[1][o1], ...], or `fill` where any map is -1.
    static func gather<T>(_ src: [T], fill: T, shape: [Int], outShape: [Int], maps: [[Int]]) -> [T] {
        let rank = shape.count
        let total = Tensor.elementCount(outShape)
        if rank == 0 { return src }
        var out = [T](repeating: fill, count: total)
        let last = outShape[rank - 1]
        guard last > 0 else { return out }
        let inStr = NNUtil.stridesOf(shape)
        let lastMap = maps[rank - 1]
        var idx = [Int](repeating: 0, count: rank - 1)
        src.withUnsafeBufferPointer { sb in out.withUnsafeMutableBufferPointer { ob in
            for row in 0..<(total / last) {
                var off = 0, inside = true
                for d in 0..<(rank - 1) {
                    let s = maps[d][idx[d]]
                    if s < 0 { inside = false; break }
                    off += s * inStr[d]
                }
                if inside {
                    let base = row * last
                    for o in 0..<last { let s = lastMap[o]; if s >= 0 { ob[base + o] = sb[off + s] } }
                }
                var d = rank - 2
                while d >= 0 { idx[d] += 1; if idx[d] < outShape[d] { break }; idx[d] = 0; d -= 1 }
            }
        } }
        return out
    }
}
