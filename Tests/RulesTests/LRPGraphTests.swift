import Graph
import Rules
import TestSupport
import XCTest

/// Whole-graph properties: conservation, linearity, BatchNorm merge
/// (item 3), composite selection, the no-rule error and the gradient x input fallback.
final class LRPGraphTests: XCTestCase {
    private func assertConserved(_ r: [String: Tensor], _ totals: [Float], tol: Float, _ what: String, line: UInt = #line) {
        for (name, t) in r.sorted(by: { $0.key < $1.key }) {
            for (s, want) in zip(perSampleSums(t), totals) {
                XCTAssertEqual(s, want, accuracy: tol * max(1, abs(want)), "\(what): relevance at '\(name)'", line: line)
            }
        }
    }

    func testConservationInBiasFreeDenseNet() throws {
        let (g, feeds) = LRPNets.dense()
        let y = try LRPNets.logits(g, feeds)
        let seed = LRPNets.logitSeed(y, target: 1)
        let totals = perSampleSums(seed)
        for (name, rule) in [("epsilon", LRPRules.epsilon(1e-9) as any LRPRule), ("zplus", LRPRules.zPlus(stabilizer: Stabilizer(epsilon: 1e-9)))] {
            let r = try lrp(g, feeds: feeds, composite: linearComposite(rule), seeds: ["y": seed], read: ["x", "h1", "a1", "h2", "a2"])
            assertConserved(r, totals, tol: 1e-4, name)
        }
    }

    func testSeedAtIntermediateValue() throws {
        // Relevance may start at any value: R = a1 at the hidden layer, read at the input.
        let (g, feeds) = LRPNets.dense()
        let a1 = try XCTUnwrap(try Executor(graph: g, registry: standardRegistry(), threads: 1).run(feeds, fetch: ["a1"])["a1"])
        let r = try lrp(g, feeds: feeds, composite: linearComposite(LRPRules.epsilon(1e-9)), seeds: ["a1": a1], read: ["x", "h1"])
        assertConserved(r, perSampleSums(a1), tol: 1e-4, "seed at a1")
        // The ReLU passes the seed unchanged to its input h1.
        assertClose(try XCTUnwrap(r["h1"]), a1)
    }

    func testConservationThroughResidualAddNeedsNorm() throws {
        let (g, feeds) = LRPNets.residual()
        let seed = LRPNets.logitSeed(try LRPNets.logits(g, feeds), target: 2)
        let totals = perSampleSums(seed)
        let cuts: Set<String> = ["x", "r1", "s", "r3", "flat"]
        for (name, rule) in [("epsilon", LRPRules.epsilon(1e-9) as any LRPRule), ("zplus", LRPRules.zPlus(stabilizer: Stabilizer(epsilon: 1e-9)))] {
            let r = try lrp(g, feeds: feeds, composite: linearComposite(rule), seeds: ["y": seed], read: cuts)
            assertConserved(r, totals, tol: 1e-4, name)
        }
        // With the plain gradient on the Add (zennit without its ResNet canonizer) relevance is
        // copied to both branches and the total at r1 and x is no longer conserved.
        let dup = linearComposite(LRPRules.epsilon(1e-9)).with(.name("add"), LRPRules.gradient)
        let r = try lrp(g, feeds: feeds, composite: dup, seeds: ["y": seed], read: ["r1", "s"])
        XCTAssertEqual(perSampleSums(try XCTUnwrap(r["s"]))[0], totals[0], accuracy: 1e-4 * abs(totals[0]))
        XCTAssertGreaterThan(abs(perSampleSums(try XCTUnwrap(r["r1"]))[0] - totals[0]), 0.05 * abs(totals[0]))
    }

    func testLinearityForEveryPreset() throws {
        let (g, feeds) = LRPNets.bn()
        var rng = LRPRandom(21)
        let u = rng.tensor([2, 4]), v = rng.tensor([2, 4])
        let diff = try XCTUnwrap(Tensor(shape: [2, 4], floats: zip(u.floatValues(), v.floatValues()).map { $0 - $1 }))
        for preset in Composite.Preset.allCases {
            let ex = try LRPExplainer(graph: g, registry: standardRegistry(), composite: try Composite.preset(preset), threads: 1)
            let values = try ex.forward(feeds: feeds, seedValues: ["y"], read: ["x", "r1"])
            let ru = try ex.backward(values: values, seeds: ["y": u], read: ["x", "r1"])
            let rv = try ex.backward(values: values, seeds: ["y": v], read: ["x", "r1"])
            let rd = try ex.backward(values: values, seeds: ["y": diff], read: ["x", "r1"])
            for name in ["x", "r1"] {
                let a = try XCTUnwrap(ru[name]), b = try XCTUnwrap(rv[name])
                let want = Tensor(unchecked: a.shape, floats: zip(a.floatValues(), b.floatValues()).map { $0 - $1 })
                XCTAssertGreaterThan(a.floatValues().map(abs).max() ?? 0, 0, "\(preset.rawValue) gives zero relevance")
                assertClose(try XCTUnwrap(rd[name]), want, rtol: 1e-4, atol: 1e-7, "\(preset.rawValue) at \(name)")
            }
        }
    }

    // MARK: Canonizer

    func testMergeBatchNormKeepsOutputs() throws {
        let (g, feeds) = LRPNets.bn()
        let merged = try MergeBatchNorm().apply(to: g)
        XCTAssertEqual(merged.nodes.filter { $0.opType == "BatchNormalization" }.count, 0)
        XCTAssertEqual(merged.nodes.filter { $0.opType == "Identity" }.map(\.name).sorted(), ["bn1", "bn2", "bnd"])
        assertClose(try LRPNets.logits(merged, feeds), try LRPNets.logits(g, feeds), rtol: 1e-5, "merged vs original")
        // The original weights are untouched (new initializers carry the merged ones).
        XCTAssertEqual(merged.initializers["W1"], g.initializers["W1"])
    }

    func testMergeBatchNormOnGemmAndConvTransposeAndSkipsSharedOutputs() throws {
        var rng = LRPRandom(31), b = LRPGraphBuilder()
        func bn(_ p: String, _ x: String, _ out: String, _ c: Int) {
            b.constant("\(p).g", rng.tensor([c], 0.5, 1.5)); b.constant("\(p).b", rng.tensor([c]))
            b.constant("\(p).m", rng.tensor([c])); b.constant("\(p).v", rng.tensor([c], 0.5, 1.5))
            b.node("BatchNormalization", [x, "\(p).g", "\(p).b", "\(p).m", "\(p).v"], out, ["epsilon": .float(1e-3)], name: p)
        }
        b.input("x", [2, 3, 4, 4])
        // ConvTranspose with groups: W [C_in = 4, M/group = 3, 2, 2], group 2 -> 6 output channels.
        b.constant("Wc", rng.tensor([4, 3, 1, 1])); b.node("Conv", ["x", "Wc"], "c", name: "conv")
        b.constant("Wt", rng.tensor([4, 3, 2, 2])); b.constant("Bt", rng.tensor([6]))
        b.node("ConvTranspose", ["c", "Wt", "Bt"], "t", ["group": .int(2), "strides": .ints([2, 2])], name: "convT")
        bn("bnT", "t", "tn", 6)
        b.node("GlobalAveragePool", ["tn"], "gp"); b.node("Flatten", ["gp"], "f")
        b.constant("Wg", rng.tensor([6, 5])); b.constant("Cg", rng.tensor([1, 5]))
        b.node("Gemm", ["f", "Wg", "Cg"], "h", ["beta": .float(0.5), "alpha": .float(2)], name: "gemm")
        bn("bnG", "h", "hn", 5)
        // A BN whose input also feeds another node is left alone.
        b.constant("Wk", rng.tensor([5, 2])); b.node("Gemm", ["hn", "Wk"], "k", name: "gemm2")
        bn("bnK", "k", "kn", 2)
        b.node("Add", ["kn", "k"], "y"); b.output("y")
        let feeds = ["x": rng.tensor([2, 3, 4, 4])]
        let merged = try MergeBatchNorm().apply(to: b.graph)
        XCTAssertEqual(merged.nodes.filter { $0.opType == "BatchNormalization" }.map(\.name), ["bnK"])
        assertClose(try LRPNets.logits(merged, feeds), try LRPNets.logits(b.graph, feeds), rtol: 1e-5, "merged vs original")
    }

    // MARK: Composite

    func testCompositeSelectionOrderAndPatterns() throws {
        let (g, _) = LRPNets.bn()
        let reg = standardRegistry()
        func rules(_ c: Composite) throws -> [String: String] { try c.resolve(graph: g, registry: reg).mapValues(\.description) }
        let later = try rules(Composite([.init(.role(.linear), LRPRules.epsilon()), .init(.name("fc2"), LRPRules.zPlus())]))
        XCTAssertTrue(later["fc2"]?.hasPrefix("ZPlus") == true)
        XCTAssertTrue(later["fc1"]?.hasPrefix("Epsilon") == true)
        let earlier = try rules(Composite([.init(.name("fc2"), LRPRules.zPlus()), .init(.role(.linear), LRPRules.epsilon())]))
        XCTAssertTrue(earlier["fc2"]?.hasPrefix("Epsilon") == true)
        let pat = try rules(Composite([.init(.glob("fc*"), LRPRules.flat()), .init(.regex("conv[0-9]"), LRPRules.wSquare())]))
        XCTAssertEqual(pat["fc1"], "Flat(1e-06)"); XCTAssertEqual(pat["fc2"], "Flat(1e-06)")
        XCTAssertTrue(pat["conv1"]?.hasPrefix("WSquare") == true && pat["conv2"]?.hasPrefix("WSquare") == true)
        XCTAssertEqual(pat["down"], "Gradient")  // linear without an entry: zennit leaves it to autograd
        XCTAssertEqual(pat["add"], "Norm(1e-06)"); XCTAssertEqual(pat["r1"], "Pass"); XCTAssertEqual(pat["flat"], "Gradient")
        XCTAssertThrowsError(try rules(Composite([.init(.regex("("), LRPRules.flat())])))

        let box = try rules(try Composite.preset(named: "epsilon-gamma-box"))
        XCTAssertTrue(box["conv1"]?.hasPrefix("ZBox") == true, box["conv1"] ?? "-")
        XCTAssertTrue(box["conv2"]?.hasPrefix("Gamma") == true && box["down"]?.hasPrefix("Gamma") == true)
        XCTAssertTrue(box["fc1"]?.hasPrefix("Epsilon") == true && box["fc2"]?.hasPrefix("Epsilon") == true)
        XCTAssertEqual(box["bn1"], "Pass")
        let flat = try rules(try Composite.preset(.epsilonPlusFlat))
        XCTAssertTrue(flat["conv1"]?.hasPrefix("Flat") == true && flat["conv2"]?.hasPrefix("ZPlus") == true)
        let eb = try rules(try Composite.preset(.excitationBackprop))
        XCTAssertTrue(eb["fc2"]?.hasPrefix("ZPlus") == true); XCTAssertEqual(eb["r1"], "Gradient")
        XCTAssertThrowsError(try Composite.preset(named: "epsilon-minus")) { XCTAssertTrue("\($0)".contains("epsilon-plus-flat")) }
    }

    func testOpWithoutLRPRoleNamesNodeAndFallback() throws {
        var reg = standardRegistry()
        reg.register(OpDefinition(domain: "test", opType: "Twice", vjp: { ctx in
            [try ctx.outputGrads[0].floatValues().map { $0 * 2 }].map { Tensor(unchecked: ctx.outputGrads[0].shape, floats: $0) }
        }) { ctx in [Tensor(unchecked: try ctx.input(0).shape, floats: try ctx.input(0).floatValues().map { $0 * 2 })] })
        var b = LRPGraphBuilder()
        b.input("x", [1, 3]); b.constant("W", ft([1, -2, 3, 0.5, 1, -1], [3, 2]))
        b.graph.opsets["test"] = 1
        b.graph.nodes.append(Node(name: "double", opType: "Twice", domain: "test", inputs: ["x"], outputs: ["d"]))
        b.node("Gemm", ["d", "W"], "y", name: "fc"); b.output("y")
        let feeds = ["x": ft([1, 2, -1], [1, 3])], seeds = ["y": ft([1, 0], [1, 2])]
        XCTAssertThrowsError(try LRP.relevance(graph: b.graph, registry: reg, feeds: feeds, composite: linearComposite(LRPRules.epsilon()),
                                               canonizers: [], seeds: seeds, read: ["x"], threads: 1)) { e in
            let msg = "\(e)"
            XCTAssertTrue(msg.contains("'double'") && msg.contains("test::Twice") && msg.contains("inputxgrad"), msg)
        }
        // An explicit rule for the op makes it work; the gradient doubles the relevance at d.
        let comp = linearComposite(LRPRules.epsilon(1e-9)).with(.opTypes(["test::Twice"]), LRPRules.gradient)
        let r = try LRP.relevance(graph: b.graph, registry: reg, feeds: feeds, composite: comp, canonizers: [], seeds: seeds,
                                  read: ["x", "d"], threads: 1)
        // d = [2, 4, -2]; R_d = d_j W_j0 / z_0 with z_0 = 2 + 12 - 2 = 12.
        assertClose(try XCTUnwrap(r["d"]), ft([2 / 12.0, 12 / 12.0, -2 / 12.0], [1, 3]), atol: 1e-6)
        assertClose(try XCTUnwrap(r["x"]), ft([4 / 12.0, 24 / 12.0, -4 / 12.0], [1, 3]), atol: 1e-6)
        // Gradient x input: x ⊙ 2·W[:, 0] = [1, 2, -1] ⊙ [2, 6, 2] = [2, 12, -2].
        let gi = try LRP.gradientTimesInput(graph: b.graph, registry: reg, feeds: feeds, seeds: seeds, read: ["x"], threads: 1)
        assertClose(try XCTUnwrap(gi["x"]), ft([2, 12, -2], [1, 3]), atol: 1e-6)
    }

    func testGradientTimesInputEqualsLRP0OnBiasFreeReLUNet() throws {
        let (g, feeds) = LRPNets.dense()
        // LRP-0 started from z_c·e_c equals x ⊙ ∂z_c/∂x (gradient started from e_c).
        let seed = LRPNets.logitSeed(try LRPNets.logits(g, feeds), target: 0)
        let oneHot = ft([1, 0, 0, 1, 0, 0], [2, 3])
        let gi = try LRP.gradientTimesInput(graph: g, registry: standardRegistry(), feeds: feeds, seeds: ["y": oneHot], read: ["x", "a1"], threads: 1)
        let r = try lrp(g, feeds: feeds, composite: linearComposite(LRPRules.epsilon(1e-9)), seeds: ["y": seed], read: ["x", "a1"])
        for name in ["x", "a1"] { assertClose(try XCTUnwrap(gi[name]), try XCTUnwrap(r[name]), rtol: 1e-4, atol: 1e-6, name) }
    }

    func testChannelAndSpatialSums() throws {
        let r = ft([1, 2, 3, 4, 10, 20, 30, 40], [1, 2, 2, 2])
        assertClose(try LRP.channelRelevance(r), ft([10, 100], [1, 2]))
        assertClose(try LRP.spatialRelevance(r), ft([11, 22, 33, 44], [1, 2, 2]))
        XCTAssertThrowsError(try LRP.channelRelevance(ft([1, 2])))
    }

    func testSeedShapeMismatchIsAnError() throws {
        let (g, feeds) = LRPNets.dense()
        XCTAssertThrowsError(try lrp(g, feeds: feeds, composite: Composite(), seeds: ["y": ft([1, 0, 0])], read: ["x"])) {
            XCTAssertTrue("\($0)".contains("seed for 'y'"), "\($0)")
        }
    }
}
