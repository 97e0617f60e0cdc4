import Foundation
import Graph
import Importers
import TestSupport
import XCTest

/// Preprocessing against torchvision on PIL images and Keras-style PIL + numpy recipes
/// (fixtures/preprocess, scripts/reference/preprocess_refs.py).
final class PreprocessGoldenTests: XCTestCase {
    struct Case: Decodable {
        let name, kind, image, interpolation: String
        let channels: Int
        let resize, crop: ImageSize?
        let scale: Float
        let mean, std: [Float]
        let bgr: Bool
    }

    func testMatchesTorchvisionAndKerasRecipes() throws {
        let arrays = try NPZ.read(path: fixturesURL("preprocess/refs.npz").path)
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: fixturesURL("preprocess/manifest.json")))
        XCTAssertEqual(cases.count, 20)
        var report: [String] = []
        for c in cases {
            let key = c.kind == "pil-float" ? "img16_\(c.image)" : "img_\(c.image)"
            let img = try XCTUnwrap(arrays[key], key), want = try XCTUnwrap(arrays["out_\(c.name)"], c.name)
            let (h, w, ch) = (img.shape[0], img.shape[1], img.shape[2])
            let image = try PixelImage(width: w, height: h, channels: ch, depth: c.kind == "pil-float" ? 16 : 8,
                                       samples: img.intValues().map { UInt16($0) })
            let spec = PreprocessSpec(resize: c.resize, crop: c.crop, interpolation: ResampleFilter(rawValue: c.interpolation)!,
                                      scale: c.scale, mean: c.mean, std: c.std, bgr: c.bgr)
            let (x, g) = try Preprocessor.apply(image, spec: spec, channels: c.channels, height: want.shape[1], width: want.shape[2])
            XCTAssertEqual(x.shape, [1] + want.shape, c.name)
            let a = x.floatValues(), e = want.floatValues()
            guard a.count == e.count else { continue }
            let worst = zip(a, e).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, 1e-5, "\(c.name): max |diff| \(worst)")
            XCTAssertEqual([g.cropWidth, g.cropHeight], [want.shape[2], want.shape[1]], c.name)
            report.append("\(c.name)=\(worst)")
        }
        print("preprocess golden max |diff|: " + report.joined(separator: " "))
    }

    /// The full-size case's geometry: 331x257 -> short side 256 -> 329x256 (int(256*331/257) = 329),
    /// crop 224 at (round(105/2) = 52, round(32/2) = 16).
    func testFullSizeGeometry() throws {
        let arrays = try NPZ.read(path: fixturesURL("preprocess/refs.npz").path)
        let img = try XCTUnwrap(arrays["img_a"])
        let image = try PixelImage(width: img.shape[1], height: img.shape[0], channels: 3, depth: 8,
                                   samples: img.intValues().map { UInt16($0) })
        let spec = try PreprocessPreset.spec(named: "imagenet", inputSize: 224)
        let (_, g) = try Preprocessor.apply(image, spec: spec, channels: 3, height: 224, width: 224)
        XCTAssertEqual(g, PreprocessGeometry(originalWidth: 331, originalHeight: 257, resizedWidth: 329, resizedHeight: 256,
                                             cropX: 52, cropY: 16, cropWidth: 224, cropHeight: 224))
    }
}
