import Graph
@testable import Methods
import Rules
import TestSupport
import XCTest

/// Relevance-CAM against the Zennit-based re-implementation in scripts/reference/rcam_refs.py
/// (fixtures/rcam): two models with BatchNorm (one with residual blocks, one with a dense head and
/// max pools), the last and an intermediate layer, rules rcam / rcam-zennit, initial relevance
/// lrp / clrp_rcam / sglrp. Relevance at the layer and the final maps are compared.
final class RelevanceCAMReferenceTests: XCTestCase {
    func checkModel(_ name: String) throws {
        let fx = try RCAMFixture(name)
        var maps = 0
        for layer in ["final", "mid"] {
            let request = try fx.request(layer: layer)
            let layerName = try XCTUnwrap(fx.entry.layers[layer])
            let capture = try LayerCapture.run(model: fx.model, input: request.input, layers: [layerName],
                                               target: request.target, gradients: false)
            for rules in fx.manifest.rules {
                for contrast in fx.manifest.contrasts {
                    let key = "\(layer).\(rules).\(contrast)"
                    let params = MethodParameters(["rules": rules, "contrast": contrast])
                    let options = try RelevanceOptions(parameters: params)
                    let r = try LayerRelevance.compute(model: fx.model, request: request, capture: capture,
                                                       layers: [layerName], options: options)
                    let want = try fx.ref("\(key).relevance")
                    let scale = try want.floats().map(abs).max() ?? 1
                    assertClose(try XCTUnwrap(r[layerName]), want, rtol: 1e-3, atol: 1e-4 * scale, "\(name) \(key) relevance")
                    let map = try MethodRegistry.builtin.method(named: "relevancecam", parameters: params).explain(request, model: fx.model)
                    try assertMapsAgree(map, try fx.ref("\(key).rcam"), "\(name) \(key) Relevance-CAM")
                    maps += 1
                }
            }
        }
        XCTAssertEqual(maps, 12)
    }

    func testResNetish() throws { try checkModel("resnetish") }
    func testVGGish() throws { try checkModel("vggish") }

    /// The default is the R-CAM preset with clrp_rcam (docs/methods.md, "relevancecam" and "Relevance at a layer").
    func testDefaultsAreRCAMPresetAndCLRP() throws {
        let fx = try RCAMFixture("resnetish")
        let request = try fx.request(layer: "mid")
        let map = try RelevanceCAM().explain(request, model: fx.model)
        try assertMapsAgree(map, try fx.ref("mid.rcam.clrp_rcam.rcam"), "default Relevance-CAM")
        let viaRegistry = try MethodRegistry.builtin.method(named: "relevancecam").explain(request, model: fx.model)
        XCTAssertEqual(try viaRegistry.floats(), try map.floats())
    }

    /// `layer auto` is the input of the global pool (layer2's output) for the ResNet, the last
    /// max pool for the VGG.
    func testAutoLayer() throws {
        for (name, layer) in [("resnetish", "final"), ("vggish", "final")] {
            let fx = try RCAMFixture(name)
            var request = try fx.request(layer: layer)
            request.layers = [.auto]
            let map = try RelevanceCAM().explain(request, model: fx.model)
            try assertMapsAgree(map, try fx.ref("final.rcam.clrp_rcam.rcam"), "\(name) auto layer")
        }
    }
}
