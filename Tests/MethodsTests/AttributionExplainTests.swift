import Graph
import Methods
import Rules
import TestSupport
import XCTest

/// Input attributions through the explanation base: `ExplainRequest` / `Target`, the parameter
/// keys of `InputMethod`, and the maps handed to the CLI.
final class AttributionExplainTests: XCTestCase {
    func testExplainGivesCaptumHeatMapsOfTheReferenceAttributions() throws {
        let (graph, registry) = try AttributionFixtures.squeezenet(relaxInput: true)
        let ref = try AttributionFixtures.npz("small.npz")
        let x = try AttributionFixtures.tensor(ref, "input")
        let model = try ExplainModel(graph: graph, registry: registry)
        let log = ProgressLog()
        // Image 0's reference class (294) is also its top-1.
        let request = ExplainRequest(input: x, target: .top1, batchSize: 1, progress: log.callback)
        let maps = try InputMethod.saliency.make(MethodParameters()).explain(request, model: model)
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
        let contrast = try TargetObjective(.contrast(2, 0), input: x, model: model)
        let g = try signed.attribute(x, model: model, objective: contrast).floatValues()
        let ga = try signed.attribute(x, model: model, objective: ClassObjective(classes: [2, 2])).floatValues()
        let gb = try signed.attribute(x, model: model, objective: ClassObjective(classes: [0, 0])).floatValues()
        for i in g.indices { XCTAssertEqual(g[i], ga[i] - gb[i], accuracy: 1e-6) }
        XCTAssertTrue(g.contains { abs($0) > 1e-3 })
        // Plain class targets scored as probabilities equal the softmax class objective.
        let top = try TargetObjective(.classIndex(1), input: x, model: model).probabilities()
        let p = try signed.attribute(x, model: model, objective: top).floatValues()
        let q = try signed.attribute(x, model: model, objective: ClassObjective(classes: [1, 1], softmax: true)).floatValues()
        XCTAssertEqual(p, q)
        // Contrasts keep their own score as "probabilities".
        let cp = try signed.attribute(x, model: model, objective: contrast.probabilities()).floatValues()
        XCTAssertEqual(cp, g)
    }

    func testInputMethodListAndParameters() throws {
        XCTAssertEqual(InputMethod.allCases.map(\.rawValue), ["saliency", "inputxgrad", "ig", "smoothgrad", "occlusion", "rise"])
        XCTAssertTrue(InputMethod.allCases.allSatisfy { $0.entry.kind == .input && $0.entry.name == $0.rawValue })
        let ig = try XCTUnwrap(try InputMethod.ig.make(MethodParameters(parsing: ["steps=20", "rule=riemann_trapezoid", "baseline=-1"])) as? IntegratedGradients)
        XCTAssertEqual(ig.steps, 20); XCTAssertEqual(ig.rule, .riemannTrapezoid); XCTAssertEqual(ig.baseline, .constant(-1))
        XCTAssertEqual(ig.mapping, .captum)
        let sg = try XCTUnwrap(try InputMethod.smoothgrad.make(MethodParameters(parsing: ["base=ig", "steps=8", "samples=3", "noise-level=0.2", "seed=4", "map=minmax"])) as? SmoothGrad)
        XCTAssertEqual((sg.base as? IntegratedGradients)?.steps, 8)
        XCTAssertEqual(sg.samples, 3); XCTAssertEqual(sg.noise, .relative(0.2)); XCTAssertEqual(sg.seed, 4)
        XCTAssertEqual(sg.mapping, .minmax)
        let occ = try XCTUnwrap(try InputMethod.occlusion.make(MethodParameters(parsing: ["window=9", "stride=3"])) as? Occlusion)
        XCTAssertEqual(occ.window, [9, 9]); XCTAssertEqual(occ.strides, [3, 3])
        let rise = try XCTUnwrap(try InputMethod.rise.make(MethodParameters()) as? RISE)
        XCTAssertEqual([rise.masks, rise.cells], [4000, 7]); XCTAssertEqual(rise.p1, 0.5); XCTAssertTrue(rise.probability)
        XCTAssertEqual(rise.mapping, .minmax)
        let sal = try XCTUnwrap(try InputMethod.saliency.make(MethodParameters(parsing: ["abs=false", "channels=max-abs"])) as? Saliency)
        XCTAssertFalse(sal.absolute); XCTAssertEqual(sal.mapping.channels, .maxAbsolute)
        for bad in [["rule=simpson"], ["steps=many"], ["map=log"]] {
            XCTAssertThrowsError(try InputMethod.ig.make(MethodParameters(parsing: bad)), "\(bad)")
        }
        XCTAssertThrowsError(try InputMethod.smoothgrad.make(MethodParameters(parsing: ["stdev=1", "noise-level=0.1"])))
        XCTAssertThrowsError(try InputMethod.rise.make(MethodParameters(parsing: ["seed=-1"])))
        XCTAssertThrowsError(try MethodParameters(parsing: ["window=3"]).check(known: InputMethod.ig.parameters, method: "ig"))
    }

    /// Every input method runs end to end on a small model through `explain`, giving [N, H, W] in [0, 1].
    func testEveryInputMethodExplains() throws {
        let model = try ExplainModel(graph: TinyModel.graph(), registry: standardRegistry(), threads: 1)
        let x = ToyModels.input([2, 2, 6, 6])
        let params: [InputMethod: [String]] = [.ig: ["steps=4"], .occlusion: ["window=3", "stride=2"], .rise: ["masks=50", "cells=3"],
                                               .smoothgrad: ["samples=2"]]
        for m in InputMethod.allCases {
            let method = try m.make(MethodParameters(parsing: params[m] ?? []))
            let maps = try method.explain(ExplainRequest(input: x, target: .top1, batchSize: 4), model: model)
            XCTAssertEqual(maps.shape, [2, 6, 6], m.rawValue)
            XCTAssertTrue(maps.floatValues().allSatisfy { $0 >= 0 && $0 <= 1 }, m.rawValue)
            XCTAssertTrue(maps.floatValues().contains { $0 > 0.5 }, "\(m.rawValue): a non-trivial map")
        }
    }
}
