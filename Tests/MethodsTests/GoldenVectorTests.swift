import Graph
@testable import Methods
import XCTest

/// Spec §7.1 golden vectors (verified with pytorch-grad-cam 1.5.7): A, G of shape 1x2x2x2.
final class GoldenVectorTests: XCTestCase {
    let a = try! FeatureMap(n: 1, k: 2, h: 2, w: 2, values: [1, 0, 2, 1, 0, 3, 1, 0])
    let g = try! FeatureMap(n: 1, k: 2, h: 2, w: 2, values: [0.5, -1, 0.25, 0, -0.5, 0.2, 0.1, 0.3])

    func context() throws -> CAMContext {
        let model = try TinyModel.model()
        let request = ExplainRequest(input: TinyModel.input(batch: 1))
        let capture = try LayerCapture.run(model: model, input: request.input, layers: [TinyModel.layer], target: .top1, gradients: false)
        return CAMContext(request: request, model: model, capture: capture)
    }

    func check(_ got: [Float], _ want: [Float], accuracy: Float = 1e-5, _ what: String) {
        XCTAssertEqual(got.count, want.count, what)
        for (x, y) in zip(got, want) { XCTAssertEqual(x, y, accuracy: accuracy, what) }
    }

    func testChannelWeightsAndMaps() throws {
        let layer = LayerValues(name: "A", activation: a, gradient: g)
        let ctx = try context()
        check(try GradCAM().channelWeights(layer, context: ctx), [-0.0625, 0.025], "Grad-CAM weights")
        check(try GradCAM().rawMap(layer, context: ctx).values, [-0.0625, 0.075, -0.1, -0.0625], "Grad-CAM map")
        check(try GradCAMPlusPlus().channelWeights(layer, context: ctx), [0.208333, 0.206843], "Grad-CAM++ weights")
        check(try GradCAMPlusPlus().rawMap(layer, context: ctx).values, [0.208333, 0.620528, 0.623508, 0.208333], "Grad-CAM++ map")
        check(try XGradCAM().channelWeights(layer, context: ctx), [0.25, 0.175], "XGrad-CAM weights")
        check(try XGradCAM().rawMap(layer, context: ctx).values, [0.25, 0.525, 0.675, 0.25], "XGrad-CAM map")
        check(try HiResCAM().rawMap(layer, context: ctx).values, [0.5, 0.6, 0.6, 0], "HiResCAM map")
        check(try LayerCAM().rawMap(layer, context: ctx).values, [0.5, 0.6, 0.6, 0], "LayerCAM map")
    }

    func testMinmaxIsScaleCamImage() throws {
        let m = try MapBatch(n: 2, h: 1, w: 3, values: [1, 3, 2, 5, 5, 5])
        // (x − min) / (max − min + 1e-7); a constant map is all zeros.
        check(m.minmax().values, [0, 2 / (2 + 1e-7), 1 / (2 + 1e-7), 0, 0, 0], accuracy: 1e-7, "minmax")
    }

    func testBilinearResizeHalfPixelAndAlignCorners() throws {
        // 1x2 → 1x4. Half-pixel: source x = (d + 0.5)/2 − 0.5 = −0.25, 0.25, 0.75, 1.25 → clamped
        // to [0, 1]: values 0, 0.25, 0.75, 1 (times 4).
        let m = try MapBatch(n: 1, h: 1, w: 2, values: [0, 4])
        check(m.resized(height: 1, width: 4).values, [0, 1, 3, 4], "align_corners=False")
        // align_corners=True: x = d/3 → 0, 4/3, 8/3, 4.
        check(m.resized(height: 1, width: 4, alignCorners: true).values, [0, 4.0 / 3, 8.0 / 3, 4], "align_corners=True")
        // 2x2 → 3x3 half-pixel, both axes: source = (d + 0.5)·2/3 − 0.5 = −1/6→0, 0.5, 7/6→1.
        let s = try MapBatch(n: 1, h: 2, w: 2, values: [0, 1, 2, 3])
        check(s.resized(height: 3, width: 3).values, [0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3], "2x2→3x3")
    }

    func testAggregateIsReluMeanMinmax() throws {
        let l1 = try MapBatch(n: 1, h: 1, w: 3, values: [0, 0.5, 1])
        let l2 = try MapBatch(n: 1, h: 1, w: 3, values: [1, -1, 0])
        // ReLU → mean: [0.5, 0.25, 0.5] → minmax: [1, 0, 1] (up to δ).
        check(try MapBatch.aggregate([l1, l2]).values, [1, 0, 1], accuracy: 1e-6, "aggregate")
    }

    func testEigenCAMProjectionMatchesClosedForm() throws {
        // A rank-1 centred matrix: channel c = s_c · u over positions; the first PC projection is
        // ±|s|·u (sign chosen so the largest magnitude is positive), u = centred [1, 2, 3, 6].
        let u: [Float] = [1, 2, 3, 6], s: [Float] = [2, -1, 0.5]
        var act: [Float] = []
        for c in s { act += u.map { $0 * c + 7 } }   // a per-channel offset the centring removes
        let p = EigenCAM.projection(act, k: 3, hw: 4)
        let mean: Float = 3, norm = (s.map { $0 * $0 }.reduce(0, +)).squareRoot()
        check(p, u.map { ($0 - mean) * norm }, accuracy: 1e-4, "Eigen-CAM projection")
        // Same through the K x K Gram path (hw > K).
        let p2 = EigenCAM.projection(Array(act.prefix(8)), k: 2, hw: 4)
        let n2 = Float((4 + 1) as Float).squareRoot()
        check(p2, u.map { ($0 - mean) * n2 }, accuracy: 1e-4, "Eigen-CAM projection, hw > K")
    }
}
