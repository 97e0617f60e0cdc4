import Foundation
import Importers
import TestSupport
import XCTest

/// Replays fixtures/fuzz/npy/: adversarial inputs from fixtures/npz/generate.py plus any input that
/// once crashed the FuzzNPY fuzzer. Each must be refused with an error (and must not crash).
final class NPYFuzzRegressionTests: XCTestCase {
    func testEveryRegressionInputThrows() throws {
        let dir = fixturesURL("fuzz/npy")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        XCTAssertGreaterThanOrEqual(names.count, 6)
        for name in names {
            let bytes = try Array(Data(contentsOf: dir.appendingPathComponent(name)))
            XCTAssertThrowsError(try NPY.read(data: bytes, name: name), name) { XCTAssertTrue("\($0)".hasPrefix("\(name): "), "\($0)") }
            XCTAssertThrowsError(try NPZ.read(data: bytes, name: name), name) { XCTAssertTrue("\($0)".hasPrefix("\(name): "), "\($0)") }
        }
    }

    func testSpecificRefusals() throws {
        func npzError(_ name: String) throws -> String {
            let bytes = try Array(Data(contentsOf: fixturesURL("fuzz/npy/\(name)")))
            do { _ = try NPZ.read(data: bytes, name: name); return "no error" } catch { return "\(error)" }
        }
        XCTAssertTrue(try npzError("duplicate_key.npz").contains("key 'a' is also given by member 'a.npy'"))
        XCTAssertTrue(try npzError("not_npy_member.npz").contains("member 'notes.txt'"))
        let deep = try Array(Data(contentsOf: fixturesURL("fuzz/npy/deep_nesting.npy")))
        XCTAssertThrowsError(try NPY.read(data: deep, name: "d")) { XCTAssertTrue("\($0)".contains("nesting too deep"), "\($0)") }
    }
}
