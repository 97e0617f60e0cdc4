import Foundation
import Graph
import Importers
import Rules
import TestSupport
import XCTest

/// `cfcam run` end to end against onnxruntime's outputs (fixtures/models/*.io.npz).
final class CLIRunTests: XCTestCase {
    static let model = fixturesURL("models/squeezenet1_1_op17.onnx").path

    /// onnxruntime's `input` [2, 3, 224, 224] and `logits` [2, 1000] for squeezenet1_1 (opset 17).
    func reference() throws -> (input: Tensor, logits: Tensor) {
        let io = try NPZ.read(path: fixturesURL("models/squeezenet1_1_op17.io.npz").path)
        let input = try XCTUnwrap(io["input"]), logits = try XCTUnwrap(io["logits"])
        return (input, logits)
    }

    /// Runs `args`, asserts success, and returns the written output's arrays.
    func runOK(_ args: [String], output: String, environment: [String: String?] = [:],
               file: StaticString = #filePath, line: UInt = #line) throws -> [String: Tensor] {
        let r = try CLI.run(args, environment: environment, file: file, line: line)
        XCTAssertEqual(r.status, 0, r.transcript, file: file, line: line)
        return try NPZ.read(path: output)
    }

    func testRunMatchesOnnxruntime() throws {
        let tmp = try TempDir(), ref = try reference()
        try NPY.write(ref.input, path: tmp.path("x.npy"))
        let out = try runOK(["run", Self.model, "--input", tmp.path("x.npy"), "--output", tmp.path("y.npz")], output: tmp.path("y.npz"))
        XCTAssertEqual(Set(out.keys), ["logits"])
        assertClose(try XCTUnwrap(out["logits"]), ref.logits, rtol: Tolerance.conformanceRelative, atol: 0)
    }

    func testRunWithNamedInput() throws {
        let tmp = try TempDir(), ref = try reference()
        try NPY.write(ref.input, path: tmp.path("x.npy"))
        let out = try runOK(["run", Self.model, "--input", "input=" + tmp.path("x.npy"), "--output", tmp.path("y.npz")],
                            output: tmp.path("y.npz"))
        assertClose(try XCTUnwrap(out["logits"]), ref.logits, rtol: Tolerance.conformanceRelative, atol: 0)
    }

    /// `--threads 1` and `CFCAM_THREADS=1` give bit-identical outputs, equal to the default's up to
    /// float rounding: OpenBLAS's threaded sgemm is not bitwise reproducible across thread counts with
    /// its Haswell kernels (seen: 1348 of 2000 logits differ by <= 1.2e-6 with OPENBLAS_CORETYPE=Haswell;
    /// none with SkylakeX), so "identical" to the multi-threaded default is checked to 1e-6 relative.
    func testThreadSettingsGiveIdenticalOutputs() throws {
        let tmp = try TempDir(), ref = try reference()
        try NPY.write(ref.input, path: tmp.path("x.npy"))
        let base = ["run", Self.model, "--input", tmp.path("x.npy"), "--output"]
        let unset: [String: String?] = ["CFCAM_THREADS": nil]
        let byDefault = try runOK(base + [tmp.path("d.npz")], output: tmp.path("d.npz"), environment: unset)
        let flag = try runOK(base + [tmp.path("f.npz"), "--threads", "1"], output: tmp.path("f.npz"), environment: unset)
        let env = try runOK(base + [tmp.path("e.npz")], output: tmp.path("e.npz"), environment: ["CFCAM_THREADS": "1"])
        let d = try XCTUnwrap(byDefault["logits"]), one = try XCTUnwrap(flag["logits"])
        assertClose(d, ref.logits, rtol: Tolerance.conformanceRelative, atol: 0)
        XCTAssertEqual(try XCTUnwrap(env["logits"]), one, "CFCAM_THREADS=1 differs from --threads 1")
        assertClose(one, d, rtol: 1e-6, atol: 0, "--threads 1 vs the default")
    }

    /// `--print-top K` prints each row's K largest logits; onnxruntime's top-5 are well separated
    /// (gaps >= 0.017, tolerance 5.5e-4), so the indices must match exactly.
    func testPrintTop() throws {
        let tmp = try TempDir(), ref = try reference()
        try NPY.write(ref.input, path: tmp.path("x.npy"))
        let r = try CLI.run(["run", Self.model, "--input", tmp.path("x.npy"), "--output", tmp.path("y.npz"), "--print-top", "5"])
        XCTAssertEqual(r.status, 0, r.transcript)
        XCTAssertTrue(FileManager.default.fileExists(atPath: tmp.path("y.npz")))
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2, r.transcript)
        let expected = ref.logits.floatValues(), scale = expected.map(abs).max() ?? 0
        for (row, line) in lines.enumerated() {
            let logits = Array(expected[(row * 1000)..<((row + 1) * 1000)])
            let want = logits.indices.sorted { logits[$0] > logits[$1] }.prefix(5)
            let prefix = "logits[\(row)] top-5: "
            XCTAssertTrue(line.hasPrefix(prefix), line)
            let pairs = line.dropFirst(prefix.count).split(separator: " ").map { $0.split(separator: "=") }
            XCTAssertEqual(pairs.compactMap { $0.first.flatMap { Int($0) } }, Array(want), line)
            for (p, i) in zip(pairs, want) {
                let v = try XCTUnwrap(p.last.flatMap { Float($0) }, line)
                XCTAssertEqual(v, logits[i], accuracy: Tolerance.conformanceRelative * scale, line)
            }
        }
    }

    /// The bundled demo input gives onnxruntime's top-5 (fixtures/demo/expected_top5.txt).
    func testDemoInputTopFive() throws {
        let tmp = try TempDir()
        let r = try CLI.run(["run", Self.model, "--input", fixturesURL("demo/input.npy").path,
                             "--output", tmp.path("y.npz"), "--print-top", "5"])
        XCTAssertEqual(r.status, 0, r.transcript)
        let want = try String(contentsOf: fixturesURL("demo/expected_top5.txt"), encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: " ") }
        let line = try XCTUnwrap(r.stdout.split(separator: "\n").first.map(String.init))
        let got = line.split(separator: " ").dropFirst(2).map { $0.split(separator: "=") }
        XCTAssertEqual(got.map { String($0[0]) }, want.map { String($0[0]) }, line)
        for (g, w) in zip(got, want) {
            XCTAssertEqual(try XCTUnwrap(Float(g[1])), try XCTUnwrap(Float(w[1])), accuracy: 1e-3, line)
        }
    }

    /// `ARCH:WEIGHTS.npz`: squeezenet1_1 built from the ONNX model's own weights (saved as a
    /// torchvision state_dict) reproduces onnxruntime's logits for that ONNX model.
    func testArchitectureSpecMatchesOnnxModel() throws {
        let tmp = try TempDir(), ref = try reference()
        try SqueezeNetWeights.write(to: tmp.path("sq.npz"))
        try NPY.write(ref.input, path: tmp.path("x.npy"))
        let out = try runOK(["run", "squeezenet1_1:" + tmp.path("sq.npz"), "--input", tmp.path("x.npy"), "--output", tmp.path("y.npz")],
                            output: tmp.path("y.npz"))
        assertClose(try XCTUnwrap(out["logits"]), ref.logits, rtol: Tolerance.conformanceRelative, atol: 0)
    }
}

/// A squeezenet1_1 state_dict taken from the ONNX fixture (its initializers carry the state_dict
/// names; the exporter shares equal biases through Identity nodes, which loading folds).
enum SqueezeNetWeights {
    static func write(to path: String) throws {
        let graph = try ModelLoader.load(CLIRunTests.model, registry: standardRegistry())
        let manifest = try String(contentsOf: fixturesURL("npz/arch/squeezenet1_1.txt"), encoding: .utf8)
        let keys = manifest.split(separator: "\n").filter { $0.hasPrefix("param ") }.map { String($0.split(separator: " ")[1]) }
        XCTAssertEqual(keys.count, 52)
        var dict: [String: Tensor] = [:]
        for k in keys { dict[k] = try XCTUnwrap(graph.initializers[k], "initializer \(k)") }
        try NPZ.write(path: path, arrays: dict)
    }
}
