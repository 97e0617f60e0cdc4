import Graph
import Importers
import XCTest
import TestSupport

final class NPZTests: XCTestCase {
    private func path(_ name: String) -> String { fixturesURL("npz/\(name)").path }
    private var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("npz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tmp) }

    private func checkFixtureArchive(_ a: [String: Tensor], _ name: String) throws {
        XCTAssertEqual(Set(a.keys), ["conv1.weight", "layer1/0.bn.num_batches_tracked", "mask", "random"], name)
        XCTAssertEqual(a["conv1.weight"], Tensor(unchecked: [2, 3, 4], floats: (0..<24).map { (Float($0) - 11.5) * 0.25 }))
        XCTAssertEqual(a["layer1/0.bn.num_batches_tracked"], Tensor.scalar(Int64(7)))
        XCTAssertEqual(a["mask"], Tensor(unchecked: [2, 3, 4], bools: (0..<24).map { $0 % 3 == 0 }))
        // The same random array, saved separately as a plain .npy.
        XCTAssertEqual(a["random"], try NPY.read(path: path("archives/random.npy")))
        XCTAssertEqual(a["random"]?.shape, [3, 5])
    }

    func testStoredAndDeflatedArchives() throws {
        try checkFixtureArchive(try NPZ.read(path: path("archives/stored.npz")), "stored")
        try checkFixtureArchive(try NPZ.read(path: path("archives/deflated.npz")), "deflated")
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: path("archives/deflated.npz"))))
        try checkFixtureArchive(try NPZ.read(data: bytes, name: "buffer"), "from memory")
    }

    func testErrorsNameFileAndMember() {
        let cases: [(String, String)] = [
            ("archives/object.npz", "member 'objects.npy': object arrays"),
            ("archives/bad_member.npz", "member 'layer/broken.npy': truncated data"),
            ("archives/truncated.npz", "cannot open as a zip archive"),
            ("dtypes/f4_le_C.npy", "cannot open as a zip archive"),
        ]
        for (name, fragment) in cases {
            XCTAssertThrowsError(try NPZ.read(path: path(name)), name) { e in
                XCTAssertTrue("\(e)".hasPrefix(path(name)), "\(e)")
                XCTAssertTrue("\(e)".contains(fragment), "\(name): '\(e)' lacks '\(fragment)'")
            }
        }
        XCTAssertThrowsError(try NPZ.read(data: [1, 2, 3], name: "buf")) { XCTAssertTrue("\($0)".hasPrefix("buf: ")) }
    }

    func testWriteReadRoundTripStoredAndDeflated() throws {
        let arrays: [String: Tensor] = [
            "fc.weight": try Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, -6]),
            "nested/path.bias": Tensor.vector([Int64(-3), 9]),
            "flags": try Tensor(shape: [3], bools: [true, false, true]),
            "scalar": Tensor.scalar(Float(0.5)),
            "empty": Tensor.zeros([0, 2]),
        ]
        for c in [NPZ.Compression.stored, .deflated] {
            let p = tmp.appendingPathComponent("out-\(c).npz").path
            try NPZ.write(path: p, arrays: arrays, compression: c)
            XCTAssertEqual(try NPZ.read(path: p), arrays)
        }
        // A large, compressible array really is deflated.
        let big = ["z": Tensor.zeros([100_000])]
        let s = tmp.appendingPathComponent("s.npz").path, d = tmp.appendingPathComponent("d.npz").path
        try NPZ.write(path: s, arrays: big, compression: .stored)
        try NPZ.write(path: d, arrays: big, compression: .deflated)
        let size = { (p: String) in (try FileManager.default.attributesOfItem(atPath: p)[.size] as? Int) ?? 0 }
        XCTAssertGreaterThan(try size(s), 400_000)
        XCTAssertLessThan(try size(d), 10_000)
        XCTAssertEqual(try NPZ.read(path: d), big)
        // No temporary files are left behind.
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: tmp.path)),
                       ["out-stored.npz", "out-deflated.npz", "s.npz", "d.npz"])
    }

    func testEmptyArchive() throws {
        let p = tmp.appendingPathComponent("e.npz").path
        try NPZ.write(path: p, arrays: [:])
        XCTAssertEqual(try NPZ.read(path: p), [:])
    }

    func testFailedWriteLeavesExistingFileUntouched() throws {
        let p = tmp.appendingPathComponent("keep.npz").path
        let old = ["a": Tensor.scalar(Float(1))]
        try NPZ.write(path: p, arrays: old)
        XCTAssertThrowsError(try NPZ.write(path: p, arrays: ["": Tensor.scalar(Float(2))])) { e in
            XCTAssertTrue("\(e)".contains("non-empty"), "\(e)")
        }
        XCTAssertEqual(try NPZ.read(path: p), old)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.path), ["keep.npz"])
        XCTAssertThrowsError(try NPZ.write(path: tmp.appendingPathComponent("missing/dir/x.npz").path, arrays: old))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.path), ["keep.npz"])
    }
}
