import Graph
@testable import Methods
import Rules
import TestSupport
import XCTest

/// Spec §11 item 5 and the options of Relevance-CAM.
final class RelevanceCAMPropertyTests: XCTestCase {
    /// Spatial mean and spatial sum weights differ by h·w: identical maps after minmax.
    func testMeanAndSumWeightsGiveTheSameMap() throws {
        let fx = try RCAMFixture("resnetish")
        for layer in ["final", "mid"] {
            let request = try fx.request(layer: layer)
            let mean = try RelevanceCAM(weighting: .mean).explain(request, model: fx.model)
            let sum = try RelevanceCAM(weighting: .sum).explain(request, model: fx.model)
            assertClose(sum, mean, rtol: 0, atol: 1e-5, "mean vs sum at \(layer)")
        }
    }

    /// clrp_rcam in one pass equals LRP(e_t) − LRP((1/N)(1 − e_t)) in two passes, for the
    /// relevance at the layer and for the map built from it.
    func testOnePassEqualsTwoPassCLRP() throws {
        for name in ["resnetish", "vggish"] {
            let fx = try RCAMFixture(name)
            let request = try fx.request(layer: "mid")
            let layer = try XCTUnwrap(fx.entry.layers["mid"])
            let capture = try LayerCapture.run(model: fx.model, input: request.input, layers: [layer], target: request.target, gradients: false)
            let one = try XCTUnwrap(try LayerRelevance.compute(model: fx.model, request: request, capture: capture, layers: [layer],
                                                               options: RelevanceOptions(contrast: .clrpRcam))[layer])
            let (composite, canonizers) = try RelevanceRules.rcam.make()
            let ex = try LRPExplainer(graph: fx.model.graph, registry: fx.model.registry, composite: composite, canonizers: canonizers)
            let values = try ex.forward(feeds: [fx.model.inputName: request.input], seedValues: ["logits"], read: [layer])
            let z = try XCTUnwrap(values["logits"])
            let (n, classes) = (z.shape[0], z.shape[1])
            let t = fx.entry.targets[0]
            var target = [Float](repeating: 0, count: n * classes), dual = target
            for b in 0..<n { for j in 0..<classes { if j == t { target[b * classes + j] = 1 } else { dual[b * classes + j] = 1 / Float(classes) } } }
            let rt = try XCTUnwrap(try ex.backward(values: values, seeds: ["logits": Tensor(unchecked: z.shape, floats: target)], read: [layer])[layer])
            let rd = try XCTUnwrap(try ex.backward(values: values, seeds: ["logits": Tensor(unchecked: z.shape, floats: dual)], read: [layer])[layer])
            let two = Tensor(unchecked: rt.shape, floats: zip(try rt.floats(), try rd.floats()).map { $0 - $1 })
            let scale = try two.floats().map(abs).max() ?? 1
            assertClose(one, two, rtol: 0, atol: 1e-5 * scale, "\(name): one-pass vs two-pass clrp_rcam relevance")

            // The map from the two-pass relevance, built by hand: mean weights, Σ α A, minmax, resize,
            // and the shared pipeline's final minmax.
            let a = try FeatureMap(try XCTUnwrap(capture.activations[layer]), name: layer)
            let r2 = try FeatureMap(two, name: layer)
            let weights = r2.channelTotals().map { $0 / Float(r2.hw) }
            let manual = try a.weightedSum(weights).minmax().resized(height: 32, width: 32).minmax()
            let map = try RelevanceCAM().explain(request, model: fx.model)
            assertClose(map, manual.tensor, rtol: 0, atol: 1e-4, "\(name): map from two-pass relevance")
        }
    }

    /// relu=true clips Σ α A before minmax; without it negative regions keep their gradation.
    func testReluOption() throws {
        var checked = 0
        for (name, layer, contrast) in [("vggish", "final", "sglrp"), ("resnetish", "mid", "sglrp"), ("vggish", "mid", "clrp_rcam"),
                                         ("resnetish", "final", "sglrp")] {
            let fx = try RCAMFixture(name)
            let request = try fx.request(layer: layer)
            let layerName = try XCTUnwrap(fx.entry.layers[layer])
            let capture = try LayerCapture.run(model: fx.model, input: request.input, layers: [layerName], target: request.target, gradients: false)
            let ctx = CAMContext(request: request, model: fx.model, capture: capture)
            let values = LayerValues(name: layerName, activation: try FeatureMap(try XCTUnwrap(capture.activations[layerName]), name: layerName),
                                     gradient: nil)
            let options = RelevanceOptions(contrast: ContrastiveMode(rawValue: contrast))
            let raw = try RelevanceCAM(relevance: options).rawMap(values, context: ctx)
            guard raw.values.contains(where: { $0 < 0 }) && raw.values.contains(where: { $0 > 0 }) else { continue }
            let withRelu = try RelevanceCAM(relevance: options, reluOutput: true).layerMap(values, context: ctx)
            XCTAssertEqual(withRelu.values, raw.relu().minmax().resized(height: 32, width: 32).values)
            XCTAssertEqual(try RelevanceCAM(relevance: options).layerMap(values, context: ctx).values,
                           raw.minmax().resized(height: 32, width: 32).values)
            XCTAssertNotEqual(withRelu.values, raw.minmax().resized(height: 32, width: 32).values)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 0, "no fixture map has both signs")
    }

    func testParameters() throws {
        XCTAssertThrowsError(try MethodRegistry.builtin.method(named: "relevancecam", parameters: MethodParameters(["rules": "nope"])))
        XCTAssertThrowsError(try MethodRegistry.builtin.method(named: "relevancecam", parameters: MethodParameters(["contrast": "nope"])))
        XCTAssertThrowsError(try MethodRegistry.builtin.method(named: "relevancecam", parameters: MethodParameters(["relu": "maybe"])))
        XCTAssertThrowsError(try MethodRegistry.builtin.method(named: "relevancecam", parameters: MethodParameters(["groups": "4"])))
        let m = try XCTUnwrap(try MethodRegistry.builtin.method(named: "relevancecam",
                                                       parameters: MethodParameters(["rules": "epsilon-plus", "contrast": "sglrp", "weights": "sum", "relu": "true"])) as? RelevanceCAM)
        XCTAssertEqual(m.relevance.rules, .preset(.epsilonPlus))
        XCTAssertEqual(m.relevance.contrast, .sglrp)
        XCTAssertEqual(m.weighting, .sum)
        XCTAssertTrue(m.reluOutput)
        XCTAssertTrue(MethodRegistry.builtin.names.contains("relevancecam") && MethodRegistry.builtin.names.contains("cfcam") && MethodRegistry.builtin.names.contains("fam"))
    }
}
