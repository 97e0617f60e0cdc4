import Graph
import Rules
import TestSupport
import XCTest

/// Each rule against the spec's golden vectors (§2.7, verified with zennit 0.5.1) and against its
/// dense-matrix formula on a Gemm and on a strided, padded Conv.
final class LRPRuleTests: XCTestCase {
    // MARK: Golden vectors (hand-computed from the rules in docs/methods.md, "LRP rules")

    /// x [1, 3] -> Gemm(W [2, 3], transB) + b -> y [1, 2]; relevance [1, 0] at y.
    private func golden(_ rule: any LRPRule, bias: [Float] = [0.2, -0.3]) throws -> [Float] {
        var b = LRPGraphBuilder()
        b.input("x", [1, 3])
        b.constant("W", Tensor(unchecked: [2, 3], floats: [1, -2, 0.5, -1, 0.5, 2]))
        b.constant("b", Tensor(unchecked: [2], floats: bias))
        b.node("Gemm", ["x", "W", "b"], "y", ["transB": .int(1)])
        b.output("y")
        let r = try lrp(b.graph, feeds: ["x": Tensor(unchecked: [1, 3], floats: [1, 0.5, -1])], composite: linearComposite(rule),
                        seeds: ["y": Tensor(unchecked: [1, 2], floats: [1, 0])], read: ["x"])
        return try XCTUnwrap(r["x"]).floatValues()
    }

    private func check(_ got: [Float], _ want: [Float], _ what: String, line: UInt = #line) {
        XCTAssertEqual(got.count, want.count, what, line: line)
        for (g, w) in zip(got, want) { XCTAssertEqual(g, w, accuracy: 1e-5, "\(what): got \(got), want \(want)", line: line) }
    }

    func testGoldenVectors() throws {
        check(try golden(LRPRules.epsilon()), [-3.333322, 3.333322, 1.666661], "Epsilon(1e-6)")
        check(try golden(LRPRules.epsilon(0.25)), [-1.818182, 1.818182, 0.909091], "Epsilon(0.25)")
        check(try golden(LRPRules.epsilon(zeroBias: true)), [-1.999996, 1.999996, 0.999998], "Epsilon zero bias")
        check(try golden(LRPRules.zPlus()), [0.833333, 0, 0], "ZPlus")
        check(try golden(try LRPRules.alphaBeta(alpha: 1, beta: 0)), [0.833333, 0, 0], "AlphaBeta(1,0)")
        check(try golden(try LRPRules.alphaBeta(alpha: 2, beta: 1)), [1.666665, -0.666666, -0.333333], "AlphaBeta(2,1)")
        check(try golden(LRPRules.gamma(0.25)), [-1.481479, 1.851849, 0.925925], "Gamma(0.25)")
        check(try golden(LRPRules.zBox(low: -1, high: 2)), [0.4, 0.6, 0.0], "ZBox(-1, 2)")
        check(try golden(LRPRules.flat()), [1.0 / 3, 1.0 / 3, 1.0 / 3], "Flat")
        check(try golden(LRPRules.wSquare()), [0.189036, 0.756144, 0.047259], "WSquare")
        check(try golden(LRPRules.wSquare(zeroBias: true)), [0.190476, 0.761905, 0.047619], "WSquare zero bias")
    }

    func testGoldenNormOnSum() throws {
        var b = LRPGraphBuilder()
        b.input("a", [2]); b.input("c", [2])
        b.node("Add", ["a", "c"], "y"); b.output("y")
        let r = try lrp(b.graph, feeds: ["a": ft([2, -1]), "c": ft([1, 3])], composite: Composite(),
                        seeds: ["y": ft([1, 1])], read: ["a", "c"])
        check(try XCTUnwrap(r["a"]).floatValues(), [0.666666, -0.5], "Norm R_a")
        check(try XCTUnwrap(r["c"]).floatValues(), [0.333333, 1.499999], "Norm R_c")
    }

    func testAlphaBetaParameterChecks() {
        XCTAssertThrowsError(try LRPRules.alphaBeta(alpha: 2, beta: 0.5)) { XCTAssertTrue("\($0)".contains("alpha - beta")) }
        XCTAssertThrowsError(try LRPRules.alphaBeta(alpha: 0.5, beta: -0.5)) { XCTAssertTrue("\($0)".contains(">= 0")) }
    }

    // MARK: Dense-matrix formulas

    private func rulePairs(low: [Double], high: [Double], lowT: Tensor, highT: Tensor) throws -> [(String, any LRPRule, DenseRule)] {
        [("epsilon", LRPRules.epsilon(), .epsilon(1e-6, zeroBias: false)),
         ("epsilon 0.1 zero bias", LRPRules.epsilon(0.1, zeroBias: true), .epsilon(0.1, zeroBias: true)),
         ("gamma", LRPRules.gamma(0.25), .gamma(0.25)),
         ("alpha2beta1", try LRPRules.alphaBeta(), .alphaBeta(2, 1)),
         ("zplus", LRPRules.zPlus(), .zPlus),
         ("zbox", LRPRules.zBox(low: lowT, high: highT), .zBox(low: low, high: high)),
         ("flat", LRPRules.flat(), .flat),
         ("wsquare", LRPRules.wSquare(), .wSquare(zeroBias: false)),
         ("wsquare zero bias", LRPRules.wSquare(zeroBias: true), .wSquare(zeroBias: true))]
    }

    func testRulesMatchDenseFormulaOnGemm() throws {
        var rng = LRPRandom(7)
        let (batch, j, k) = (2, 5, 4)
        let x = rng.tensor([batch, j]), w = rng.tensor([j, k]), bias = rng.tensor([k], -0.5, 0.5), r = rng.tensor([batch, k])
        var g = LRPGraphBuilder()
        g.input("x", [batch, j]); g.constant("W", w); g.constant("b", bias)
        g.node("Gemm", ["x", "W", "b"], "y"); g.output("y")
        // A[k][j] = W[j][k] (transB = 0).
        let wv = w.floatValues()
        let layer = DenseLayer(a: (0..<k).map { kk in (0..<j).map { Double(wv[$0 * k + kk]) } },
                               mask: [[Double]](repeating: [Double](repeating: 1, count: j), count: k),
                               b: bias.floatValues().map(Double.init))
        let low = [Double](repeating: -1.5, count: j), high = [Double](repeating: 1.5, count: j)
        for (name, rule, dense) in try rulePairs(low: low, high: high, lowT: .scalar(-1.5), highT: .scalar(1.5)) {
            let got = try XCTUnwrap(try lrp(g.graph, feeds: ["x": x], composite: linearComposite(rule), seeds: ["y": r], read: ["x"])["x"])
            var want: [Float] = []
            for s in 0..<batch {
                let xs = x.floatValues()[(s * j)..<((s + 1) * j)].map(Double.init)
                let rs = r.floatValues()[(s * k)..<((s + 1) * k)].map(Double.init)
                want += denseLRP(layer, x: xs, r: rs, rule: dense).map { Float($0) }
            }
            assertClose(got, Tensor(unchecked: [batch, j], floats: want), rtol: 1e-4, atol: 1e-5, "Gemm \(name)")
        }
    }

    func testRulesMatchDenseFormulaOnStridedConv() throws {
        var rng = LRPRandom(11)
        let (c, m, h, wd) = (2, 3, 5, 5)
        let x = rng.tensor([1, c, h, wd], -2, 2), w = rng.tensor([m, c, 3, 3]), bias = rng.tensor([m], -0.3, 0.3)
        let (layer, oh, ow) = convMatrix(w: w.floatValues(), m: m, c: c, kh: 3, kw: 3, h: h, wd: wd, stride: 2, pad: 1,
                                         bias: bias.floatValues())
        let r = rng.tensor([1, m, oh, ow])
        var g = LRPGraphBuilder()
        g.input("x", [1, c, h, wd]); g.constant("W", w); g.constant("b", bias)
        g.node("Conv", ["x", "W", "b"], "y", ["strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])]); g.output("y")
        // Per-channel box bounds, given as [C] (broadcast along the channel axis).
        let lowC: [Float] = [-2.5, -2], highC: [Float] = [2, 2.5]
        let low = (0..<(c * h * wd)).map { Double(lowC[$0 / (h * wd)]) }, high = (0..<(c * h * wd)).map { Double(highC[$0 / (h * wd)]) }
        for (name, rule, dense) in try rulePairs(low: low, high: high, lowT: ft(lowC), highT: ft(highC)) {
            let got = try XCTUnwrap(try lrp(g.graph, feeds: ["x": x], composite: linearComposite(rule), seeds: ["y": r], read: ["x"])["x"])
            let want = denseLRP(layer, x: x.floatValues().map(Double.init), r: r.floatValues().map(Double.init), rule: dense)
            assertClose(got, Tensor(unchecked: [1, c, h, wd], floats: want.map { Float($0) }), rtol: 1e-4, atol: 1e-5, "Conv \(name)")
        }
    }

    // MARK: Stabiliser

    func testStabilizerSignAwareClipAndNormScale() throws {
        let z = Tensor(unchecked: [1, 4], floats: [0, -0.5, 2, -1e-9])
        assertClose(try Stabilizer(epsilon: 0.1)(z), Tensor(unchecked: [1, 4], floats: [0.1, -0.6, 2.1, -0.1]), atol: 1e-7)
        assertClose(try Stabilizer(epsilon: 0.1, clip: true)(z), Tensor(unchecked: [1, 4], floats: [0.1, -0.5, 2, -0.1]), atol: 1e-7)
        // rms of each row: row 0 = sqrt((9 + 16)/2) = 3.5355, row 1 = 1 -> eps 0.35355 and 0.1.
        let z2 = Tensor(unchecked: [2, 2], floats: [3, -4, 1, -1])
        assertClose(try Stabilizer(epsilon: 0.1, normScale: true)(z2),
                    Tensor(unchecked: [2, 2], floats: [3.353553, -4.353553, 1.1, -1.1]), atol: 1e-5)
    }

    func testLinearRuleOnNonLinearNodeIsAnError() throws {
        var b = LRPGraphBuilder()
        b.input("x", [1, 3]); b.node("Relu", ["x"], "y", name: "act"); b.output("y")
        let comp = Composite([.init(.opTypes(["Relu"]), LRPRules.epsilon())])
        XCTAssertThrowsError(try lrp(b.graph, feeds: ["x": ft([1, 2, 3], [1, 3])], composite: comp,
                                     seeds: ["y": Tensor(unchecked: [1, 3], floats: [1, 1, 1])], read: ["x"])) { e in
            XCTAssertTrue("\(e)".contains("'act'") && "\(e)".contains(".linear"), "\(e)")
        }
    }

    func testLinearRoleWithComputedWeightIsAProduct() throws {
        // MatMul(W, x): the role's weight (input 1) is the activation here, so no linear rule with
        // parameters applies; the node is a product with the constant W as the gate, and x gets
        // the ε-rule through y = W·x: R_x_j = x_j Σ_i W_ij R_i / y_i (no bias: conserved).
        var b = LRPGraphBuilder()
        b.input("x", [3, 1]); b.constant("W", ft([1, 2, 3, 4, 5, 6], [2, 3]))
        b.node("MatMul", ["W", "x"], "y", name: "mm"); b.output("y")
        let r = try lrp(b.graph, feeds: ["x": ft([1, 2, 3], [3, 1])], composite: linearComposite(LRPRules.epsilon()),
                        seeds: ["y": ft([1, 0], [2, 1])], read: ["x"])
        let got = try XCTUnwrap(r["x"]).floatValues()
        for (g, w) in zip(got, [1, 4, 9].map { Float($0) / 14 }) { XCTAssertEqual(g, w, accuracy: 1e-6) }
    }
}
