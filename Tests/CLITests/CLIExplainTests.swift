import Foundation
import Graph
import Importers
import Rules
import TestSupport
import XCTest

/// `cfcam explain` end to end: LRP presets against Zennit (fixtures/lrp, scripts/reference/zennit_refs.py),
/// the input gradient against PyTorch autograd (fixtures/grad), and a clear error for bad methods.
final class CLIExplainTests: XCTestCase {
    /// Channel sum of the reference relevance of image `b`: [1, H, W].
    func spatial(_ t: Tensor, image b: Int) throws -> Tensor {
        let (c, h, w) = (t.shape[1], t.shape[2], t.shape[3])
        let v = try t.floats()
        var out = [Float](repeating: 0, count: h * w)
        for ch in 0..<c { for p in 0..<(h * w) { out[p] += v[(b * c + ch) * h * w + p] } }
        return try Tensor(shape: [1, h, w], floats: out)
    }

    func testLRPPresetsMatchZennit() throws {
        let refs = try NPZ.read(path: fixturesURL("lrp/vggish.refs.npz").path)
        let tmp = try TempDir()
        // The model's batch is fixed at 2; image 0's target class is 3 in the reference.
        try NPY.write(try XCTUnwrap(refs["input"]), path: tmp.path("x.npy"))
        for preset in ["epsilon-plus", "epsilon-gamma-box", "epsilon-alpha2-beta1"] {
            let r = try CLI.run(["explain", fixturesURL("lrp/vggish.onnx").path, tmp.path("x.npy"), "--method", "lrp",
                                 "--composite", preset, "--target", "3", "--raw", tmp.path("\(preset).npy")])
            XCTAssertEqual(r.status, 0, r.transcript)
            let map = try NPY.read(path: tmp.path("\(preset).npy"))
            XCTAssertEqual(map.shape, [2, 16, 16])
            let got = try Tensor(shape: [1, 16, 16], floats: Array(try map.floats()[0..<256]))
            assertClose(got, try spatial(try XCTUnwrap(refs["\(preset).input"]), image: 0), rtol: 1e-4, atol: 0, preset)
        }
    }

    func testGradientMatchesAutograd() throws {
        let ref = try NPZ.read(path: fixturesURL("grad/squeezenet1_1.grad.npz").path)
        let tmp = try TempDir()
        try NPY.write(try XCTUnwrap(ref["input"]), path: tmp.path("x.npy"))
        let r = try CLI.run(["explain", fixturesURL("models/squeezenet1_1_op17.onnx").path, tmp.path("x.npy"),
                             "--method", "gradient", "--raw", tmp.path("g.npy")])
        XCTAssertEqual(r.status, 0, r.transcript)
        let got = try NPY.read(path: tmp.path("g.npy")).floatValues(), want = try XCTUnwrap(ref["grad_input"]).floatValues()
        XCTAssertEqual(got.count, want.count)
        // Same criterion as GradientConformanceTests (ReLU / max-pool routing at float ties).
        let dot = zip(got, want).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let na = got.reduce(0.0) { $0 + Double($1) * Double($1) }, nb = want.reduce(0.0) { $0 + Double($1) * Double($1) }
        XCTAssertGreaterThan(dot / (na * nb).squareRoot(), 0.9995)
    }

    func testUnknownCompositeIsAClearError() throws {
        let tmp = try TempDir()
        let r = try CLI.run(["explain", fixturesURL("models/squeezenet1_1_op17.onnx").path, fixturesURL("image/rgb.png").path,
                             "--method", "lrp", "--composite", "nonsense", "--raw", tmp.path("m.npy")])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("nonsense"), r.transcript)
        XCTAssertEqual(tmp.contents(), [])
    }
}
