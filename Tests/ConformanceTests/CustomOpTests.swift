import Graph
import Importers
import Rules
import TestSupport
import XCTest

/// The user-facing extension point, end to end (docs/custom-ops.md shows the same code): an ONNX
/// model with a `my.domain::Swish` node fails to load with a helpful message until the op is
/// registered, then runs, differentiates and propagates relevance like the PyTorch model it was
/// made from (fixtures/custom-op/generate.py: PyTorch autograd and zennit references).
final class CustomOpTests: XCTestCase {
    /// Swish(x) = x * sigmoid(x), registered the way any user would.
    static func registerSwish(into r: inout OpRegistry) {
        r.register(OpDefinition(
            domain: "my.domain", opType: "Swish",
            vjp: { ctx in
                // d/dx [x s(x)] = s(x) (1 + x (1 - s(x)))
                let x = try ctx.input(0).floats(), g = try ctx.outputGrads[0].floats()
                let dx = zip(x, g).map { xi, gi -> Float in
                    let s = 1 / (1 + expf(-xi))
                    return gi * s * (1 + xi * (1 - s))
                }
                return [try Tensor(shape: try ctx.input(0).shape, floats: dx)]
            },
            lrp: .elementwise
        ) { ctx in
            let x = try ctx.input(0)
            return [try Tensor(shape: x.shape, floats: try x.floats().map { $0 / (1 + expf(-$0)) })]
        })
    }

    let model = fixturesURL("custom-op/swish.onnx").path

    func testUnregisteredCustomOpFailsWithAHelpfulMessage() {
        XCTAssertThrowsError(try ModelLoader.load(model, registry: standardRegistry())) { e in
            let text = "\(e)"
            XCTAssertTrue(text.contains(model), text)
            XCTAssertTrue(text.contains("my.domain::Swish: nodes swish"), text)
            XCTAssertTrue(text.contains("Register a custom op"), text)
        }
    }

    func testRegisteredCustomOpRunsAndDifferentiatesLikePyTorch() throws {
        var registry = standardRegistry()
        Self.registerSwish(into: &registry)
        let graph = try ModelLoader.load(model, registry: registry)
        let io = try NPZ.read(path: fixturesURL("custom-op/swish_io.npz").path)
        let x = try XCTUnwrap(io["input"])
        let out = try Executor(graph: graph, registry: registry).run(["input": x])
        assertClose(try XCTUnwrap(out["logits"]), try XCTUnwrap(io["logits"]), rtol: 1e-5, atol: 1e-6, "logits")

        let targets = try XCTUnwrap(io["target"]).ints()
        var seed = [Float](repeating: 0, count: targets.count * 5)
        for (b, t) in targets.enumerated() { seed[b * 5 + Int(t)] = 1 }
        let grads = try BackwardWalker(graph: graph, registry: registry)
            .gradients(feeds: ["input": x], seeds: ["logits": try Tensor(shape: [targets.count, 5], floats: seed)], read: ["input", "s"])
        assertClose(try XCTUnwrap(grads["input"]), try XCTUnwrap(io["grad_input"]), rtol: 1e-4, atol: 0, "d/dinput")
        assertClose(try XCTUnwrap(grads["s"]), try XCTUnwrap(io["grad_swish"]), rtol: 1e-4, atol: 0, "d/dswish")
    }

    func testRegisteredCustomOpPropagatesRelevanceLikeZennit() throws {
        var registry = standardRegistry()
        Self.registerSwish(into: &registry)
        let graph = try ModelLoader.load(model, registry: registry)
        let io = try NPZ.read(path: fixturesURL("custom-op/swish_io.npz").path)
        let targets = try XCTUnwrap(io["target"]).ints()
        var seed = [Float](repeating: 0, count: targets.count * 5)
        for (b, t) in targets.enumerated() { seed[b * 5 + Int(t)] = 1 }
        let r = try LRP.relevance(graph: graph, registry: registry, feeds: ["input": try XCTUnwrap(io["input"])],
                                  composite: try Composite.preset(named: "epsilon-plus"),
                                  seeds: ["logits": try Tensor(shape: [targets.count, 5], floats: seed)], read: ["input"])
        assertClose(try XCTUnwrap(r["input"]), try XCTUnwrap(io["lrp_input"]), rtol: 1e-4, atol: 0, "epsilon-plus relevance")
    }

    func testCustomOpWithoutLRPRoleIsNamedWhenRelevanceIsAsked() throws {
        var registry = standardRegistry()
        Self.registerSwish(into: &registry)
        // The same op registered again without an LRP role overrides the first registration.
        registry.register(OpDefinition(domain: "my.domain", opType: "Swish") { ctx in
            let x = try ctx.input(0)
            return [try Tensor(shape: x.shape, floats: try x.floats().map { $0 / (1 + expf(-$0)) })]
        })
        let graph = try ModelLoader.load(model, registry: registry)
        let io = try NPZ.read(path: fixturesURL("custom-op/swish_io.npz").path)
        XCTAssertThrowsError(try LRP.relevance(graph: graph, registry: registry, feeds: ["input": try XCTUnwrap(io["input"])],
                                               composite: try Composite.preset(named: "epsilon-plus"),
                                               seeds: ["logits": Tensor.zeros([2, 5])], read: ["input"])) { e in
            let text = "\(e)"
            XCTAssertTrue(text.contains("swish"), text)
            XCTAssertTrue(text.contains("inputxgrad") || text.contains("gradientTimesInput"), text)
        }
    }
}
