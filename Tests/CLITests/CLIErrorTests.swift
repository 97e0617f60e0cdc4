import Foundation
import Graph
import Importers
import TestSupport
import XCTest

/// Bad models, inputs and arguments: a non-zero exit, a message on stderr naming the file (and the
/// node / op / input where there is one), and nothing written at the `--output` path.
final class CLIErrorTests: XCTestCase {
    static let model = fixturesURL("models/squeezenet1_1_op17.onnx").path

    /// An input that fits squeezenet, in `tmp`.
    func goodInput(_ tmp: TempDir) throws -> String {
        let path = tmp.path("x.npy")
        try NPY.write(Tensor(unchecked: [1, 3, 224, 224], floats: [Float](repeating: 0.5, count: 3 * 224 * 224)), path: path)
        return path
    }

    /// Runs `cfcam run ... --output <tmp>/out.npz`, expecting failure with `mentions` on stderr and
    /// no file other than `keep` left in `tmp` (no output, no temporary).
    @discardableResult
    func assertRunFails(_ args: [String], in tmp: TempDir, keep: Set<String> = [], mentions: [String],
                        status: Int32? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> CLIResult {
        let out = tmp.path("out.npz")
        let r = try CLI.run(["run"] + args + ["--output", out], file: file, line: line)
        XCTAssertNotEqual(r.status, 0, r.transcript, file: file, line: line)
        if let status { XCTAssertEqual(r.status, status, r.transcript, file: file, line: line) }
        for m in mentions { XCTAssertTrue(r.stderr.contains(m), "stderr lacks '\(m)'\n\(r.transcript)", file: file, line: line) }
        XCTAssertFalse(r.stderr.contains("Fatal error"), r.transcript, file: file, line: line)
        XCTAssertEqual(Set(tmp.contents()).subtracting(keep), [], "left behind after a failed run", file: file, line: line)
        return r
    }

    func testTruncatedModel() throws {
        let tmp = try TempDir(), x = try goodInput(tmp), m = fixturesURL("onnx-small/truncated.onnx").path
        try assertRunFails([m, "--input", x], in: tmp, keep: ["x.npy"], mentions: [m, "truncated or corrupt"])
    }

    func testGarbageModel() throws {
        let tmp = try TempDir(), x = try goodInput(tmp), m = fixturesURL("onnx-small/garbage.onnx").path
        try assertRunFails([m, "--input", x], in: tmp, keep: ["x.npy"], mentions: [m, "not an ONNX model"])
    }

    func testMissingModelFile() throws {
        let tmp = try TempDir(), x = try goodInput(tmp), m = tmp.path("absent.onnx")
        try assertRunFails([m, "--input", x], in: tmp, keep: ["x.npy"], mentions: [m, "No such file"])
    }

    func testUnsupportedOpModel() throws {
        let tmp = try TempDir(), m = fixturesURL("onnx-small/custom_and_constants.onnx").path
        let x = tmp.path("x.npy")
        try NPY.write(Tensor(unchecked: [1, 2], floats: [1, 2]), path: x)
        try assertRunFails([m, "--input", x], in: tmp, keep: ["x.npy"],
                           mentions: [m, "com.example::Swish: nodes swish", "Register a custom op"])
    }

    func testUnknownArchitecture() throws {
        let tmp = try TempDir(), x = try goodInput(tmp)
        try assertRunFails(["resnet7:" + tmp.path("w.npz"), "--input", x], in: tmp, keep: ["x.npy"],
                           mentions: ["resnet7:", "unknown architecture 'resnet7'", "resnet18"])
    }

    func testArchitectureWithMissingWeights() throws {
        let tmp = try TempDir(), x = try goodInput(tmp), w = tmp.path("absent.npz")
        try assertRunFails(["resnet18:" + w, "--input", x], in: tmp, keep: ["x.npy"], mentions: [w])
    }

    /// [1, 3, 10, 10] for a model declaring [batch, 3, 224, 224]: names the file, the input and both shapes.
    func testInputWithWrongShape() throws {
        let tmp = try TempDir(), x = tmp.path("small.npy")
        try NPY.write(Tensor.zeros([1, 3, 10, 10], dtype: .float32), path: x)
        try assertRunFails([Self.model, "--input", x], in: tmp, keep: ["small.npy"],
                           mentions: [x, "input 'input'", "[batch, 3, 224, 224]", "[1, 3, 10, 10]"])
    }

    func testPickledObjectArrayInput() throws {
        let tmp = try TempDir(), x = fixturesURL("npz/bad/object.npy").path
        try assertRunFails([Self.model, "--input", x], in: tmp, mentions: [x, "pickled"])
    }

    func testTruncatedAndGarbageInputs() throws {
        for name in ["npz/bad/truncated.npy", "fuzz/npy/magic_only.npy", "fuzz/npy/empty", "onnx-small/garbage.onnx"] {
            let tmp = try TempDir(), x = fixturesURL(name).path
            try assertRunFails([Self.model, "--input", x], in: tmp, mentions: [x])
        }
    }

    func testMissingInputFile() throws {
        let tmp = try TempDir(), x = tmp.path("absent.npy")
        try assertRunFails([Self.model, "--input", x], in: tmp, mentions: [x, "No such file"])
    }

    func testInputNamingNoModelInput() throws {
        let tmp = try TempDir(), x = try goodInput(tmp)
        try assertRunFails([Self.model, "--input", "image=" + x], in: tmp, keep: ["x.npy"],
                           mentions: [Self.model, "no input 'image'", "its inputs are: input"])
    }

    func testNoInputGiven() throws {
        let tmp = try TempDir()
        try assertRunFails([Self.model], in: tmp, mentions: ["missing --input", "input", Self.model])
    }

    func testBadPrintTop() throws {
        let tmp = try TempDir(), x = try goodInput(tmp)
        try assertRunFails([Self.model, "--input", x, "--print-top", "0"], in: tmp, keep: ["x.npy"], mentions: ["--print-top"])
    }

    /// An output folder that does not exist fails before running, naming the output path.
    func testOutputFolderMissing() throws {
        let tmp = try TempDir(), x = try goodInput(tmp), out = tmp.path("no/such/folder/y.npz")
        let r = try CLI.run(["run", Self.model, "--input", x, "--output", out])
        XCTAssertNotEqual(r.status, 0, r.transcript)
        XCTAssertTrue(r.stderr.contains(out), r.transcript)
        XCTAssertEqual(tmp.contents(), ["x.npy"])
    }

    /// A kernel failing mid-graph (squeezenet1_1 on an 8x8 image: features.5's 3x3 max-pool meets a
    /// 1x1 map) names the node and op and writes nothing; an existing file at `--output` is untouched.
    func testKernelFailureMidGraphLeavesNoOutput() throws {
        let tmp = try TempDir(), x = tmp.path("tiny.npy"), out = tmp.path("out.npz")
        try SqueezeNetWeights.write(to: tmp.path("sq.npz"))
        try NPY.write(Tensor(unchecked: [1, 3, 8, 8], floats: [Float](repeating: 1, count: 192)), path: x)
        let spec = "squeezenet1_1:" + tmp.path("sq.npz")
        try assertRunFails([spec, "--input", x], in: tmp, keep: ["sq.npz", "tiny.npy"],
                           mentions: [spec, "node 'features.5' (MaxPool)"])
        // A previous result at the output path survives a failed run unchanged.
        let previous: [UInt8] = Array("previous result".utf8)
        XCTAssertTrue(FileManager.default.createFile(atPath: out, contents: Data(previous)))
        let r = try CLI.run(["run", spec, "--input", x, "--output", out])
        XCTAssertNotEqual(r.status, 0, r.transcript)
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: out))), previous)
        XCTAssertEqual(tmp.contents(), ["out.npz", "sq.npz", "tiny.npy"])
    }
}
