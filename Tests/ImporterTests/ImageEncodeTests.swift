import Foundation
import Graph
import Importers
import TestSupport
import XCTest

/// Encoders (round trips through our decoders), checkWritable and AtomicFile.
final class ImageEncodeTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "cfcam-imageio-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        _ = chmod(dir, 0o755)
        try? FileManager.default.removeItem(atPath: dir)
    }

    func fixture(_ f: String) throws -> PixelImage { try ImageDecoder.read(path: fixturesURL("image-io/\(f)").path) }
    func listing() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: dir).sorted() }

    func testPNGRoundTripIsExact() throws {
        for f in ["rgb8.png", "g8.png", "rgb16.png", "g16.png", "p8_trns.png"] {
            let img = try fixture(f)
            let path = "\(dir)/out-\(f)"
            try ImageEncoder.write(img, path: path)
            XCTAssertEqual(try ImageDecoder.read(path: path), img, f)
            XCTAssertEqual(try ImageDecoder.decode(ImageEncoder.encode(img, format: .png), name: f), img, f)
        }
        XCTAssertEqual(try listing().filter { $0.hasPrefix(".") }, [], "no temporary files left")
    }

    func testJPEGEncodingMatchesPIL() throws {
        let refs = try NPZ.read(path: fixturesURL("image-io/refs.npz").path)
        var report: [String] = []
        for (f, q, ref) in [("rgb8.png", 95, "enc_rgb8_q95"), ("rgb8.png", 75, "enc_rgb8_q75"), ("g8.png", 95, "enc_g8_q95")] {
            let img = try fixture(f)
            let path = "\(dir)/out-\(q).jpeg"
            try ImageEncoder.write(img, path: path, quality: q)
            let back = try ImageDecoder.read(path: path)
            XCTAssertEqual([back.width, back.height, back.channels, back.depth], [img.width, img.height, img.channels, 8])
            // Against PIL's encode + decode of the same pixels at the same settings.
            let want = try XCTUnwrap(refs[ref]).ints()
            let vsPIL = zip(back.samples, want).map { abs(Int($0) - Int($1)) }.max()!
            // Against the original pixels (seeded noise: JPEG's hard case).
            let loss = zip(back.samples, img.samples).map { abs(Int($0) - Int($1)) }
            report.append("\(f) q\(q): vs PIL \(vsPIL), vs original max \(loss.max()!) mean \(String(format: "%.2f", Double(loss.reduce(0, +)) / Double(loss.count)))")
            XCTAssertLessThanOrEqual(vsPIL, 1, ref)
        }
        // 16-bit input is scaled to 8 bits first: same JPEG as from the rounded 8-bit image.
        let deep = try fixture("rgb16.png")
        let eight = try PixelImage(width: deep.width, height: deep.height, channels: 3, bytes: RGBImage(deep).pixels)
        XCTAssertEqual(try ImageEncoder.encode(deep, format: .jpeg), try ImageEncoder.encode(eight, format: .jpeg))
        print("JPEG encoder: \(report.joined(separator: "; "))")
        XCTAssertThrowsError(try ImageEncoder.encode(try fixture("rgb8.png"), format: .jpeg, quality: 0))
        XCTAssertThrowsError(try ImageEncoder.encode(try fixture("rgb8.png"), format: .webp))
    }

    func testCheckWritable() throws {
        XCTAssertNoThrow(try ImageEncoder.checkWritable(path: "\(dir)/ok.png"))
        XCTAssertNoThrow(try ImageEncoder.checkWritable(path: "\(dir)/ok.JPG"))
        func refused(_ path: String, _ words: String, line: UInt = #line) {
            XCTAssertThrowsError(try ImageEncoder.checkWritable(path: path), line: line) { e in
                XCTAssertTrue("\(e)".hasPrefix(path) && "\(e)".contains(words), "\(e)", line: line)
            }
        }
        refused("\(dir)/no/such/folder/out.png", "does not exist")
        refused("\(dir)/out.webp", "WebP")
        refused("\(dir)/out.bmp", "unsupported output extension")
        try Data().write(to: URL(fileURLWithPath: "\(dir)/file"))
        refused("\(dir)/file/out.png", "not a folder")
        // A read-only folder: permission bits for ordinary users; root ignores those, so as root
        // the probe file is tried on a read-only file system (/proc) instead.
        let ro = "\(dir)/ro"
        try FileManager.default.createDirectory(atPath: ro, withIntermediateDirectories: false)
        XCTAssertEqual(chmod(ro, 0o555), 0)
        if geteuid() == 0 {
            refused("/proc/cfcam-out.png", "/proc")
        } else {
            refused("\(ro)/out.png", "not writable")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: ro), [])
        XCTAssertEqual(try listing(), ["file", "ro"], "checkWritable creates nothing")
    }

    func testAtomicFileReplacesAndLeavesNothingOnFailure() throws {
        let path = "\(dir)/data.bin"
        try AtomicFile.write([1, 2, 3], to: path)
        try AtomicFile.write(Data([4, 5]), to: path)
        XCTAssertEqual(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))), [4, 5])
        // Renaming over a non-empty folder fails after the temporary file was written.
        try FileManager.default.createDirectory(atPath: "\(dir)/target", withIntermediateDirectories: false)
        try Data([9]).write(to: URL(fileURLWithPath: "\(dir)/target/keep"))
        XCTAssertThrowsError(try AtomicFile.write([7, 7, 7], to: "\(dir)/target")) { e in
            XCTAssertTrue("\(e)".hasPrefix("\(self.dir)/target"), "\(e)")
        }
        XCTAssertThrowsError(try AtomicFile.write([7], to: "\(dir)/missing/x.bin"))
        XCTAssertEqual(try listing(), ["data.bin", "target"], "no temporary file left behind")
        // An encoder failure (bad quality) writes nothing either.
        XCTAssertThrowsError(try ImageEncoder.write(try fixture("rgb8.png"), path: "\(dir)/bad.jpg", quality: 101))
        XCTAssertEqual(try listing(), ["data.bin", "target"])
    }
}
