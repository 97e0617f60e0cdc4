import Graph
import Rules
import XCTest

/// Finite-difference checks of VJPs, independent of the VJP code: the objective is
/// L = Σ_k Σ_j w_k[j]·y_k[j] over every float output y_k with fixed pseudo-random weights w_k (a
/// different projection per output, so a Split's outputs each get their own gradient). The
/// analytic gradient is the op's VJP given w as output gradients; the numeric one is the central
/// difference (L(x + h·e) - L(x - h·e)) / 2h, per element, accumulated in Double.
///
/// Inputs must stay at least `step` away from kinks (see `GradCheck.values(_:seed:in:avoid:)`).
struct GradCheck {
    var registry = standardRegistry()
    var opset = 21
    var step: Float = 1e-2
    /// Accept |analytic - numeric| <= atol + rtol · max |numeric| (per input).
    var rtol: Float = 1e-2
    var atol: Float = 1e-3

    /// The op's definition for `node`, or a test failure.
    func definition(_ node: Node) throws -> OpDefinition {
        guard let def = registry.lookup(domain: node.domain, opType: node.opType, opset: opset) else {
            throw GraphError.unsupportedOps([node.opType: [node.name]])
        }
        return def
    }

    /// Runs `node` forward on `inputs`.
    func forward(_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        try Executor.call(definition(node), node: node, args: inputs, threads: 1, opset: opset)
    }

    /// The VJP of `node` at `inputs` for the given output gradients; `needs` defaults to every present input.
    func vjp(_ node: Node, _ inputs: [Tensor?], outputGrads: [Tensor], needs: [Bool]? = nil) throws -> [Tensor?] {
        let def = try definition(node)
        guard let vjp = def.vjp else { throw GraphError.kernel("\(node.opType) has no VJP") }
        let outputs = try forward(node, inputs)
        let ctx = BackwardContext(node: node, inputs: inputs, outputs: outputs, outputGrads: outputGrads,
                                  needs: needs ?? inputs.map { $0 != nil }, threads: 1, opset: opset)
        return try vjp(ctx)
    }

    /// The output weights of the objective (one pseudo-random tensor per float output).
    func weights(for outputs: [Tensor], seed: Int) -> [Tensor] {
        outputs.enumerated().map { k, y in
            y.dtype == .float32 ? Tensor(unchecked: y.shape, floats: GradCheck.values(y.count, seed: seed * 31 + k + 7))
                                : Tensor.zeros(y.shape, dtype: y.dtype)
        }
    }

    /// Σ w·y over the float outputs, in Double.
    static func objective(_ outputs: [Tensor], _ weights: [Tensor]) throws -> Double {
        var s = 0.0
        for (y, w) in zip(outputs, weights) where y.dtype == .float32 {
            for (a, b) in zip(try y.floats(), try w.floats()) { s += Double(a) * Double(b) }
        }
        return s
    }

    /// Checks the VJP of `node` for every input in `wrt` (default: every float input) by central
    /// differences; every input not in `wrt` that is not float32 must get no gradient.
    func check(_ node: Node, _ inputs: [Tensor?], wrt: [Int]? = nil, seed: Int = 1,
               file: StaticString = #filePath, line: UInt = #line) throws {
        let outputs = try forward(node, inputs)
        let w = weights(for: outputs, seed: seed)
        let grads = try vjp(node, inputs, outputGrads: w)
        XCTAssertEqual(grads.count, inputs.count, "\(node.opType): one gradient entry per input", file: file, line: line)
        let targets = wrt ?? inputs.indices.filter { inputs[$0]?.dtype == .float32 }
        for (i, x) in inputs.enumerated() where x != nil && x?.dtype != .float32 && i < grads.count {
            XCTAssertNil(grads[i], "\(node.opType): non-float input #\(i) must get no gradient", file: file, line: line)
        }
        for i in targets {
            guard let x = inputs[i], i < grads.count, let g = grads[i] else {
                XCTFail("\(node.opType): no gradient for input #\(i)", file: file, line: line); continue
            }
            XCTAssertEqual(g.shape, x.shape, "\(node.opType): gradient shape of input #\(i)", file: file, line: line)
            let numeric = try numericGradient(node, inputs, input: i, weights: w)
            let analytic = try g.floats()
            let scale = numeric.map { abs($0) }.max() ?? 0
            var worst: Float = 0, at = 0
            for j in numeric.indices where j < analytic.count {
                let d = abs(analytic[j] - numeric[j])
                if !(d <= worst) { worst = d.isNaN ? .infinity : d; at = j }
            }
            XCTAssertLessThanOrEqual(worst, atol + rtol * scale,
                "\(node.opType) input #\(i): max |analytic - numeric| \(worst) at \(at) (analytic \(analytic.isEmpty ? 0 : analytic[at]), numeric \(numeric.isEmpty ? 0 : numeric[at])), scale \(scale)",
                file: file, line: line)
        }
    }

    /// dL/dx_i by central differences, one element at a time.
    func numericGradient(_ node: Node, _ inputs: [Tensor?], input i: Int, weights w: [Tensor]) throws -> [Float] {
        guard let x = inputs[i] else { return [] }
        let v = try x.floats()
        return try v.indices.map { j in
            var plus = v, minus = v
            plus[j] += step; minus[j] -= step
            var ip = inputs, im = inputs
            ip[i] = Tensor(unchecked: x.shape, floats: plus)
            im[i] = Tensor(unchecked: x.shape, floats: minus)
            let lp = try GradCheck.objective(forward(node, ip), w), lm = try GradCheck.objective(forward(node, im), w)
            return Float((lp - lm) / (2 * Double(step)))
        }
    }

    // MARK: Inputs

    /// `n` deterministic values in -1...1 (a linear congruential sequence).
    static func values(_ n: Int, seed: Int) -> [Float] {
        var s = UInt64(truncatingIfNeeded: seed) &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return (0..<n).map { _ in
            s = s &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(s >> 40) / Float(1 << 23) - 1
        }
    }

    /// A float tensor of `shape` with values in `range`, pushed at least `margin` away from every
    /// point in `avoid` (kinks, where finite differences are meaningless).
    static func tensor(_ shape: [Int], seed: Int, in range: ClosedRange<Float> = -1...1,
                       avoid: [Float] = [], margin: Float = 0.1) -> Tensor {
        let mid = (range.lowerBound + range.upperBound) / 2, half = (range.upperBound - range.lowerBound) / 2
        let v = values(Tensor.elementCount(shape), seed: seed).map { u -> Float in
            var x = mid + half * u
            for k in avoid where abs(x - k) < margin { x = x < k ? k - margin : k + margin }
            return x
        }
        return Tensor(unchecked: shape, floats: v)
    }

    /// A float tensor of `shape` whose values are distinct multiples of `spacing` plus `offset`,
    /// shuffled: no two are closer than `spacing` (for Max, Min and ReduceMax away from ties).
    static func distinct(_ shape: [Int], seed: Int, spacing: Float = 0.1, offset: Float = 0) -> Tensor {
        let n = Tensor.elementCount(shape)
        let keys = values(n, seed: seed)
        let order = keys.indices.sorted { keys[$0] < keys[$1] }
        var v = [Float](repeating: 0, count: n)
        for (rank, j) in order.enumerated() { v[j] = Float(rank) * spacing + offset - Float(n) * spacing / 2 }
        return Tensor(unchecked: shape, floats: v)
    }
}

/// A one-node graph's node with inputs x0, x1, ... (empty names for absent ones) and outputs y0, ...
func gradNode(_ op: String, inputs: [Tensor?], outputs: Int = 1, _ attributes: [String: Attribute] = [:]) -> Node {
    Node(name: op.lowercased(), opType: op, inputs: inputs.enumerated().map { $0.element == nil ? "" : "x\($0.offset)" },
         outputs: (0..<outputs).map { "y\($0)" }, attributes: attributes)
}
