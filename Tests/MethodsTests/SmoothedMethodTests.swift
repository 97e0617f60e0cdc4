import Graph
import Methods
import TestSupport
import XCTest

/// SmoothGrad around a CAM method (the wrapper works for any registered method).
final class SmoothedMethodTests: XCTestCase {
    func testZeroNoiseEqualsTheBaseMethod() throws {
        let model = try TinyModel.model()
        let request = ExplainRequest(input: TinyModel.input(), layers: [.named(TinyModel.layer)])
        let base = try GradCAM().explain(request, model: model)
        let smoothed = try SmoothedMethod(base: GradCAM(), samples: 3, noise: .absolute(0)).explain(request, model: model)
        assertClose(smoothed, base, rtol: 1e-5, atol: 1e-6)
    }

    func testAveragesTheMapsOfTheNoisyCopiesForTheCleanTopClass() throws {
        let model = try TinyModel.model()
        let x = TinyModel.input()
        let per = x.count / x.shape[0]
        let samples = 4
        // Replay known noise per image and compare with the base method's maps averaged by hand.
        for b in 0..<x.shape[0] {
            let image = try Tensor(shape: [1] + Array(x.shape.dropFirst()), floats: Array(try x.floats()[(b * per)..<((b + 1) * per)]))
            let noise = try Tensor(shape: [samples] + Array(x.shape.dropFirst()),
                                   floats: TinyModel.values(samples * per, seed: 99 + UInt64(b), scale: 0.3))
            let z = try model.forward(image).floats()
            let top = try XCTUnwrap(z.indices.max { z[$0] < z[$1] })
            var sum = [Float](repeating: 0, count: 0)
            for s in 0..<samples {
                let nv = try noise.floats()[(s * per)..<((s + 1) * per)]
                let noisy = try Tensor(shape: image.shape, floats: zip(try image.floats(), nv).map(+))
                let m = try GradCAM().explain(ExplainRequest(input: noisy, target: .classIndex(top), layers: [.named(TinyModel.layer)]),
                                              model: model).floats()
                sum = sum.isEmpty ? m : zip(sum, m).map(+)
            }
            let want = try MapBatch(try Tensor(shape: [1, 6, 6], floats: sum.map { $0 / Float(samples) })).minmax().tensor
            let got = try SmoothedMethod(base: GradCAM(), samples: samples, noise: .given(noise))
                .explain(ExplainRequest(input: image, layers: [.named(TinyModel.layer)]), model: model)
            assertClose(got, want, rtol: 1e-5, atol: 1e-6, "image \(b)")
        }
    }
}
