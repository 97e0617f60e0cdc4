import Graph
import Plugins
import Rules
import SwishPlugin
import XCTest

/// How to test a plugin: its op's VJP against finite differences, LRP conservation through a
/// model that uses it, and its registrations seen through `Registries` as cfcam would.
final class SwishPluginTests: XCTestCase {
    func registries() throws -> Registries {
        let registrar = PluginRegistrar.standard()
        try registrar.load(SwishPlugin())
        return registrar.registries
    }

    func testSwishVJPMatchesFiniteDifferences() throws {
        let x = try Tensor(shape: [2, 3, 4, 4], floats: (0..<96).map { Float($0 % 17) / 3 - 2.5 })
        let node = Node(name: "s", opType: "Swish", domain: Swish.domain, inputs: ["x"], outputs: ["y"])
        let error = try PluginChecks.vjpError(Swish.definition, node: node, inputs: [x])
        XCTAssertLessThan(error, 2e-3, "VJP vs central differences, relative to the largest gradient")
    }

    func testLRPConservesTheScoreThroughSwish() throws {
        let r = try registries()
        let graph = try ToyNet.parse("input 3 8 8\nseed 3\nconv 6 3\nswish\nconv 6 3\nrelu\ngap\ndense 4\n", path: "t.toynet")
        var options = Composite.PresetOptions()
        options.zeroBias = true
        let composite = try r.composites.composite(named: "epsilon-plus", options: options)
        let x = try Tensor(shape: [1, 3, 8, 8], floats: (0..<192).map { Float(($0 * 37) % 23) / 11 - 1 })
        let seed = try Tensor(shape: [1, 4], floats: [0, 0, 1, 0])
        let (score, relevance) = try PluginChecks.lrpConservation(graph: graph, ops: r.ops, composite: composite,
                                                                  input: "input", feed: x, output: "logits", seed: seed)
        XCTAssertEqual(relevance, score, accuracy: 1e-3 * max(1, abs(score)), "zero-bias rules conserve the explained score")
    }

    func testRegistrationsAreVisibleAndTheImporterReadsToyNet() throws {
        let r = try registries()
        XCTAssertNotNil(r.ops.lookup(domain: Swish.domain, opType: "Swish", opset: 1))
        XCTAssertTrue(r.methods.names.contains("absgradcam"))
        XCTAssertTrue(r.composites.names.contains("epsilon-plus-swish-gradient"))
        XCTAssertEqual(try r.importers.importer(for: "m.toynet").name, "toynet")
        XCTAssertEqual(try r.importers.importer(for: "m.onnx").name, "onnx")
        XCTAssertThrowsError(try ToyNet.parse("input 3 8 8\nconv 4 2\ndense 2\n", path: "bad.toynet")) {
            XCTAssertTrue("\($0)".contains("bad.toynet:2"), "\($0)")
        }
        let target = try r.targets.parse("sum:1+3")
        let resolved = try target.resolve(outputs: try Tensor(shape: [1, 4], floats: [1, 2, 3, 4]))
        XCTAssertEqual(try resolved[0].score([1, 2, 3, 4]), 6)
    }
}
