import Foundation
import Graph
import Importers
import TestSupport
import XCTest

/// `cfcam explain` on third-party exports and with options that do not apply: every such option
/// is an error that says why, exits non-zero and writes nothing.
final class CLIExplainOptionsTests: XCTestCase {
    let squeezenet = fixturesURL("models/squeezenet1_1_op17.onnx").path
    let keras = fixturesURL("keras/mobilenet_v3_small.onnx").path

    /// The batch-1 NHWC input of the Keras export.
    func kerasInput(_ tmp: TempDir) throws -> String {
        let io = try NPZ.read(path: fixturesURL("keras/mobilenet_v3_small.b1.io.npz").path)
        let path = tmp.path("x.npy")
        try NPY.write(try XCTUnwrap(io["image"]), path: path)
        return path
    }

    func testChannelsLastSoftmaxModelExplainsLogitsAtInputSize() throws {
        let tmp = try TempDir()
        let x = try kerasInput(tmp)
        for method in ["gradcam", "lrp", "ig"] {
            let r = try CLI.run(["explain", keras, x, "--method", method, "--raw", tmp.path("\(method).npy")])
            XCTAssertEqual(r.status, 0, r.transcript)
            XCTAssertTrue(r.stderr.contains("StatefulPartitionedCall/MobileNetV3Small_1/flatten_1/Reshape:0") && r.stderr.contains("NHWC"),
                          "names the logits it explains and the layout: \(r.stderr)")
            XCTAssertEqual(try NPY.read(path: tmp.path("\(method).npy")).shape, [1, 96, 96], method)
        }
        let r = try CLI.run(["explain", keras, x, "--raw", tmp.path("auto.npy")])
        XCTAssertTrue(r.stdout.contains("gradcam explained class") && r.stdout.contains("at layer 'StatefulPartitionedCall/MobileNetV3Small_1/activation_17_1/mul:0'"), r.transcript)
        let p = try CLI.run(["explain", keras, x, "--score", "probability", "--raw", tmp.path("p.npy")])
        XCTAssertEqual(p.status, 0, p.transcript)
        XCTAssertTrue(p.stderr.contains("probabilities"), p.stderr)
    }

    func testFixedBatchModelRunsEveryBatchedMethod() throws {
        let tmp = try TempDir()
        let io = try NPZ.read(path: fixturesURL("keras/fer_mini_xception_fixed1.b1.io.npz").path)
        let face = try XCTUnwrap(io["input_1"])
        let two = try Tensor(shape: [2] + Array(face.shape.dropFirst()), floats: try face.floats() + face.floats())
        try NPY.write(two, path: tmp.path("two.npy"))
        for (method, params) in [("scorecam", [String]()), ("ig", ["steps=4"]), ("cfcam", ["groups=4"]), ("rise", ["masks=20"])] {
            let r = try CLI.run(["explain", fixturesURL("keras/fer_mini_xception_fixed1.onnx").path, tmp.path("two.npy"), "--method", method]
                                + params.flatMap { ["--param", $0] } + ["--raw", tmp.path("\(method).npy")])
            XCTAssertEqual(r.status, 0, r.transcript)
            XCTAssertEqual(try NPY.read(path: tmp.path("\(method).npy")).shape, [2, 64, 64], method)
        }
    }

    func testOptionsThatDoNotApplyAreErrors() throws {
        let tmp = try TempDir()
        let x = fixturesURL("demo/input.npy").path
        let cases: [([String], String)] = [
            (["--method", "gradcam,lrp", "--method", "gradcam"], "--method names gradcam twice"),
            (["--method", "gradcam", "--composite", "epsilon-plus"], "--composite does not apply to gradcam"),
            (["--method", "lrp", "--contrast-mode", "clrp2"], "--contrast-mode does not apply to lrp"),
            (["--method", "lrp", "--layer", "auto"], "reads no layer"),
            (["--method", "gradcam", "--batch-size", "8"], "--batch-size"),
            (["--method", "gradcam", "--progress"], "--progress"),
            (["--method", "gradcam", "--target", "3", "--reference", x], "--target picks a class"),
            (["--method", "fam", "--reference", x, "--reference-embedding", x], "not both"),
            (["--method", "gradcam", "--similarity", "dot"], "--similarity needs --reference"),
            (["--method", "fam"], "--reference"),
            (["--method", "gradcam", "--smooth-stdev", "0.1"], "--smooth-stdev needs --smooth-samples"),
            (["--method", "ig", "--param", "steps=many"], "steps=many"),
            (["--method", "gradcam", "--param", "steps=4"], "no parameter steps"),
            (["--method", "gradcam", "--score", "probability"], "not computed by a Softmax"),
            (["--method", "gradcam", "--output", "nope"], "'nope'"),
            (["--method", "gradcam", "--layout", "chw"], "--layout"),
        ]
        for (args, fragment) in cases {
            let r = try CLI.run(["explain", squeezenet, x] + args + ["--raw", tmp.path("m.npy")])
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(fragment), "\(args): \(r.stderr)")
            XCTAssertEqual(tmp.contents(), [], "\(args): no output")
        }
    }

    func testSmoothedLRPAndSimilarityLRPRun() throws {
        let tmp = try TempDir()
        let x = fixturesURL("demo/input.npy").path
        let s = try CLI.run(["explain", squeezenet, x, "--method", "lrp", "--smooth-samples", "2", "--raw", tmp.path("s.npy")])
        XCTAssertEqual(s.status, 0, s.transcript)
        let r = try CLI.run(["explain", squeezenet, x, "--method", "lrp", "--reference", x, "--raw", tmp.path("r.npy")])
        XCTAssertEqual(r.status, 0, r.transcript)
        XCTAssertEqual(try NPY.read(path: tmp.path("r.npy")).shape, [1, 224, 224])
    }

    func testConstantMapWarns() throws {
        let tmp = try TempDir()
        // A fine-tuned checkpoint whose classifier is all zero: every class scores the same on any
        // input, so no CF-CAM blend beats the blurred input and the map is constant.
        try NPZ.write(path: tmp.path("zero.npz"), arrays: ["classifier.1.weight": Tensor.zeros([1000, 512, 1, 1]),
                                                           "classifier.1.bias": Tensor.zeros([1000])])
        let r = try CLI.run(["explain", squeezenet, fixturesURL("demo/input.npy").path, "--weights", tmp.path("zero.npz"),
                             "--method", "cfcam", "--param", "groups=4", "--raw", tmp.path("c.npy")])
        XCTAssertEqual(r.status, 0, r.transcript)
        XCTAssertTrue(try NPY.read(path: tmp.path("c.npy")).floats().allSatisfy { $0 == 0 }, "the map is written")
        XCTAssertTrue(r.stderr.contains("warning:") && r.stderr.contains("constant") && r.stderr.contains("blurred input"), r.stderr)
        let normal = try CLI.run(["explain", squeezenet, fixturesURL("demo/input.npy").path, "--raw", tmp.path("g.npy")])
        XCTAssertFalse(normal.stderr.contains("warning:"), normal.stderr)
    }

    func testMethodsListingIsTheRegistryWithParameterTypes() throws {
        let r = try CLI.run(["methods"])
        XCTAssertEqual(r.status, 0, r.transcript)
        for name in ["gradcam", "cfcam", "lrp", "clrp", "sglrp", "gradient", "ig", "fam"] { XCTAssertTrue(r.stdout.contains("\n\(name) ") || r.stdout.hasPrefix(name), name) }
        XCTAssertTrue(r.stdout.contains("--param steps=integer  (default 50)"), r.stdout)
        let md = try CLI.run(["methods", "--markdown"])
        // README.md and docs/methods.md carry exactly this table.
        for doc in ["README.md", "docs/methods.md"] {
            let text = try String(contentsOf: fixturesURL("../\(doc)"), encoding: .utf8)
            XCTAssertTrue(text.contains(md.stdout.trimmingCharacters(in: .whitespacesAndNewlines)),
                          "\(doc) does not hold the current `cfcam methods --markdown` table; paste it in")
        }
    }
}
