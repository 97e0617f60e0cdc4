import Foundation
import Importers
import TestSupport
import XCTest

/// Photo inputs at the edges the issue names ("Photos in, explanations out"), end to end through
/// the command: a model with free height / width runs at the photo's own size, images of absurd
/// size are refused from their header, and a folder run names each failed file once.
final class CLIPhotoEdgeTests: XCTestCase {
    let model = CLI.packageRoot.appendingPathComponent("models/efficientnet-lite0/efficientnet_lite0.onnx").path
    func photo(_ name: String) -> String { fixturesURL("photos/\(name)").path }

    /// PP-OCR's direction classifier declares its input [N, 3, ?, ?] (fixtures/paddle): with no
    /// fixed size to resize or crop to, the photo (451 x 300) is fed at its own size, and the map
    /// and the overlay have that size too.
    func testAModelWithFreeHeightAndWidthRunsAtThePhotosOwnSize() throws {
        let tmp = try TempDir()
        let r = try CLI.run(["explain", fixturesURL("paddle/ppocr_cls_mobile_v2.onnx").path, photo("chelsea.png"), "--method", "gradcam",
                             "--raw", tmp.path("m.npy"), "--overlay", tmp.path("o.png"), "--dump-input", tmp.path("x.npy")])
        XCTAssertEqual(r.status, 0, r.transcript)
        XCTAssertEqual(try NPY.read(path: tmp.path("x.npy")).shape, [1, 3, 300, 451])
        XCTAssertEqual(try NPY.read(path: tmp.path("m.npy")).shape, [1, 300, 451])
        let o = try ImageDecoder.read(path: tmp.path("o.png"))
        XCTAssertEqual([o.width, o.height], [451, 300])
    }

    /// A PNG and a JPEG whose headers claim 60000 x 60000 and 65000 x 65000 pixels: refused before
    /// any pixel buffer is allocated, naming the file and the limit; nothing written.
    func testImagesOfAbsurdSizeAreRefusedFromTheirHeader() throws {
        let tmp = try TempDir(), out = try TempDir()
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png += Self.pngChunk("IHDR", Self.bigEndian(60000) + Self.bigEndian(60000) + [8, 2, 0, 0, 0])
        // libpng reads the header up to the first IDAT: 31 zero bytes as one stored zlib block.
        let zeros = [UInt8](repeating: 0, count: 31)
        png += Self.pngChunk("IDAT", [0x78, 0x01, 0x01, 31, 0, ~31, 0xFF] + zeros + Self.bigEndian(31 << 16 | 1))
        png += Self.pngChunk("IEND", [])
        try Data(png).write(to: tmp.url.appendingPathComponent("huge.png"))
        var jpeg = [UInt8](try Data(contentsOf: URL(fileURLWithPath: photo("rocket.jpg"))))
        var i = 2
        while i + 9 < jpeg.count, jpeg[i] == 0xFF {
            let marker = jpeg[i + 1], length = Int(jpeg[i + 2]) << 8 | Int(jpeg[i + 3])
            if marker == 0xC0 || marker == 0xC1 || marker == 0xC2 {   // SOF: precision, height, width
                jpeg.replaceSubrange((i + 5)..<(i + 9), with: [0xFD, 0xE8, 0xFD, 0xE8])   // 65000 x 65000
                break
            }
            i += 2 + length
        }
        try Data(jpeg).write(to: tmp.url.appendingPathComponent("huge.jpg"))
        for (file, size) in [("huge.png", "60000x60000"), ("huge.jpg", "65000x65000")] {
            let r = try CLI.run(["explain", model, tmp.path(file), "--overlay", out.path("o.png")])
            XCTAssertNotEqual(r.status, 0, r.transcript)
            XCTAssertTrue(r.stderr.contains(tmp.path(file)) && r.stderr.contains(size) && r.stderr.contains("limit"), r.stderr)
            XCTAssertEqual(out.contents(), [], file)
        }
    }

    /// The failure list of a folder run names each bad file once, with the decoder's reason.
    func testFolderFailuresNameEachFileOnce() throws {
        let tmp = try TempDir(), out = try TempDir()
        try Data("not an image".utf8).write(to: tmp.url.appendingPathComponent("notes.png"))
        try FileManager.default.copyItem(atPath: photo("chelsea.png"), toPath: tmp.path("cat.png"))
        let r = try CLI.run(["explain", model, tmp.url.path, "--out-dir", out.path("run"), "--method", "gradcam"])
        XCTAssertNotEqual(r.status, 0, r.transcript)
        let line = try XCTUnwrap(r.stderr.split(separator: "\n").first { $0.contains("notes.png:") && $0.hasPrefix("  ") }, r.stderr)
        XCTAssertEqual(line.components(separatedBy: "notes.png").count - 1, 1, String(line))
        XCTAssertTrue(line.contains("unknown image format (supported: png, jpg, jpeg, webp)"), String(line))
        XCTAssertTrue(r.stderr.contains("1 of 2 inputs explained"), r.stderr)
    }

    /// `run --print-top K --labels FILE` names the classes from the file (over the model's metadata).
    func testRunPrintTopNamesClassesFromALabelFile() throws {
        let tmp = try TempDir()
        let names = (0..<1000).map { "name-\($0)" }.joined(separator: "\n") + "\n"
        try Data(names.utf8).write(to: tmp.url.appendingPathComponent("labels.txt"))
        let r = try CLI.run(["run", model, "--input", photo("chelsea.png"), "--print-top", "3", "--labels", tmp.path("labels.txt")])
        XCTAssertEqual(r.status, 0, r.transcript)
        XCTAssertTrue(r.stdout.contains("top-3: 282 'name-282'"), r.stdout)
        XCTAssertFalse(r.stdout.contains("tiger cat"), r.stdout)
    }

    /// Explicit preprocessing flags override the model's metadata one by one, and `--colormap` /
    /// `--alpha` reach the overlay: the dumped input is the library's `Preprocessor` output for
    /// the metadata spec with those fields replaced (the library matches torchvision exactly:
    /// PreprocessGoldenTests), and the overlay is `Overlay.render` of the raw map with turbo
    /// (its tables match matplotlib's: RenderTests) mapped back through that spec's geometry.
    func testPreprocessingFlagsAndColormapReachTheModelAndTheOverlay() throws {
        let tmp = try TempDir()
        let r = try CLI.run(["explain", model, photo("chelsea.png"), "--method", "gradcam",
                             "--resize", "300", "--interpolation", "bilinear", "--mean", "120,110,100", "--std", "60,50,40", "--bgr",
                             "--colormap", "turbo", "--alpha", "0.3",
                             "--dump-input", tmp.path("x.npy"), "--raw", tmp.path("m.npy"), "--overlay", tmp.path("o.png")])
        XCTAssertEqual(r.status, 0, r.transcript)
        var spec = try XCTUnwrap(try ModelMetadata.load(modelPath: model).preprocess)
        spec.resize = try ImageSize.parse("300")
        spec.interpolation = .bilinear
        spec.mean = [120, 110, 100]; spec.std = [60, 50, 40]; spec.bgr = true
        let image = try ImageDecoder.read(path: photo("chelsea.png"))
        let (want, geometry) = try Preprocessor.apply(image, spec: spec, channels: 3, height: 224, width: 224)
        XCTAssertEqual(try NPY.read(path: tmp.path("x.npy")).floatValues(), want.floatValues())
        let map = try NPY.read(path: tmp.path("m.npy"))
        XCTAssertEqual(map.shape, [1, 224, 224])
        let overlay = try Overlay.render(image: image, map: geometry.mapToOriginal(map.floatValues(), width: 224, height: 224),
                                         colormap: try ColormapRegistry.standard.colormap(named: "turbo"), alpha: 0.3,
                                         normalisation: .minMax, dimOutside: geometry.seenRect)
        XCTAssertEqual(try ImageDecoder.read(path: tmp.path("o.png")), overlay)
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    static func pngChunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        var crc: UInt32 = 0xFFFF_FFFF
        for b in body {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return bigEndian(UInt32(data.count)) + body + bigEndian(~crc)
    }
}
