import Graph
import Rules
import TestSupport
import XCTest

/// CLRP and SGLRP (docs/methods.md, "Initial relevance for contrastive LRP"): initial relevance per mode, single-pass = two-pass by linearity,
/// and the two-pass combinations.
final class LRPContrastiveTests: XCTestCase {
    private let z = ft([1, -2, 3, 0.5, 2, -1], [2, 3])

    func testInitialRelevancePerMode() throws {
        let t = [2, 1]
        func seeds(_ m: ContrastiveMode) throws -> ([Float], [Float]?) {
            let (a, b) = try Contrastive.initialRelevance(logits: z, targets: t, mode: m)
            return (a.floatValues(), b?.floatValues())
        }
        XCTAssertEqual(try seeds(.lrp).0, [0, 0, 1, 0, 1, 0])
        XCTAssertEqual(try seeds(.lrpLogit).0, [0, 0, 3, 0, 2, 0])
        let third: Float = -1.0 / 3
        XCTAssertEqual(try seeds(.clrpRcam).0, [third, third, 1, third, 1, third])
        let gu = try seeds(.clrp1Gu)
        XCTAssertEqual(gu.0, [0, 0, 3, 0, 2, 0]); XCTAssertEqual(gu.1, [1, 2, 0, 0.5, 0, 1])
        let uni = try seeds(.clrp1Uniform)
        XCTAssertEqual(uni.0, [0, 0, 3, 0, 2, 0]); XCTAssertEqual(uni.1, [1.5, 1.5, 0, 1, 0, 1])
        XCTAssertNil(try seeds(.clrp2).1)
        // Softmax of row 0: p = e^z / Σ e^z.
        let e: [Double] = [exp(1), exp(-2), exp(3)], s = e.reduce(0, +), p = e.map { $0 / s }
        let sg = try seeds(.sglrp).0
        for (j, want) in [-p[2] * p[0], -p[2] * p[1], p[2] * (1 - p[2])].enumerated() {
            XCTAssertEqual(Double(sg[j]), want, accuracy: 1e-6)
        }
        XCTAssertEqual(sg[3..<6].reduce(0, +), 0, accuracy: 1e-6, "softmax gradient sums to zero")
        let sc = try seeds(.sglrpScaled)
        XCTAssertEqual(Double(sc.0[2]), p[2] * (1 - p[2]) + 1e-8, accuracy: 1e-6)
        XCTAssertEqual(Double(try XCTUnwrap(sc.1)[0]), p[2] * p[0], accuracy: 1e-6)
        XCTAssertThrowsError(try Contrastive.initialRelevance(logits: z, targets: [0, 3], mode: .lrp))
        XCTAssertThrowsError(try Contrastive.initialRelevance(logits: z, targets: [0], mode: .lrp))
    }

    func testCombinations() throws {
        assertClose(try Contrastive.normalizedDifference(ft([1, 3], [1, 2]), ft([2, 2], [1, 2])), ft([0, 0.25], [1, 2]))
        assertClose(try Contrastive.rescaledDifference(ft([1, 3], [1, 2]), ft([1, 1], [1, 2])), ft([-1, 1], [1, 2]))
    }

    private func explainer() throws -> (LRPExplainer, [String: Tensor]) {
        let (g, feeds) = LRPNets.bn()
        return (try LRPExplainer(graph: g, registry: standardRegistry(), composite: try Composite.preset(.epsilonPlus), threads: 1), feeds)
    }

    func testSinglePassModesEqualTwoPassDifferences() throws {
        let (ex, feeds) = try explainer()
        let values = try ex.forward(feeds: feeds, seedValues: ["y"], read: ["x", "r1"])
        let y = try XCTUnwrap(values["y"])
        let targets = [1, 3], n = 4
        func back(_ seed: [Float]) throws -> [String: Tensor] { try ex.backward(values: values, seeds: ["y": ft(seed, [2, n])], read: ["x", "r1"]) }
        func onehot(_ f: (Int, Int) -> Float) -> [Float] { (0..<(2 * n)).map { f($0 / n, $0 % n) } }
        // clrp_rcam = LRP(e_t) − LRP((1/N)(1 − e_t)).
        let rc = try Contrastive.relevance(explainer: ex, feeds: feeds, logits: "y", targets: targets, mode: .clrpRcam, read: ["x", "r1"])
        let rt = try back(onehot { s, j in j == targets[s] ? 1 : 0 }), rd = try back(onehot { s, j in j == targets[s] ? 0 : 1 / Float(n) })
        // sglrp = LRP(ŷ_t(1−ŷ_t)e_t) − LRP(ŷ_t ŷ_n, n ≠ t).
        let yv = y.floatValues()
        let p = (0..<2).flatMap { s -> [Float] in
            let row = yv[(s * n)..<((s + 1) * n)].map { exp(Double($0)) }
            let tot = row.reduce(0, +)
            return row.map { Float($0 / tot) }
        }
        let sg = try Contrastive.relevance(explainer: ex, feeds: feeds, logits: "y", targets: targets, mode: .sglrp, read: ["x", "r1"])
        let st = try back(onehot { s, j in j == targets[s] ? p[s * n + j] * (1 - p[s * n + j]) : 0 })
        let sd = try back(onehot { s, j in j == targets[s] ? 0 : p[s * n + targets[s]] * p[s * n + j] })
        for name in ["x", "r1"] {
            let a = try XCTUnwrap(rt[name]), b = try XCTUnwrap(rd[name])
            assertClose(try XCTUnwrap(rc[name]), ft(zip(a.floatValues(), b.floatValues()).map { $0 - $1 }, a.shape), rtol: 1e-4, "clrp_rcam \(name)")
            let c = try XCTUnwrap(st[name]), d = try XCTUnwrap(sd[name])
            assertClose(try XCTUnwrap(sg[name]), ft(zip(c.floatValues(), d.floatValues()).map { $0 - $1 }, c.shape), rtol: 1e-4, "sglrp \(name)")
        }
    }

    func testTwoPassModes() throws {
        let (ex, feeds) = try explainer()
        let targets = [0, 2]
        // Scaled SGLRP and uniform CLRP rescale the dual to the target's total: every sample sums to 0.
        for mode in [ContrastiveMode.sglrpScaled, .clrp1Uniform] {
            let r = try Contrastive.relevance(explainer: ex, feeds: feeds, logits: "y", targets: targets, mode: mode, read: ["x"])
            let x = try XCTUnwrap(r["x"])
            let scale = x.floatValues().map(abs).max() ?? 0
            XCTAssertGreaterThan(scale, 0)
            for s in perSampleSums(x) { XCTAssertEqual(s, 0, accuracy: 1e-4 * scale * Float(x.count), mode.rawValue) }
        }
        // Gu's CLRP1 is ReLU(R/ΣR − D/ΣD): non-negative and equal to the explicit combination.
        let values = try ex.forward(feeds: feeds, seedValues: ["y"], read: ["x"])
        let (t, d) = try Contrastive.initialRelevance(logits: try XCTUnwrap(values["y"]), targets: targets, mode: .clrp1Gu)
        let rt = try XCTUnwrap(try ex.backward(values: values, seeds: ["y": t], read: ["x"])["x"])
        let rd = try XCTUnwrap(try ex.backward(values: values, seeds: ["y": try XCTUnwrap(d)], read: ["x"])["x"])
        let gu = try XCTUnwrap(try Contrastive.relevance(explainer: ex, feeds: feeds, logits: "y", targets: targets, mode: .clrp1Gu, read: ["x"])["x"])
        XCTAssertGreaterThanOrEqual(gu.floatValues().min() ?? -1, 0)
        assertClose(gu, try Contrastive.normalizedDifference(rt, rd), rtol: 1e-5)
    }

    func testCLRP2NegatesTheLastLayer() throws {
        let (g, feeds) = LRPNets.bn()
        // CLRP's rules: z⁺ everywhere (ε on the last layer is unchanged by negating W and b).
        let comp = try Composite.preset(.epsilonPlus).with(.dense, LRPRules.zPlus())
        let ex = try LRPExplainer(graph: g, registry: standardRegistry(), composite: comp, threads: 1)
        let targets = [1, 1]
        let r = try XCTUnwrap(try Contrastive.relevance(explainer: ex, feeds: feeds, logits: "y", targets: targets, mode: .clrp2, read: ["x"])["x"])
        // By hand: the same graph with fc2's weight and bias negated, seeded with the same |z_t|·e_t.
        var neg = g
        neg.initializers["W4"] = ft(try XCTUnwrap(g.initializers["W4"]).floatValues().map { -$0 }, [4, 5])
        neg.initializers["B4"] = ft(try XCTUnwrap(g.initializers["B4"]).floatValues().map { -$0 }, [4])
        let y = try LRPNets.logits(g, feeds)
        let (seed, _) = try Contrastive.initialRelevance(logits: y, targets: targets, mode: .clrp2)
        let rt = try XCTUnwrap(try lrp(g, feeds: feeds, composite: comp, seeds: ["y": seed], read: ["x"], canonizers: [MergeBatchNorm()])["x"])
        let rd = try XCTUnwrap(try lrp(neg, feeds: feeds, composite: comp, seeds: ["y": seed], read: ["x"], canonizers: [MergeBatchNorm()])["x"])
        assertClose(r, try Contrastive.normalizedDifference(rt, rd), rtol: 1e-5)
        XCTAssertNotEqual(rt, rd)
        // The logits must come straight from a linear layer.
        var b = LRPGraphBuilder()
        b.input("x", [1, 2]); b.node("Relu", ["x"], "y"); b.output("y")
        let ex2 = try LRPExplainer(graph: b.graph, registry: standardRegistry(), composite: Composite(), threads: 1)
        XCTAssertThrowsError(try Contrastive.relevance(explainer: ex2, feeds: ["x": ft([1, 2], [1, 2])], logits: "y", targets: [0], mode: .clrp2, read: ["x"])) {
            XCTAssertTrue("\($0)".contains("linear layer"), "\($0)")
        }
    }
}
