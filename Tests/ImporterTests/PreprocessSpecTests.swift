import Foundation
import Graph
import Importers
import TestSupport
import XCTest

/// PreprocessSpec parsing, presets, geometry and error messages.
final class PreprocessSpecTests: XCTestCase {
    func testSizeParsing() throws {
        XCTAssertEqual(try ImageSize.parse("256"), .shortSide(256))
        XCTAssertEqual(try ImageSize.parse("224x320"), .exact(height: 224, width: 320))
        for bad in ["", "0", "-3", "224x", "x224", "1x2x3", "abc", "99999999"] {
            XCTAssertThrowsError(try ImageSize.parse(bad), bad)
        }
    }

    func testPresetNamesAndSpecs() throws {
        XCTAssertEqual(PreprocessPreset.names, ["imagenet", "inception", "caffe", "unit", "none"])
        let i = try PreprocessPreset.spec(named: "imagenet", inputSize: 224)
        XCTAssertEqual(i.resize, .shortSide(256)); XCTAssertEqual(i.crop, .shortSide(224))
        XCTAssertEqual(i.mean, [0.485, 0.456, 0.406]); XCTAssertEqual(i.scale, 255)
        XCTAssertEqual(try PreprocessPreset.spec(named: "imagenet", inputSize: 299).resize, .shortSide(342))  // round(341.71)
        let inc = try PreprocessPreset.spec(named: "inception", inputSize: 299)
        XCTAssertEqual(inc.resize, .exact(height: 299, width: 299)); XCTAssertNil(inc.crop)
        XCTAssertEqual([inc.scale, inc.mean[0], inc.std[0]], [127.5, 1, 1])
        let caffe = try PreprocessPreset.spec(named: "caffe", inputSize: 224)
        XCTAssertTrue(caffe.bgr); XCTAssertEqual(caffe.mean, [103.939, 116.779, 123.68]); XCTAssertEqual(caffe.scale, 1)
        XCTAssertEqual(try PreprocessPreset.spec(named: "none", inputSize: 32).scale, 1)
        for name in PreprocessPreset.names {
            let free = try PreprocessPreset.spec(named: name, inputSize: nil)
            XCTAssertNil(free.resize, name); XCTAssertNil(free.crop, name)
        }
        XCTAssertThrowsError(try PreprocessPreset.spec(named: "imagenett", inputSize: 224)) { e in
            XCTAssertTrue("\(e)".contains("imagenett") && "\(e)".contains("imagenet, inception, caffe, unit, none"), "\(e)")
        }
    }

    func testJSONRoundTripAndDocumentedFormat() throws {
        let spec = PreprocessSpec(resize: .exact(height: 256, width: 320), crop: .shortSide(224), interpolation: .bicubic,
                                  scale: 1, mean: [103.939, 116.779, 123.68], std: [1], bgr: true)
        let back = try JSONDecoder().decode(PreprocessSpec.self, from: JSONEncoder().encode(spec))
        XCTAssertEqual(back, spec)
        let doc = #"{"resize": 256, "crop": [224, 200], "interpolation": "bicubic", "scale": 255, "mean": [0.5], "std": [0.25], "bgr": false}"#
        let d = try JSONDecoder().decode(PreprocessSpec.self, from: Data(doc.utf8))
        XCTAssertEqual(d, PreprocessSpec(resize: .shortSide(256), crop: .exact(height: 224, width: 200), interpolation: .bicubic,
                                         scale: 255, mean: [0.5], std: [0.25]))
        XCTAssertEqual(try JSONDecoder().decode(PreprocessSpec.self, from: Data("{}".utf8)), PreprocessSpec())
        for bad in [#"{"resise": 256}"#, #"{"resize": [1, 2, 3]}"#, #"{"interpolation": "lanczos"}"#, #"{"std": [0]}"#, #"{"scale": -1}"#] {
            XCTAssertThrowsError(try JSONDecoder().decode(PreprocessSpec.self, from: Data(bad.utf8)), bad)
        }
    }

    func testOverridesNameTheFlag() throws {
        let base = try PreprocessPreset.spec(named: "imagenet", inputSize: 224)
        let o = try base.overriding(resize: "300x400", crop: "none", mean: "0.5", std: "0.1, 0.2,0.3", interpolation: "BICUBIC", bgr: true)
        XCTAssertEqual(o, PreprocessSpec(resize: .exact(height: 300, width: 400), crop: nil, interpolation: .bicubic,
                                         scale: 255, mean: [0.5], std: [0.1, 0.2, 0.3], bgr: true))
        XCTAssertEqual(try base.overriding(resize: nil, crop: nil, mean: nil, std: nil, interpolation: nil, bgr: nil), base)
        let bad: [(String, () throws -> PreprocessSpec)] = [
            ("--resize", { try base.overriding(resize: "big", crop: nil, mean: nil, std: nil, interpolation: nil, bgr: nil) }),
            ("--crop", { try base.overriding(resize: nil, crop: "0", mean: nil, std: nil, interpolation: nil, bgr: nil) }),
            ("--mean", { try base.overriding(resize: nil, crop: nil, mean: "0.5,,1", std: nil, interpolation: nil, bgr: nil) }),
            ("--std", { try base.overriding(resize: nil, crop: nil, mean: nil, std: "1,0,1", interpolation: nil, bgr: nil) }),
            ("--interpolation", { try base.overriding(resize: nil, crop: nil, mean: nil, std: nil, interpolation: "area", bgr: nil) }),
        ]
        for (flag, body) in bad {
            XCTAssertThrowsError(try body(), flag) { e in XCTAssertTrue("\(e)".hasPrefix(flag), "\(e)") }
        }
    }

    private func noise(width: Int, height: Int, channels: Int) throws -> PixelImage {
        var state: UInt32 = 12345
        let bytes = (0..<width * height * channels).map { _ -> UInt8 in
            state = state &* 1664525 &+ 1013904223
            return UInt8(state >> 24)
        }
        return try PixelImage(width: width, height: height, channels: channels, bytes: bytes)
    }

    func testFixedSizeMismatchSaysWhatEachSideWants() throws {
        let img = try noise(width: 40, height: 30, channels: 3)
        let spec = PreprocessSpec(resize: .shortSide(32), crop: .shortSide(28))
        XCTAssertThrowsError(try Preprocessor.apply(img, spec: spec, channels: 3, height: 224, width: 224)) { e in
            let t = "\(e)"
            XCTAssertTrue(t.contains("28x28") && t.contains("224x224"), t)
        }
        // Free height/width accept what the spec gives; a fixed one of them is still checked.
        let free = try Preprocessor.apply(img, spec: PreprocessSpec(), channels: 3, height: nil, width: nil)
        XCTAssertEqual(free.tensor.shape, [1, 3, 30, 40])
        XCTAssertThrowsError(try Preprocessor.apply(img, spec: PreprocessSpec(), channels: 3, height: nil, width: 30))
        XCTAssertThrowsError(try Preprocessor.apply(img, spec: PreprocessSpec(mean: [1, 2]), channels: 3, height: nil, width: nil)) { e in
            XCTAssertTrue("\(e)".contains("mean has 2 values"), "\(e)")
        }
    }

    func testSixteenBitImagesMapToTheEightBitRange() throws {
        // v * 257 is v in 16 bits; with no resampling both depths give the same tensor.
        let img8 = try noise(width: 9, height: 7, channels: 3)
        let img16 = try PixelImage(width: 9, height: 7, channels: 3, depth: 16, samples: img8.samples.map { $0 * 257 })
        let spec = PreprocessSpec(crop: .shortSide(5), mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
        let a = try Preprocessor.apply(img8, spec: spec, channels: 3, height: 5, width: 5).tensor.floatValues()
        let b = try Preprocessor.apply(img16, spec: spec, channels: 3, height: 5, width: 5).tensor.floatValues()
        XCTAssertLessThanOrEqual(zip(a, b).map { abs($0 - $1) }.max()!, 1e-6)
        // In 0..255 units a 16-bit sample v becomes v * 255 / 65535.
        let one = try PixelImage(width: 2, height: 1, channels: 1, depth: 16, samples: [1, 65535])
        let t = try Preprocessor.apply(one, spec: PreprocessSpec(scale: 1), channels: 1, height: nil, width: nil).tensor.floatValues()
        XCTAssertEqual(t[0], Float(255.0 / 65535.0), accuracy: 1e-9)
        XCTAssertEqual(t[1], 255)
    }

    func testBGRReversesChannelsAndMeanIsInModelOrder() throws {
        let px = try PixelImage(width: 1, height: 1, channels: 3, bytes: [10, 20, 30])
        let spec = PreprocessSpec(scale: 1, mean: [1, 2, 3], std: [1], bgr: true)
        XCTAssertEqual(try Preprocessor.apply(px, spec: spec, channels: 3, height: 1, width: 1).tensor.floatValues(), [29, 18, 7])
        // Grey from RGB with PIL's L weights: (10*299 + 20*587 + 30*114) / 1000 = 18.15 -> 18.
        XCTAssertEqual(try Preprocessor.apply(px, spec: PreprocessSpec(scale: 1), channels: 1, height: 1, width: 1).tensor.floatValues(), [18])
    }

    func testMapToOriginalFillsWhatTheModelSaw() throws {
        // 100x60 -> short side 30 -> 50x30, crop 24: x 13..<37, y 3..<27 in resized coordinates.
        let img = try noise(width: 100, height: 60, channels: 3)
        let (_, g) = try Preprocessor.apply(img, spec: PreprocessSpec(resize: .shortSide(30), crop: .shortSide(24)),
                                            channels: 3, height: 24, width: 24)
        XCTAssertEqual([g.resizedWidth, g.resizedHeight, g.cropX, g.cropY], [50, 30, 13, 3])
        let r = g.seenRect
        XCTAssertEqual([r.x, r.y, r.width, r.height], [26, 6, 48, 48])
        for (w, h) in [(24, 24), (7, 7)] {
            let m = g.mapToOriginal([Float](repeating: 1, count: w * h), width: w, height: h)
            XCTAssertEqual(m.count, 100 * 60)
            for y in 0..<60 {
                for x in 0..<100 {
                    let inside = x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height
                    XCTAssertEqual(m[y * 100 + x], inside ? 1 : 0, "(\(x), \(y)) map \(w)x\(h)")
                }
            }
        }
        // A horizontal ramp over the crop stays monotonic inside and is 0 outside.
        let ramp = (0..<24 * 24).map { Float($0 % 24) }
        let m = g.mapToOriginal(ramp, width: 24, height: 24)
        let row = Array(m[(30 * 100)..<(31 * 100)])
        XCTAssertEqual(row[25], 0); XCTAssertEqual(row[74 + 1], 0)
        for x in r.x..<(r.x + r.width - 1) { XCTAssertLessThanOrEqual(row[x], row[x + 1]) }
        XCTAssertEqual(row[r.x], 0); XCTAssertEqual(row[r.x + r.width - 1], 23)
        // Wrong value count: all zeros, no crash.
        XCTAssertEqual(g.mapToOriginal([1, 2, 3], width: 24, height: 24), [Float](repeating: 0, count: 6000))
    }

    func testPaddedCropGeometry() throws {
        // 20x10 image, crop 16: pads height by 3 above (so cropY = -3), crops width at round(4/2) = 2.
        let img = try noise(width: 20, height: 10, channels: 1)
        let (x, g) = try Preprocessor.apply(img, spec: PreprocessSpec(crop: .shortSide(16), scale: 1), channels: 1, height: 16, width: 16)
        XCTAssertEqual([g.cropX, g.cropY], [2, -3])
        let v = x.floatValues()
        XCTAssertEqual(Array(v[0..<16]), [Float](repeating: 0, count: 16))
        XCTAssertEqual(v[3 * 16], Float(img.sample(2, 0, 0)))
        let r = g.seenRect
        XCTAssertEqual([r.x, r.y, r.width, r.height], [2, 0, 16, 10])
    }
}
