import Graph

/// The adjoints of broadcasting and strided reads, for VJPs: a gradient summed back to the shape
/// an operand was broadcast from, and a gradient scattered back through the strided view a forward
/// kernel read (Slice, Transpose, Expand).
public enum Unbroadcast {
    /// `g` (values over `shape`) summed over the dimensions along which `target` was broadcast to
    /// `shape`: the gradient of an operand of shape `target` whose broadcast produced `shape`.
    /// Throws when `target` does not broadcast to `shape`.
    public static func sum(_ g: [Float], _ shape: [Int], to target: [Int]) throws -> [Float] {
        guard g.count == Tensor.elementCount(shape) else {
            throw GraphError.invalidShape("gradient has \(g.count) values, shape \(shape) holds \(Tensor.elementCount(shape))")
        }
        if shape == target { return g }
        guard target.count <= shape.count, (try? Broadcast.shape(target, shape)) == shape else {
            throw GraphError.invalidShape("cannot sum a gradient of shape \(shape) back to \(target): \(target) does not broadcast to \(shape)")
        }
        let loop = StridedLoop(shape: shape, strides: [Broadcast.strides(target, to: shape)])
        return try scatterAdd(g, loop, count: Tensor.elementCount(target))
    }

    /// `g` summed back to `target` (see `sum(_:_:to:)`), as a float tensor.
    public static func tensor(_ g: Tensor, to target: [Int]) throws -> Tensor {
        Tensor(unchecked: target, floats: try sum(g.floats(), g.shape, to: target))
    }

    /// The adjoint of `Broadcast.gather`: a zero array of `count` elements to which every value of
    /// `g` (one per element of `loop`'s output, row-major) is added at the operand-0 position the
    /// loop read it from. Positions read several times (zero strides) accumulate. The loop's
    /// offsets must lie in `0..<count` (it is the loop of a forward read of that many elements).
    public static func scatterAdd(_ g: [Float], _ loop: StridedLoop, count: Int) throws -> [Float] {
        guard g.count == loop.count else {
            throw GraphError.invalidShape("gradient has \(g.count) values, the strided view \(loop.count)")
        }
        var out = [Float](repeating: 0, count: count)
        guard loop.count > 0 else { return out }
        let inner = loop.inner, s = loop.innerStride(0)
        out.withUnsafeMutableBufferPointer { po in
            g.withUnsafeBufferPointer { pg in
                loop.forEachRow(0..<loop.rows) { o, offs in
                    let i0 = offs[0]
                    if s == 0 {
                        var acc: Float = 0
                        for k in 0..<inner { acc += pg[o + k] }
                        po[i0] += acc
                    } else {
                        for k in 0..<inner { po[i0 + k * s] += pg[o + k] }
                    }
                }
            }
        }
        return out
    }
}
