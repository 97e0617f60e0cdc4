import Graph
import Importers
import XCTest

final class NPYWriterTests: XCTestCase {
    func testHeaderLayoutAndRoundTrip() throws {
        let t = try Tensor(shape: [2, 3], floats: [1, -2, 3.5, 0, 1e-7, -0])
        let bytes = NPY.write(t)
        // Magic, version 1.0, little-endian header length; data starts on a 64-byte boundary.
        XCTAssertEqual(Array(bytes[0..<8]), [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        XCTAssertEqual((10 + headerLength) % 64, 0)
        XCTAssertEqual(bytes.count, 10 + headerLength + 6 * 4)
        let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"), header)
        XCTAssertTrue(header.hasSuffix("\n"))
        // 1.0 as little-endian float32 is 00 00 80 3F.
        XCTAssertEqual(Array(bytes[(10 + headerLength)..<(14 + headerLength)]), [0, 0, 0x80, 0x3F])
        XCTAssertEqual(try NPY.read(data: bytes, name: "mem"), t)
    }

    func testRoundTripOfEveryDtypeAndShapeKind() throws {
        let cases: [Tensor] = [
            Tensor.scalar(Float(2.5)),
            Tensor.vector([Int64.min, -1, 0, Int64.max]),
            try Tensor(shape: [2, 2], bools: [true, false, false, true]),
            Tensor.zeros([0, 4]),
            Tensor.zeros([3, 0], dtype: .int64),
        ]
        for t in cases {
            let back = try NPY.read(data: NPY.write(t), name: "mem")
            XCTAssertEqual(back, t)
        }
        let header = String(decoding: NPY.write(Tensor.vector([1, 2] as [Int64]))[10..<20], as: UTF8.self)
        XCTAssertEqual(header, "{'descr': ")
        let boolBytes = NPY.write(try Tensor(shape: [1], bools: [true]))
        XCTAssertTrue(String(decoding: boolBytes, as: UTF8.self).contains("'|b1'"))
        XCTAssertTrue(String(decoding: NPY.write(Tensor.scalar(Float(1))), as: UTF8.self).contains("'shape': ()"))
        XCTAssertTrue(String(decoding: NPY.write(Tensor.vector([Float(1)])), as: UTF8.self).contains("'shape': (1,)"))
    }

    func testWriteToPathIsAtomic() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("npy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = dir.appendingPathComponent("a.npy").path
        try NPY.write(Tensor.vector([Float(1), 2]), path: p)
        XCTAssertEqual(try NPY.read(path: p), Tensor.vector([Float(1), 2]))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["a.npy"])
        XCTAssertThrowsError(try NPY.write(Tensor.scalar(Float(1)), path: dir.appendingPathComponent("no/such/b.npy").path))
    }
}
