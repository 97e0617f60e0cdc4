import Graph
import Importers
import TestSupport
import XCTest

/// Decoding against PIL / OpenCV goldens (scripts/reference/image_io_refs.py -> fixtures/image-io).
final class ImageDecodeTests: XCTestCase {
    static let refs: [String: Tensor] = (try? NPZ.read(path: fixturesURL("image-io/refs.npz").path)) ?? [:]

    /// Largest |decoded - reference| over all samples, after checking the shape and depth.
    func maxDiff(_ file: String, depth: Int = 8, line: UInt = #line) throws -> Int {
        let img = try ImageDecoder.read(path: fixturesURL("image-io/\(file)").path)
        let stem = String(file[..<file.lastIndex(of: ".")!])
        let want = try XCTUnwrap(Self.refs[stem], "no reference \(stem)", line: line)
        let shape = want.shape.count == 2 ? [img.height, img.width] : [img.height, img.width, img.channels]
        XCTAssertEqual(shape, want.shape, file, line: line)
        XCTAssertEqual(img.channels, want.shape.count == 2 ? 1 : 3, file, line: line)
        XCTAssertEqual(img.depth, depth, file, line: line)
        guard shape == want.shape else { return .max }
        return zip(img.samples, try want.ints()).map { abs(Int($0) - Int($1)) }.max() ?? 0
    }

    func testPNGEveryColourTypeAndDepthIsExact() throws {
        XCTAssertEqual(Self.refs.count, 37)
        let eight = ["g1", "g2", "g4", "g8", "ga8", "rgb8", "rgba8", "p4", "p8", "p8_trns", "rgb8_gamma", "rgb8_adam7"]
        for f in eight { XCTAssertEqual(try maxDiff("\(f).png"), 0, f) }
        for f in ["g16", "ga16", "rgb16", "rgba16", "g16_adam7"] { XCTAssertEqual(try maxDiff("\(f).png", depth: 16), 0, f) }
    }

    func testJPEGMatchesPIL() throws {
        var report: [String] = []
        for f in ["rgb420", "rgb444", "grey", "progressive"] {
            let d = try maxDiff("\(f).jpg")
            report.append("\(f) \(d)")
            XCTAssertLessThanOrEqual(d, 1, f)
        }
        print("JPEG max |diff| vs PIL: \(report.joined(separator: ", "))")
    }

    func testJPEGExifOrientationLikeExifTranspose() throws {
        var report: [String] = []
        for o in 1...8 {
            let d = try maxDiff("orient\(o).jpg")
            report.append("\(o):\(d)")
            XCTAssertLessThanOrEqual(d, 1, "orientation \(o)")
            let img = try ImageDecoder.read(path: fixturesURL("image-io/orient\(o).jpg").path)
            XCTAssertEqual([img.width, img.height], o >= 5 ? [23, 37] : [37, 23], "orientation \(o)")
        }
        for f in ["orient6_mm", "orient7_mm"] { XCTAssertLessThanOrEqual(try maxDiff("\(f).jpg"), 1, f) }
        print("EXIF orientation max |diff| vs PIL: \(report.joined(separator: " "))")
        // The pixels really move: orientation 3 is orientation 1 turned by 180 degrees (same encoding).
        let one = try ImageDecoder.read(path: fixturesURL("image-io/orient1.jpg").path)
        let three = try ImageDecoder.read(path: fixturesURL("image-io/orient3.jpg").path)
        XCTAssertEqual(three.sample(0, 0, 0), one.sample(36, 22, 0))
        XCTAssertNotEqual(one.samples, three.samples)
    }

    func testWebP() throws {
        XCTAssertEqual(try maxDiff("lossless_rgb.webp"), 0)
        XCTAssertEqual(try maxDiff("lossless_rgba.webp"), 0)
        let lossy = try maxDiff("lossy_rgb.webp")
        print("WebP lossy max |diff| vs PIL: \(lossy)")
        XCTAssertLessThanOrEqual(lossy, 2)
    }

    func testFormatSniffingAndExtensions() throws {
        XCTAssertEqual(ImageFormat.extensionList, "png, jpg, jpeg, webp")
        for (file, format) in [("rgb8.png", ImageFormat.png), ("grey.jpg", .jpeg), ("lossy_rgb.webp", .webp)] {
            let bytes = try [UInt8](Data(contentsOf: fixturesURL("image-io/\(file)")))
            XCTAssertEqual(ImageFormat.sniff(bytes), format, file)
            XCTAssertEqual(ImageFormat.fromExtension(file), format, file)
        }
        XCTAssertEqual(ImageFormat.fromExtension("/a.b/PHOTO.JPEG"), .jpeg)
        XCTAssertNil(ImageFormat.fromExtension("/a.png/noext"))
        XCTAssertNil(ImageFormat.sniff([0xFF, 0xD8]))
        XCTAssertTrue(ImageDecoder.isImagePath("x/y.Jpg"))
        XCTAssertFalse(ImageDecoder.isImagePath("x/y.npy"))
        // Sniffed, not guessed from the name: a PNG named .jpg still decodes as PNG.
        let png = try [UInt8](Data(contentsOf: fixturesURL("image-io/rgb8.png")))
        XCTAssertEqual(try ImageDecoder.decode(png, name: "mislabelled.jpg").depth, 8)
    }

    func testRGBImageStillReadsGreyAnd16Bit() throws {
        let grey = try RGBImage.readPNG(path: fixturesURL("image-io/g8.png").path)
        let g = try XCTUnwrap(Self.refs["g8"]).ints()
        XCTAssertEqual(grey.pixels.count, 37 * 23 * 3)
        XCTAssertEqual(grey.pixels[30], UInt8(g[10])); XCTAssertEqual(grey.pixels[32], UInt8(g[10]))
        let deep = try RGBImage.readPNG(path: fixturesURL("image-io/rgb16.png").path)
        let d = try XCTUnwrap(Self.refs["rgb16"]).ints()
        XCTAssertEqual(deep.pixels, d.map { UInt8((Double($0) / 257).rounded()) })
    }
}
