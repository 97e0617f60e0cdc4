import Graph
import Methods
import Rules
import TestSupport
import XCTest

/// Input attributions through the explanation base: `ExplainRequest` / `Target`, the parameter
/// keys of the input methods' registry entries, and the maps handed to the CLI.
final class AttributionExplainTests: XCTestCase {
    func testExplainGivesCaptumHeatMapsOfTheReferenceAttributions() throws {
        let (graph, registry) = try AttributionFixtures.squeezenet(relaxInput: true)
        let ref = try AttributionFixtures.npz("small.npz")
        let x = try AttributionFixtures.tensor(ref, "input")
        let model = try ExplainModel(graph: graph, registry: registry)
        let log = ProgressLog()
        // Image 0's reference class (294) is also its top-1.
        let request = ExplainRequest(input: x, target: .top1, batchSize: 1, progress: log.callback)
        let maps = try Saliency.entry.method().explain(request, model: model)
        XCTAssertEqual(maps.shape, [2, 64, 64])
        let want = try AttributionMapping.captum.apply(try AttributionFixtures.tensor(ref, "saliency"))
        assertClose(Tensor(unchecked: [1, 64, 64], floats: Array(maps.floatValues()[0..<4096])),
                    Tensor(unchecked: [1, 64, 64], floats: Array(want.floatValues()[0..<4096])), rtol: 1e-4, atol: 1e-5)
        XCTAssertTrue(maps.floatValues().allSatisfy { $0 >= 0 && $0 <= 1 })
        XCTAssertEqual(maps.floatValues().max(), 1)
        XCTAssertEqual(log.reports.map(\.0), [1, 2])
    }

    /// A contrast target is linear in the logits: its signed saliency is grad_a − grad_b.
    func testContrastTargetThroughTargetObjective() throws {
        let model = try ToyModels.smooth(d: 16, hidden: 5, k: 3)
        let x = ToyModels.input([2, 1, 4, 4], phase: 0.3)
        let signed = Saliency(absolute: false)
        let contrast = try TargetRows(.contrast(2, 0), input: x, model: model.model)
        let g = try signed.attribute(x, model: model, objective: contrast).floatValues()
        let ga = try signed.attribute(x, model: model, objective: TargetRows.classes([2, 2])).floatValues()
        let gb = try signed.attribute(x, model: model, objective: TargetRows.classes([0, 0])).floatValues()
        for i in g.indices { XCTAssertEqual(g[i], ga[i] - gb[i], accuracy: 1e-6) }
        XCTAssertTrue(g.contains { abs($0) > 1e-3 })
        // Plain class targets scored as probabilities equal the softmax class objective.
        let top = try TargetRows(.classIndex(1), input: x, model: model.model).probabilities()
        let p = try signed.attribute(x, model: model, objective: top).floatValues()
        let q = try signed.attribute(x, model: model, objective: TargetRows.classes([1, 1], probability: true)).floatValues()
        XCTAssertEqual(p, q)
        // Contrasts keep their own score as "probabilities".
        let cp = try signed.attribute(x, model: model, objective: contrast.probabilities()).floatValues()
        XCTAssertEqual(cp, g)
    }

    func testInputMethodListAndParameters() throws {
        let inputs = MethodRegistry.builtin.entries.filter { $0.kind == .input && $0.output == .map }.map(\.name)
        XCTAssertEqual(inputs, ["saliency", "inputxgrad", "ig", "smoothgrad", "occlusion", "rise"])
        let ig = try XCTUnwrap(try IntegratedGradients.entry.method(MethodParameters(parsing: ["steps=20", "rule=riemann_trapezoid", "baseline=-1"])) as? IntegratedGradients)
        XCTAssertEqual(ig.steps, 20); XCTAssertEqual(ig.rule, .riemannTrapezoid); XCTAssertEqual(ig.baseline, .constant(-1))
        XCTAssertEqual(ig.mapping, .captum)
        let sg = try XCTUnwrap(try SmoothGrad.entry.method(MethodParameters(parsing: ["base=ig", "steps=8", "samples=3", "noise-level=0.2", "seed=4", "map=minmax"])) as? SmoothGrad)
        XCTAssertEqual((sg.base as? IntegratedGradients)?.steps, 8)
        XCTAssertEqual(sg.samples, 3); XCTAssertEqual(sg.noise, .relative(0.2)); XCTAssertEqual(sg.seed, 4)
        XCTAssertEqual(sg.mapping, .minmax)
        let occ = try XCTUnwrap(try Occlusion.entry.method(MethodParameters(parsing: ["window=9", "stride=3"])) as? Occlusion)
        XCTAssertEqual(occ.window, [9, 9]); XCTAssertEqual(occ.strides, [3, 3])
        let rise = try XCTUnwrap(try RISE.entry.method() as? RISE)
        XCTAssertEqual([rise.masks, rise.cells], [4000, 7]); XCTAssertEqual(rise.p1, 0.5); XCTAssertTrue(rise.probability)
        XCTAssertEqual(rise.mapping, .minmax)
        let sal = try XCTUnwrap(try Saliency.entry.method(MethodParameters(parsing: ["abs=false", "channels=max-abs"])) as? Saliency)
        XCTAssertFalse(sal.absolute); XCTAssertEqual(sal.mapping.channels, .maxAbsolute)
        for bad in [["rule=simpson"], ["steps=many"], ["map=log"]] {
            XCTAssertThrowsError(try IntegratedGradients.entry.method(MethodParameters(parsing: bad)), "\(bad)")
        }
        XCTAssertThrowsError(try SmoothGrad.entry.method(MethodParameters(parsing: ["stdev=1", "noise-level=0.1"])))
        XCTAssertThrowsError(try RISE.entry.method(MethodParameters(parsing: ["seed=-1"])))
        XCTAssertThrowsError(try MethodParameters(parsing: ["window=3"]).check(known: IntegratedGradients.entry.parameters, method: "ig"))
    }

    /// Every input method runs end to end on a small model through `explain`, giving [N, H, W] in [0, 1].
    func testEveryInputMethodExplains() throws {
        let model = try ExplainModel(graph: TinyModel.graph(), registry: standardRegistry(), threads: 1)
        let x = ToyModels.input([2, 2, 6, 6])
        let params: [String: [String]] = ["ig": ["steps=4"], "occlusion": ["window=3", "stride=2"], "rise": ["masks=50", "cells=3"],
                                          "smoothgrad": ["samples=2"]]
        for m in [Saliency.entry, InputXGradient.entry, IntegratedGradients.entry, SmoothGrad.entry, Occlusion.entry, RISE.entry] {
            let method = try m.method(MethodParameters(parsing: params[m.name] ?? []))
            let maps = try method.explain(ExplainRequest(input: x, target: .top1, batchSize: 4), model: model)
            XCTAssertEqual(maps.shape, [2, 6, 6], m.name)
            XCTAssertTrue(maps.floatValues().allSatisfy { $0 >= 0 && $0 <= 1 }, m.name)
            XCTAssertTrue(maps.floatValues().contains { $0 > 0.5 }, "\(m.name): a non-trivial map")
        }
    }
}
