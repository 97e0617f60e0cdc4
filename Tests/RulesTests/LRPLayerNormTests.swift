import Graph
import Rules
import TestSupport
import XCTest

/// The LN-rule (`LayerNormRule`): conservation with a zeroed bias, the bias's share otherwise,
/// the closed form on one row, InstanceNormalization, and the decomposed LayerNorm
/// (ReduceMean / Sub / Pow / Sqrt / Div) giving the same relevance as the fused op.
final class LRPLayerNormTests: XCTestCase {
    static let d = 6

    /// x [2, 3, d] -> LayerNormalization (axis -1, γ, β) -> y.
    static func fused(seed: UInt64 = 31) -> (Graph, [String: Tensor]) {
        var rng = LRPRandom(seed), b = LRPGraphBuilder()
        b.input("x", [2, 3, d])
        b.constant("gamma", rng.tensor([d], 0.5, 1.5)); b.constant("beta", rng.tensor([d], -0.5, 0.5))
        b.node("LayerNormalization", ["x", "gamma", "beta"], "y", ["axis": .int(-1), "epsilon": .float(1e-5)], name: "ln")
        b.output("y")
        return (b.graph, ["x": rng.tensor([2, 3, d], -2, 2)])
    }

    /// The same normalisation written out: (x − mean) / sqrt(mean((x − mean)²) + ε) · γ + β.
    static func decomposed(seed: UInt64 = 31) -> (Graph, [String: Tensor]) {
        let (g, feeds) = fused(seed: seed)
        var b = LRPGraphBuilder(graph: g)
        b.graph.nodes = []
        b.constant("axes", .vector([Int64(-1)])); b.constant("two", .scalar(Float(2))); b.constant("eps", .scalar(Float(1e-5)))
        b.node("ReduceMean", ["x", "axes"], "mean", ["keepdims": .int(1)])
        b.node("Sub", ["x", "mean"], "centred")
        b.node("Pow", ["centred", "two"], "sq")
        b.node("ReduceMean", ["sq", "axes"], "var", ["keepdims": .int(1)])
        b.node("Add", ["var", "eps"], "vareps"); b.node("Sqrt", ["vareps"], "std")
        b.node("Div", ["centred", "std"], "normed")
        b.node("Mul", ["normed", "gamma"], "scaled"); b.node("Add", ["scaled", "beta"], "y")
        return (b.graph, feeds)
    }

    private func relevance(_ g: Graph, _ feeds: [String: Tensor], _ rule: LayerNormRule, seed: Tensor,
                           read: Set<String> = ["x"]) throws -> [String: Tensor] {
        let composite = Composite([.init(.role(.normalization), rule), .init(.role(.product), GateRule(stabilizer: rule.stabilizer)),
                                   .init(.role(.sum), NormRule(stabilizer: rule.stabilizer))])
        return try lrp(g, feeds: feeds, composite: composite, seeds: ["y": seed], read: read)
    }

    func testZeroBiasConservesRelevancePerRow() throws {
        let (g, feeds) = Self.fused()
        var rng = LRPRandom(2)
        let seed = rng.tensor([2, 3, Self.d], 0, 1)
        let r = try XCTUnwrap(try relevance(g, feeds, LayerNormRule(stabilizer: Stabilizer(epsilon: 1e-9), zeroBias: true), seed: seed)["x"])
        let rv = r.floatValues(), sv = seed.floatValues()
        for row in 0..<6 {
            let range = (row * Self.d)..<((row + 1) * Self.d)
            XCTAssertEqual(rv[range].reduce(0, +), sv[range].reduce(0, +), accuracy: 1e-5, "row \(row)")
        }
    }

    /// With β the epsilon rule's bias absorbs R·β/y per element; the rest reaches x. Also the
    /// closed form x_i (a_i q_i − mean(a q)) on one row, in double.
    func testBiasAbsorbsItsShareAndClosedForm() throws {
        let (g, feeds) = Self.fused()
        var rng = LRPRandom(5)
        let seed = rng.tensor([2, 3, Self.d], 0, 1)
        let r = try XCTUnwrap(try relevance(g, feeds, LayerNormRule(stabilizer: Stabilizer(epsilon: 1e-9)), seed: seed)["x"])
        // The forward the LRP walk saw (reference precision): R·β/y is sensitive to y near 0.
        let y = try XCTUnwrap(try Executor(graph: g, registry: standardRegistry(), threads: 1, precision: .reference)
            .run(feeds)["y"]).floatValues()
        let beta = try XCTUnwrap(g.initializers["beta"]).floatValues(), gamma = try XCTUnwrap(g.initializers["gamma"]).floatValues()
        let x = try XCTUnwrap(feeds["x"]).floatValues(), sv = seed.floatValues(), rv = r.floatValues()
        var absorbed: Double = 0
        for i in sv.indices { absorbed += Double(sv[i]) * Double(beta[i % Self.d]) / Double(y[i]) }
        let total = sv.reduce(0) { $0 + Double($1) }
        XCTAssertEqual(rv.reduce(0) { $0 + Double($1) }, total - absorbed, accuracy: 1e-4 * abs(total))
        // Row 0 by hand.
        let row = x[0..<Self.d].map(Double.init)
        let mean = row.reduce(0, +) / Double(Self.d)
        let std = (row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(Self.d) + 1e-5).squareRoot()
        let aq = (0..<Self.d).map { Double(gamma[$0]) / std * Double(sv[$0]) / Double(y[$0]) }
        let m = aq.reduce(0, +) / Double(Self.d)
        for i in 0..<Self.d { XCTAssertEqual(Double(rv[i]), row[i] * (aq[i] - m), accuracy: 1e-4 * max(1, abs(row[i] * aq[i]))) }
    }

    /// The decomposed LayerNorm, through Sub (Norm), ReduceMean (Norm), the Div gate (the std
    /// receives no relevance), Mul by γ and Add β (Norm), gives the fused op's LN-rule relevance.
    func testDecomposedLayerNormMatchesTheFusedRule() throws {
        let (f, feeds) = Self.fused(), (d, _) = Self.decomposed()
        var rng = LRPRandom(6)
        let seed = rng.tensor([2, 3, Self.d], 0, 1)
        let rule = LayerNormRule(stabilizer: Stabilizer(epsilon: 1e-9))
        let a = try XCTUnwrap(try relevance(f, feeds, rule, seed: seed)["x"]).floatValues()
        let dr = try relevance(d, feeds, rule, seed: seed, read: ["x", "std"])
        let b = try XCTUnwrap(dr["x"]).floatValues()
        let scale = a.map(abs).max() ?? 1
        for (u, v) in zip(a, b) { XCTAssertEqual(u, v, accuracy: 1e-4 * scale) }
        XCTAssertEqual(try XCTUnwrap(dr["std"]).floatValues().map(abs).max(), 0)
    }

    /// InstanceNormalization: per (n, c) plane, conservation with a zeroed bias.
    func testInstanceNormZeroBiasConserves() throws {
        var rng = LRPRandom(40), b = LRPGraphBuilder()
        b.input("x", [2, 3, 4, 4])
        b.constant("s", rng.tensor([3], 0.5, 1.5)); b.constant("bias", rng.tensor([3], -0.5, 0.5))
        b.node("InstanceNormalization", ["x", "s", "bias"], "y", name: "in"); b.output("y")
        let feeds = ["x": rng.tensor([2, 3, 4, 4], -2, 2)], seed = rng.tensor([2, 3, 4, 4], 0, 1)
        let r = try XCTUnwrap(try relevance(b.graph, feeds, LayerNormRule(stabilizer: Stabilizer(epsilon: 1e-9), zeroBias: true),
                                            seed: seed)["x"]).floatValues()
        let sv = seed.floatValues()
        for plane in 0..<6 {
            let range = (plane * 16)..<((plane + 1) * 16)
            XCTAssertEqual(r[range].reduce(0, +), sv[range].reduce(0, +), accuracy: 1e-5, "plane \(plane)")
        }
    }

    /// A non-constant γ is not a parameter the rule can hold: the error names the node and rule.
    func testComputedScaleIsRejected() throws {
        var rng = LRPRandom(41), b = LRPGraphBuilder()
        b.input("x", [2, 4])
        b.constant("axes", .vector([Int64(0)]))
        b.node("ReduceMean", ["x", "axes"], "m", ["keepdims": .int(0)]); b.node("Sigmoid", ["m"], "gamma")
        b.node("LayerNormalization", ["x", "gamma"], "y", name: "ln"); b.output("y")
        let feeds = ["x": rng.tensor([2, 4])]
        XCTAssertThrowsError(try relevance(b.graph, feeds, LayerNormRule(), seed: ft([1, 1, 1, 1, 1, 1, 1, 1], [2, 4]))) { error in
            guard case .ruleMismatch(let node, let op, _, _)? = error as? LRPError else { return XCTFail("\(error)") }
            XCTAssertEqual(node, "ln"); XCTAssertEqual(op, "LayerNormalization")
        }
    }
}
