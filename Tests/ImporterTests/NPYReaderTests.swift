import Graph
import Importers
import TestSupport
import XCTest

/// Reads the arrays written by fixtures/npz/generate.py and checks values against the formulas there.
final class NPYReaderTests: XCTestCase {
    private func path(_ name: String) -> String { fixturesURL("npz/\(name)").path }

    /// The generator's formulas over the C-order flat index of a (2, 3, 4) array.
    private func expected(kind: String) -> Tensor {
        let i = (0..<24).map { $0 }
        switch kind.first {
        case "f": return Tensor(unchecked: [2, 3, 4], floats: i.map { (Float($0) - 11.5) * 0.25 })
        case "i": return Tensor(unchecked: [2, 3, 4], ints: i.map { Int64($0 - 12) })
        case "u": return Tensor(unchecked: [2, 3, 4], ints: i.map { Int64($0 * 10) })
        default: return Tensor(unchecked: [2, 3, 4], bools: i.map { $0 % 3 == 0 })
        }
    }

    func testEveryDtypeEndiannessAndOrder() throws {
        var checked = 0
        for kind in ["f2", "f4", "f8", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "b1"] {
            let tags = kind.hasSuffix("1") ? ["na"] : ["le", "be"]
            for tag in tags {
                for order in ["C", "F"] {
                    let name = "dtypes/\(kind)_\(tag)_\(order).npy"
                    let t = try NPY.read(path: path(name))
                    XCTAssertEqual(t, expected(kind: kind), name)
                    checked += 1
                }
            }
        }
        XCTAssertEqual(checked, 2 * (9 * 2 + 3)) // 9 multi-byte kinds x 2 byte orders, 3 single-byte kinds; x 2 orders
    }

    func testHeaderVersions2And3() throws {
        XCTAssertEqual(try NPY.read(path: path("versions/v2.npy")), expected(kind: "f4"))
        XCTAssertEqual(try NPY.read(path: path("versions/v3.npy")), expected(kind: "f4"))
    }

    func testZeroDimensionalAndEmptyArrays() throws {
        XCTAssertEqual(try NPY.read(path: path("shapes/zero_d.npy")), Tensor.scalar(Float(3.5)))
        let empty = try NPY.read(path: path("shapes/empty.npy"))
        XCTAssertEqual(empty.shape, [0, 3]); XCTAssertEqual(empty.dtype, .float32)
        let emptyF = try NPY.read(path: path("shapes/empty_F.npy"))
        XCTAssertEqual(emptyF.shape, [2, 0, 3]); XCTAssertEqual(emptyF.dtype, .int64)
        XCTAssertEqual(try NPY.read(path: path("shapes/vector.npy")), Tensor.vector([0, 1, 2, 3, 4] as [Int64]))
    }

    func testSpecialValues() throws {
        let h = try NPY.read(path: path("special/f2_special.npy")).floats()
        XCTAssertEqual(h.count, 6)
        XCTAssertEqual(h[0], .infinity); XCTAssertEqual(h[1], -.infinity); XCTAssertTrue(h[2].isNaN)
        XCTAssertEqual(h[3], 0x1p-24) // smallest half subnormal
        XCTAssertEqual(h[4], -65504); XCTAssertEqual(h[5], 0)
        XCTAssertEqual(try NPY.read(path: path("special/i8_limits.npy")).ints(), [Int64.min, Int64.max])
        XCTAssertEqual(try NPY.read(path: path("special/f8_rounding.npy")).floats(), [Float(0.1), 0, .infinity])
    }

    /// Each refused file throws an NPZError naming the file and saying what is wrong.
    func testRefusedFilesGiveClearErrors() {
        let cases: [(String, String)] = [
            ("special/u8_too_big.npy", "does not fit in int64"),
            ("bad/object.npy", "object arrays"),
            ("bad/structured.npy", "structured dtypes"),
            ("bad/truncated.npy", "truncated data"),
            ("bad/trailing.npy", "unexpected bytes"),
            ("bad/huge_dims.npy", "needs 4000000000000000000 bytes, 16 present"),
            ("bad/overflow_dims.npy", "overflows"),
            ("bad/negative_dim.npy", "invalid dimension -1"),
            ("bad/complex.npy", "unsupported dtype '<c8'"),
            ("bad/header_too_long.npy", "exceeds the limit"),
        ]
        for (name, fragment) in cases {
            XCTAssertThrowsError(try NPY.read(path: path(name)), name) { error in
                let text = "\(error)"
                XCTAssertTrue(error is NPZError, "\(name): \(text)")
                XCTAssertTrue(text.contains(fragment), "\(name): '\(text)' lacks '\(fragment)'")
                XCTAssertTrue(text.hasPrefix(path(name)), "\(name): '\(text)' does not name the file")
            }
        }
    }

    func testMissingFileNamesThePath() {
        XCTAssertThrowsError(try NPY.read(path: "/nonexistent/x.npy")) { e in
            XCTAssertTrue("\(e)".contains("/nonexistent/x.npy: cannot open"), "\(e)")
        }
    }

    func testMalformedHeadersThrow() {
        func npy(_ header: String) -> [UInt8] {
            let h = Array(header.utf8)
            return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(h.count & 0xFF), UInt8(h.count >> 8)] + h
        }
        let bad = ["", "{", "{'descr': '<f4'", "{'descr': '<f4', 'fortran_order': False}",
                   "{'descr': '<f4', 'fortran_order': 1, 'shape': ()}", "((((((((((((((((((((((((((((((((((((",
                   "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,)}",
                   "{'descr': 'f', 'fortran_order': False, 'shape': ()}", "[1, 2] extra"]
        for h in bad {
            XCTAssertThrowsError(try NPY.read(data: npy(h), name: "mem"), h) { XCTAssertTrue($0 is NPZError) }
        }
        // The same header with valid content is accepted (so the cases above fail for the stated reason).
        XCTAssertEqual(try NPY.read(data: npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }") + [0, 0, 0x80, 0x3F], name: "mem"),
                       Tensor.scalar(Float(1)))
    }
}
