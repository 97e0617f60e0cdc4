import Foundation
import Graph
import Importers
import Rules
import TestSupport
import XCTest

/// LRP through products (gates, attention), LayerNorm and activations: agreement with zennit
/// 0.5.1 on exported models (`scripts/reference/zennit_gate_refs.py` -> `fixtures/lrp/gates.json`,
/// float64 references where the gate / attention / std is detached and those modules get zennit's
/// Epsilon), conservation on small graphs, and the errors for nodes without a rule.
final class LRPGateTests: XCTestCase {
    struct Model {
        let name: String, files: [String], refs: String, mid: String, low: [Float], high: [Float], presets: [String]
    }

    static func models() throws -> [Model] {
        let data = try Data(contentsOf: fixturesURL("lrp/gates.json"))
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let models = try XCTUnwrap(json["models"] as? [String: [String: Any]])
        return try models.keys.sorted().map { k in
            let m = try XCTUnwrap(models[k])
            func floats(_ key: String) throws -> [Float] { try XCTUnwrap(m[key] as? [Double]).map { Float($0) } }
            return Model(name: k, files: try XCTUnwrap(m["onnx"] as? [String]), refs: try XCTUnwrap(m["refs"] as? String),
                         mid: try XCTUnwrap(m["mid"] as? String), low: try floats("box_low"), high: try floats("box_high"),
                         presets: try XCTUnwrap(m["presets"] as? [String]))
        }
    }

    /// (Pearson, max |diff| / max |ref|) of our relevance at `value` against `key` in the references.
    static func compare(_ r: [String: Tensor], _ value: String, _ refs: [String: Tensor], _ key: String) throws -> (Double, Float) {
        let got = try XCTUnwrap(r[value], value), want = try XCTUnwrap(refs[key], key)
        XCTAssertEqual(got.shape, want.shape, key)
        let g = got.floatValues(), w = want.floatValues()
        let scale = w.map(abs).max() ?? 0
        XCTAssertGreaterThan(scale, 0, "\(key): reference is all zeros")
        let diff = zip(g, w).map { abs($0 - $1) }.max() ?? .infinity
        return (correlation(g, w), diff / scale)
    }

    /// Relevance with a preset for `model` from `file`, `extra(graph)` appended to the composite.
    static func run(_ model: Model, file: String, preset: String, extra: (Graph) -> [Composite.Entry] = { _ in [] },
                    read: Set<String>) throws -> [String: Tensor] {
        let registry = standardRegistry()
        let graph = try ONNXImporter.load(path: fixturesURL("lrp/\(file)").path, registry: registry)
        let refs = try NPZ.read(path: fixturesURL("lrp/\(model.refs)").path)
        var options = Composite.PresetOptions()
        options.low = Tensor(unchecked: [1, 3, 1, 1], floats: model.low)
        options.high = Tensor(unchecked: [1, 3, 1, 1], floats: model.high)
        var composite = try Composite.preset(named: preset, options: options)
        composite.entries += extra(graph)
        let ex = try LRPExplainer(graph: graph, registry: registry, composite: composite, threads: 2)
        return try ex.relevance(feeds: ["input": try XCTUnwrap(refs["input"])], seeds: ["logits": try XCTUnwrap(refs["seed"])],
                                read: read.filter { v in graph.nodes.contains { $0.outputs.contains(v) } || v == "input" })
    }

    /// Squeeze-excite and SiLU / HardSwish gates (senet), attention, LayerNorm (fused and written
    /// out) and decomposed GELU (vitish): every preset, input and intermediate relevance.
    func testGatesAttentionAndLayerNormAgreeWithZennit() throws {
        var checked = 0
        for model in try Self.models() {
            let refs = try NPZ.read(path: fixturesURL("lrp/\(model.refs)").path)
            for file in model.files {
                for preset in model.presets {
                    let r = try Self.run(model, file: file, preset: preset, read: ["input", model.mid])
                    for (value, key) in [("input", "\(preset).input"), (model.mid, "\(preset).mid")] where r[value] != nil {
                        let (corr, ratio) = try Self.compare(r, value, refs, key)
                        print(String(format: "zennit %@ %@: corr %.9f, max|diff|/max|ref| %.2e", file, key, corr, Double(ratio)))
                        XCTAssertGreaterThanOrEqual(corr, 0.9999, "\(file) \(key)")
                        XCTAssertLessThanOrEqual(ratio, Tolerance.conformanceRelative, "\(file) \(key)")
                        checked += 1
                    }
                }
            }
        }
        // senet: 6 presets x 2 values; vitish and vitish_decomposed: 5 x 2 each (the residual Add
        // keeps its name in both exports; excitation-backprop is not compared, see the generator).
        XCTAssertEqual(checked, 6 * 2 + 2 * 5 * 2)
    }

    /// The references discriminate: letting relevance into the gates (the op's gradient on every
    /// Mul, as autograd would), through LayerNorm's gradient, or into the attention matrix (the
    /// gradient on `softmax(QKᵀ) @ V` and the Softmax) moves the maps far outside the tolerance.
    func testReferencesRejectOtherProductAndNormRules() throws {
        let models = try Self.models()
        // The gradient through softmax(Q Kᵀ / 4) @ V: the attention product, the Softmax, the
        // scaling Div and Q Kᵀ.
        let attention: (Graph) -> [Composite.Entry] = { g in
            let producers = g.producers()
            var names: [String] = []
            for s in g.nodes where s.opType == "Softmax" {
                names.append(s.name)
                names += g.nodes.filter { $0.opType == "MatMul" && s.outputs.contains($0.inputs[0]) }.map(\.name)
                if let d = producers[s.inputs[0]].map({ g.nodes[$0] }), let qk = producers[d.inputs[0]] {
                    names += [d.name, g.nodes[qk].name]
                }
            }
            return names.map { .init(.name($0), GradientRule()) }
        }
        let cases: [(String, String, (Graph) -> [Composite.Entry])] = [
            ("senet", "Mul", { _ in [.init(.opTypes(["Mul"]), GradientRule())] }),
            ("vitish", "LayerNormalization", { _ in [.init(.opTypes(["LayerNormalization"]), GradientRule())] }),
            ("vitish", "attention", attention),
        ]
        for (name, what, extra) in cases {
            let model = try XCTUnwrap(models.first { $0.name == name })
            let refs = try NPZ.read(path: fixturesURL("lrp/\(model.refs)").path)
            let r = try Self.run(model, file: model.files[0], preset: "epsilon-plus", extra: extra, read: ["input"])
            let (_, ratio) = try Self.compare(r, "input", refs, "epsilon-plus.input")
            XCTAssertGreaterThan(ratio, 100 * Tolerance.conformanceRelative, "\(name) with Gradient on \(what)")
        }
    }

    // MARK: Small graphs

    /// x [1, 4, 3, 3] -> SiLU as x * Sigmoid(x) -> squeeze-excite (ReduceMean, Reshape, Sigmoid)
    /// -> HardSwish as x * HardSigmoid(x) -> Div by a constant -> Mul by a constant.
    static func gateGraph() -> (Graph, [String: Tensor]) {
        var rng = LRPRandom(21), b = LRPGraphBuilder()
        b.input("x", [1, 4, 3, 3])
        b.node("Sigmoid", ["x"], "sx"); b.node("Mul", ["x", "sx"], "silu", name: "silu")
        b.constant("axes", .vector([Int64(2), Int64(3)]))
        b.node("ReduceMean", ["silu", "axes"], "pooled", ["keepdims": .int(0)])
        b.constant("shape", .vector([Int64(1), Int64(4), Int64(1), Int64(1)]))
        b.node("Sigmoid", ["pooled"], "g"); b.node("Reshape", ["g", "shape"], "g4")
        b.node("Mul", ["g4", "silu"], "se", name: "se")
        b.node("HardSigmoid", ["se"], "hs"); b.node("Mul", ["se", "hs"], "hswish", name: "hswish")
        b.constant("six", .scalar(Float(6))); b.node("Div", ["hswish", "six"], "scaled", name: "div")
        b.constant("c", rng.tensor([1, 4, 1, 1], 0.5, 2)); b.node("Mul", ["c", "scaled"], "y", name: "scale")
        b.output("y")
        return (b.graph, ["x": rng.tensor([1, 4, 3, 3], -3, 3)])
    }

    /// Each gate, constant scale and constant divisor passes relevance unchanged to its signal (up
    /// to ε): the input relevance equals the seed element-wise, and the gates get none.
    func testGateProductsPassRelevanceToTheSignal() throws {
        let (graph, feeds) = Self.gateGraph()
        var rng = LRPRandom(4)
        let seed = rng.tensor([1, 4, 3, 3])
        var options = Composite.PresetOptions()
        options.stabilizer = Stabilizer(epsilon: 1e-10)  // ε's own share is below the tolerance
        for preset in Composite.Preset.allCases {
            let r = try lrp(graph, feeds: feeds, composite: try Composite.preset(preset, options: options), seeds: ["y": seed],
                            read: ["x", "g", "sx", "hs"])
            let rx = try XCTUnwrap(r["x"]).floatValues()
            for (a, b) in zip(rx, seed.floatValues()) { XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(b)), preset.rawValue) }
            for gate in ["g", "sx", "hs"] {
                XCTAssertEqual(try XCTUnwrap(r[gate]).floatValues().map(abs).max(), 0, "\(preset.rawValue): gate \(gate)")
            }
        }
    }

    /// softmax(s) @ V with V = x · W computed: V gets relevance, the scores none; with no bias the
    /// total is conserved.
    func testAttentionMatMulHoldsTheSoftmaxConstant() throws {
        var rng = LRPRandom(8), b = LRPGraphBuilder()
        b.input("x", [1, 3, 4]); b.input("s", [1, 3, 3])
        b.constant("W", rng.tensor([4, 4]))
        b.node("MatMul", ["x", "W"], "v", name: "v_proj")
        b.node("Softmax", ["s"], "attn", ["axis": .int(-1)])
        b.node("MatMul", ["attn", "v"], "y", name: "attend"); b.output("y")
        let feeds = ["x": rng.tensor([1, 3, 4], 0.1, 1), "s": rng.tensor([1, 3, 3], -2, 2)]
        let seed = rng.tensor([1, 3, 4], 0, 1)
        let r = try lrp(b.graph, feeds: feeds, composite: try Composite.preset(.epsilonPlus), seeds: ["y": seed],
                        read: ["x", "s", "v"])
        let total = seed.floatValues().reduce(0, +)
        XCTAssertEqual(try XCTUnwrap(r["v"]).floatValues().reduce(0, +), total, accuracy: 1e-4 * abs(total))
        XCTAssertEqual(try XCTUnwrap(r["x"]).floatValues().reduce(0, +), total, accuracy: 1e-4 * abs(total))
        XCTAssertEqual(try XCTUnwrap(r["s"]).floatValues().map(abs).max(), 0)
        // R_v = v ⊙ attnᵀ (R / y), checked on one element in double.
        let values = try Executor(graph: b.graph, registry: standardRegistry(), threads: 1)
            .run(feeds, fetch: ["attn", "v", "y"])
        let a = try XCTUnwrap(values["attn"]).floatValues(), v = try XCTUnwrap(values["v"]).floatValues()
        let y = try XCTUnwrap(values["y"]).floatValues(), rs = seed.floatValues()
        let (j, d) = (1, 2)
        var want: Double = 0
        for i in 0..<3 { want += Double(a[i * 3 + j]) * Double(rs[i * 4 + d]) / Double(y[i * 4 + d]) }
        want *= Double(v[j * 4 + d])
        XCTAssertEqual(Double(try XCTUnwrap(r["v"]).floatValues()[j * 4 + d]), want, accuracy: 1e-4 * abs(want))
    }

    /// Relevance can start at any intermediate value: seeded at a Softmax's input (the logits),
    /// the Softmax after it is never visited, and the map equals the one of the graph without it.
    func testSeedingAtTheSoftmaxInput() throws {
        let (graph, feeds) = LRPNets.dense()
        var withSoftmax = graph
        withSoftmax.nodes.append(Node(name: "softmax", opType: "Softmax", inputs: ["y"], outputs: ["p"]))
        withSoftmax.outputs = [ValueInfo(name: "p", shape: nil)]
        let seed = LRPNets.logitSeed(try LRPNets.logits(graph, feeds), target: 1)
        let composite = try Composite.preset(.epsilonPlus)
        let plain = try lrp(graph, feeds: feeds, composite: composite, seeds: ["y": seed], read: ["x"])
        let soft = try lrp(withSoftmax, feeds: feeds, composite: composite, seeds: ["y": seed], read: ["x"])
        XCTAssertEqual(try XCTUnwrap(soft["x"]).floatValues(), try XCTUnwrap(plain["x"]).floatValues())
        // Seeded at the probabilities, the error names the node and says where to start instead.
        let p = try Executor(graph: withSoftmax, registry: standardRegistry(), threads: 1).run(feeds, fetch: ["p"])
        XCTAssertThrowsError(try lrp(withSoftmax, feeds: feeds, composite: composite,
                                     seeds: ["p": try XCTUnwrap(p["p"])], read: ["x"])) { error in
            XCTAssertEqual(error as? LRPError, .noRule(node: "softmax", op: "Softmax"))
            let text = "\(error)"
            XCTAssertTrue(text.contains("'softmax'") && text.contains("logits") && text.contains("Composite entry for op Softmax"), text)
        }
    }

    /// A product of two computed values with no gating op: the error names the node and the fix,
    /// and the suggested composite entry makes it work.
    func testAmbiguousProductNamesTheNodeAndTheFix() throws {
        var rng = LRPRandom(12), b = LRPGraphBuilder()
        b.input("x", [1, 6])
        b.constant("W1", rng.tensor([6, 6])); b.constant("W2", rng.tensor([6, 6]))
        b.node("Gemm", ["x", "W1"], "a", name: "fc1"); b.node("Gemm", ["x", "W2"], "c", name: "fc2")
        b.node("Mul", ["a", "c"], "y", name: "bilinear"); b.output("y")
        let feeds = ["x": rng.tensor([1, 6])]
        let seed = rng.tensor([1, 6])
        XCTAssertThrowsError(try lrp(b.graph, feeds: feeds, composite: try Composite.preset(.epsilonPlus),
                                     seeds: ["y": seed], read: ["x"])) { error in
            guard case .ambiguousGate(let node, let op, _)? = error as? LRPError else { return XCTFail("\(error)") }
            XCTAssertEqual(node, "bilinear"); XCTAssertEqual(op, "Mul")
            XCTAssertTrue("\(error)".contains("GateRule(gate:"), "\(error)")
        }
        // Only one operand on the relevance path: that one is the signal, no error.
        XCTAssertNoThrow(try lrp(b.graph, feeds: feeds, composite: try Composite.preset(.epsilonPlus),
                                 seeds: ["y": seed], read: ["a"]))
        let fixed = try Composite.preset(.epsilonPlus).with(.name("bilinear"), GateRule(gate: 1))
        let r = try lrp(b.graph, feeds: feeds, composite: fixed, seeds: ["y": seed], read: ["x", "a", "c"])
        XCTAssertEqual(try XCTUnwrap(r["c"]).floatValues().map(abs).max(), 0)
        let total = seed.floatValues().reduce(0, +)
        XCTAssertEqual(try XCTUnwrap(r["a"]).floatValues().reduce(0, +), total, accuracy: 1e-4)
    }

    /// An op without an LRP role (a custom op) fails with the node, the op and the fix; a
    /// composite entry for the op makes it work.
    func testOpWithoutRoleNamesNodeOpAndFix() throws {
        var registry = standardRegistry()
        registry.register(OpDefinition(domain: "my.domain", opType: "Twice", vjp: { ctx in
            [try LRPMathTestSupport.scale(ctx.outputGrads[0], 2)]
        }) { ctx in [try LRPMathTestSupport.scale(try ctx.input(0), 2)] })
        var b = LRPGraphBuilder()
        b.graph.opsets["my.domain"] = 1
        b.input("x", [1, 3])
        b.graph.nodes.append(Node(name: "twice", opType: "Twice", domain: "my.domain", inputs: ["x"], outputs: ["y"]))
        b.output("y")
        let feeds = ["x": ft([1, -2, 3], [1, 3])], seed = ft([1, 1, 1], [1, 3])
        XCTAssertThrowsError(try LRP.relevance(graph: b.graph, registry: registry, feeds: feeds,
                                               composite: try Composite.preset(.epsilonPlus), seeds: ["y": seed],
                                               read: ["x"], threads: 1)) { error in
            XCTAssertEqual(error as? LRPError, .noRule(node: "twice", op: "my.domain::Twice"))
            let text = "\(error)"
            XCTAssertTrue(text.contains("Add a Composite entry for op my.domain::Twice") && text.contains("register an LRP role"), text)
        }
        let r = try LRP.relevance(graph: b.graph, registry: registry, feeds: feeds,
                                  composite: try Composite.preset(.epsilonPlus).with(.opTypes(["my.domain::Twice"]), PassRule()),
                                  seeds: ["y": seed], read: ["x"], threads: 1)
        XCTAssertEqual(try XCTUnwrap(r["x"]).floatValues(), [1, 1, 1])
    }

    /// Every differentiable op of the standard registry has an LRP role, except Softmax /
    /// LogSoftmax (relevance starts at their input; as gates they receive none).
    func testEveryDifferentiableOpHasARole() {
        let registry = standardRegistry()
        let exempt: Set<String> = ["Softmax", "LogSoftmax"]
        var checked = 0
        for key in registry.keys {
            guard let def = registry.lookup(domain: key.domain, opType: key.opType, opset: 17), def.vjp != nil else { continue }
            checked += 1
            if exempt.contains(key.opType) { XCTAssertNil(def.lrp, key.opType); continue }
            XCTAssertNotNil(def.lrp, "\(key.opType) has a gradient but no LRP role: register one (docs/lrp-rules.md)")
        }
        XCTAssertGreaterThan(checked, 50)
        for op in ["Relu", "LeakyRelu", "Elu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Erf", "Gelu", "Clip", "PRelu", "LRN"] {
            XCTAssertEqual(registry.lookup(domain: "", opType: op, opset: 17)?.lrp, .elementwise, op)
        }
    }
}

/// Scaling helper for the custom-op test.
enum LRPMathTestSupport {
    static func scale(_ t: Tensor, _ s: Float) throws -> Tensor { Tensor(unchecked: t.shape, floats: try t.floats().map { $0 * s }) }
}
