import Graph
import Importers
import TestSupport
import XCTest

/// Broken, hostile and oversized inputs: thrown errors that name the file, never crashes.
final class ImageDecodeErrorTests: XCTestCase {
    func bytes(_ file: String) throws -> [UInt8] { try [UInt8](Data(contentsOf: fixturesURL("image-io/\(file)"))) }

    func assertNamedError(_ data: [UInt8], _ name: String, contains: String? = nil, line: UInt = #line) {
        XCTAssertThrowsError(try ImageDecoder.decode(data, name: name), name, line: line) { e in
            XCTAssertTrue("\(e)".hasPrefix("\(name): "), "\(e)", line: line)
            if let c = contains { XCTAssertTrue("\(e)".contains(c), "\(e)", line: line) }
        }
    }

    func testTruncatedFilesThrowNamedErrors() throws {
        for file in ["rgb8.png", "rgb16.png", "rgb8_adam7.png", "p8_trns.png", "rgb420.jpg", "progressive.jpg",
                     "orient6.jpg", "lossless_rgb.webp", "lossy_rgb.webp"] {
            let full = try bytes(file)
            for cut in [0, 1, 3, 8, 12, 20, 33, 60, 100, full.count / 3, full.count / 2, full.count - 40, full.count - 2] {
                assertNamedError(Array(full.prefix(cut)), "cut\(cut)-\(file)")
            }
        }
        // libpng's own words come through.
        let png = try bytes("rgb8.png")
        assertNamedError(Array(png.prefix(png.count / 2)), "half.png", contains: "truncated")
        let jpg = try bytes("rgb420.jpg")
        assertNamedError(Array(jpg.prefix(jpg.count - 100)), "cut.jpg", contains: "Premature end")
    }

    func testCorruptBytesNeverCrash() throws {
        var rng = TestRNG(seed: 5)
        var refused = 0, decoded = 0
        for file in ["rgb8.png", "g4.png", "rgb444.jpg", "orient8.jpg", "lossless_rgba.webp", "lossy_rgb.webp"] {
            let full = try bytes(file)
            for _ in 0..<60 {
                var b = full
                for _ in 0..<4 { b[Int(rng.next() % UInt64(b.count - 16)) + 16] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
                do {
                    // Corrupt entropy-coded data may still decode (to wrong pixels); sizes stay sane.
                    let img = try ImageDecoder.decode(b, name: file)
                    XCTAssertFalse(file.hasSuffix(".png"), "PNG chunks are CRC-checked: a flipped byte is an error")
                    XCTAssertLessThanOrEqual(img.width * img.height, ImageDecoder.maxPixels)
                    decoded += 1
                } catch {
                    XCTAssertTrue("\(error)".hasPrefix("\(file): "), "\(error)")
                    refused += 1
                }
            }
        }
        XCTAssertEqual(refused + decoded, 360)
        XCTAssertGreaterThanOrEqual(refused, 120)
    }

    func testHostileExifIsIgnored() throws {
        let good = try bytes("orient6.jpg")
        // Find the TIFF header ("II*\0") inside the APP1 segment and break its byte order, magic, IFD
        // offset, tag, type or value in turn.
        let at = try XCTUnwrap((0..<good.count - 4).first { Array(good[$0..<$0 + 4]) == [0x49, 0x49, 0x2A, 0] })
        for (offset, value) in [(0, 0x58), (2, 0x2B), (4, 0xFF), (7, 0x7F), (10, 0x13), (12, 0xFF), (18, 0x09)] {
            var b = good
            b[at + offset] = UInt8(value)
            let img = try ImageDecoder.decode(b, name: "hostile.jpg")
            XCTAssertEqual([img.width, img.height], [37, 23], "unreadable EXIF -> orientation 1")
        }
        var lengthTooLong = good  // APP1 length pointing past the end of the file
        let app1 = try XCTUnwrap((2..<good.count - 1).first { good[$0] == 0xFF && good[$0 + 1] == 0xE1 })
        lengthTooLong[app1 + 2] = 0xFF
        if let img = try? ImageDecoder.decode(lengthTooLong, name: "hostile.jpg") {
            XCTAssertEqual([img.width, img.height], [37, 23], "a segment running past the end holds no orientation")
        }
    }

    func testHugeHeaderRefusedBeforeAllocation() throws {
        // A valid signature, IHDR for 100000x100000 RGB, a tiny IDAT and IEND: 49 bytes claiming 30 GB.
        func be(_ v: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: v >> $0) } }
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            be(UInt32(data.count)) + Array(type.utf8) + data + be(crc32(Array(type.utf8) + data))
        }
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
            + chunk("IHDR", be(100_000) + be(100_000) + [8, 2, 0, 0, 0])
            + chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]) + chunk("IEND", [])
        assertNamedError(png, "huge.png", contains: "100000x100000 (10000000000 pixels), over the limit of 100000000")
        // The limit is adjustable and applies to every format.
        let saved = ImageDecoder.maxPixels
        defer { ImageDecoder.maxPixels = saved }
        ImageDecoder.maxPixels = 100
        for f in ["rgb8.png", "grey.jpg", "lossless_rgb.webp"] { assertNamedError(try bytes(f), f, contains: "over the limit of 100") }
    }

    func testUnknownEmptyMissingAndCMYK() throws {
        assertNamedError(Array("GIF89a not supported".utf8), "anim.gif", contains: "supported: png, jpg, jpeg, webp")
        assertNamedError([], "empty.png", contains: "empty")
        let missing = fixturesURL("image-io/missing.png").path
        XCTAssertThrowsError(try ImageDecoder.read(path: missing)) { XCTAssertTrue("\($0)".hasPrefix(missing), "\($0)") }
        assertNamedError(try bytes("cmyk.jpg"), "cmyk.jpg", contains: "CMYK")
    }

    private func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
        }
        return ~c
    }
}
