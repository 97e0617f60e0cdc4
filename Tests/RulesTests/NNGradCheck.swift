import Graph
import Rules
import XCTest

/// Finite-difference checks of NN op gradients (VJPs).
///
/// For an op f and a fixed random upstream gradient v, the objective L(x) = Σ v · f(x) has
/// dL/dx = VJP(v). Each element of each checked input is perturbed by ±h and the central difference
/// (L(x+h) - L(x-h)) / 2h (accumulated in Double) is compared with the VJP within
/// atol + rtol · max |VJP|. Keep tensors small (every element costs two forward runs) and inputs
/// away from kinks.
struct NNGradCheck {
    static let registry = standardRegistry()

    var op: String
    var inputs: [Tensor?]
    var attrs: [String: Attribute] = [:]
    var threads = 1
    var opset = 21

    init(_ op: String, _ inputs: [Tensor?], _ attrs: [String: Attribute] = [:], threads: Int = 1) {
        self.op = op; self.inputs = inputs; self.attrs = attrs; self.threads = threads
    }

    var node: Node {
        Node(name: "n", opType: op, inputs: inputs.enumerated().map { $0.element == nil ? "" : "i\($0.offset)" },
             outputs: ["y"], attributes: attrs)
    }

    func definition() throws -> OpDefinition {
        try XCTUnwrap(NNGradCheck.registry.lookup(domain: "", opType: op, opset: opset), "no definition for \(op)")
    }

    /// The op's first output for `args`.
    func forward(_ args: [Tensor?]) throws -> Tensor {
        let out = try Executor.call(try definition(), node: node, args: args, threads: threads, opset: opset)
        return try XCTUnwrap(out.first)
    }

    /// The VJP for upstream gradient `seed`; `needs` defaults to every present input.
    func vjp(seed: Tensor, needs: [Bool]? = nil) throws -> [Tensor?] {
        let y = try forward(inputs)
        let ctx = BackwardContext(node: node, inputs: inputs, outputs: [y], outputGrads: [seed],
                                  needs: needs ?? inputs.map { $0 != nil }, threads: threads, opset: opset)
        let f = try XCTUnwrap(try definition().vjp, "\(op) has no VJP")
        return try f(ctx)
    }

    /// Σ seed · f(args) in Double.
    func objective(_ args: [Tensor?], seed: [Float]) throws -> Double {
        let y = try forward(args).floats()
        var s: Double = 0
        for i in y.indices { s += Double(y[i]) * Double(seed[i]) }
        return s
    }

    /// Compares the VJP of every input in `wrt` with central differences; returns the number of
    /// elements checked.
    @discardableResult
    func check(wrt: [Int], h: Float = 1e-2, rtol: Float = 1e-2, atol: Float = 1e-4, seed: UInt64 = 7,
               file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        let y = try forward(inputs)
        var rng = NNGradRandom(seed)
        let v = rng.floats(y.count)
        let grads = try vjp(seed: try Tensor(shape: y.shape, floats: v))
        var checked = 0
        for i in wrt {
            let x = try XCTUnwrap(inputs[i], "input \(i) is absent", file: file, line: line)
            let g = try XCTUnwrap(grads.count > i ? grads[i] : nil, "no gradient for input \(i)", file: file, line: line)
            XCTAssertEqual(g.shape, x.shape, "\(op) gradient shape of input \(i)", file: file, line: line)
            let analytic = try g.floats()
            let base = try x.floats()
            let scale = analytic.map { abs($0) }.max() ?? 0
            var worst: Float = 0, at = 0, numericAt: Float = 0
            for j in base.indices {
                var plus = inputs, minus = inputs
                var xp = base, xm = base
                xp[j] += h; xm[j] -= h
                plus[i] = try Tensor(shape: x.shape, floats: xp)
                minus[i] = try Tensor(shape: x.shape, floats: xm)
                let numeric = Float((try objective(plus, seed: v) - objective(minus, seed: v)) / Double(2 * h))
                let d = abs(numeric - analytic[j])
                if d > worst || d.isNaN { worst = d.isNaN ? .infinity : d; at = j; numericAt = numeric }
                checked += 1
            }
            XCTAssertLessThanOrEqual(worst, atol + rtol * scale,
                "\(op) \(attrs) d/dinput\(i): max |VJP - finite difference| \(worst) at \(at) (VJP \(analytic.isEmpty ? 0 : analytic[at]), numeric \(numericAt)), scale \(scale)",
                file: file, line: line)
        }
        return checked
    }
}

/// A small deterministic generator (SplitMix64) for test data.
struct NNGradRandom {
    private var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    mutating func floats(_ n: Int, scale: Float = 1) -> [Float] {
        (0..<n).map { _ in (Float(next() >> 40) / Float(1 << 24) * 2 - 1) * scale }
    }
    mutating func tensor(_ shape: [Int], scale: Float = 1) -> Tensor {
        Tensor(unchecked: shape, floats: floats(Tensor.elementCount(shape), scale: scale))
    }
}
