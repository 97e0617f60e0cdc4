import Foundation
import TestSupport
import XCTest

/// `cfcam inspect` and `cfcam bench` end to end.
final class CLIInspectBenchTests: XCTestCase {
    func testInspectSqueezeNet() throws {
        let model = fixturesURL("models/squeezenet1_1_op17.onnx").path
        let r = try CLI.run(["inspect", model])
        XCTAssertEqual(r.status, 0, r.transcript)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("input  input: float32 [batch, 3, 224, 224]"), r.stdout)
        XCTAssertTrue(lines.contains("output logits: float32 [batch, 1000]"), r.stdout)
        XCTAssertTrue(lines.contains("opsets: ai.onnx=17"), r.stdout)
        // First conv: kernel 3, stride 2, no padding: (224 - 3) / 2 + 1 = 111; its max-pool
        // (kernel 3, stride 2, ceil mode): ceil((111 - 3) / 2) + 1 = 55.
        XCTAssertTrue(lines.contains("  /features/features.0/Conv  Conv  -> /features/features.0/Conv_output_0 [batch, 64, 111, 111]"), r.stdout)
        XCTAssertTrue(lines.contains("  /features/features.2/MaxPool  MaxPool  -> /features/features.2/MaxPool_output_0 [batch, 64, 55, 55]"), r.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("  ") && $0.hasSuffix("-> logits [batch, 1000]") }, r.stdout)
        // Convs: features.0, 3 per fire module (8 modules), the classifier's: 1 + 24 + 1 = 26.
        XCTAssertEqual(lines.filter { $0.contains("  Conv  -> ") }.count, 26, r.stdout)
        XCTAssertFalse(r.stdout.contains("UNSUPPORTED"))
    }

    func testInspectListsUnsupportedCustomOp() throws {
        let model = fixturesURL("onnx-small/custom_and_constants.onnx").path
        let r = try CLI.run(["inspect", model])
        XCTAssertNotEqual(r.status, 0, r.transcript)
        XCTAssertTrue(r.stdout.contains("  swish  com.example::Swish  -> s ?  [UNSUPPORTED]"), r.transcript)
        XCTAssertTrue(r.stdout.contains("input  x: float32 [batch, 2]"), r.transcript)
        XCTAssertTrue(r.stderr.contains(model), r.transcript)
        XCTAssertTrue(r.stderr.contains("com.example::Swish: nodes swish"), r.transcript)
        XCTAssertTrue(r.stderr.contains("Register a custom op"), r.transcript)
    }

    func testInspectTruncatedModelFails() throws {
        let model = fixturesURL("onnx-small/truncated.onnx").path
        let r = try CLI.run(["inspect", model])
        XCTAssertNotEqual(r.status, 0, r.transcript)
        XCTAssertTrue(r.stderr.contains(model), r.transcript)
    }

    func testBenchEndsWithMedian() throws {
        let model = fixturesURL("models/squeezenet1_1_op17.onnx").path
        let r = try CLI.run(["bench", model, "--runs", "2", "--batch", "2", "--warmup", "1"])
        XCTAssertEqual(r.status, 0, r.transcript)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.filter { $0.hasPrefix("run ") }.count, 2, r.stdout)
        XCTAssertTrue(lines.contains { $0.contains("batch=2") }, r.stdout)
        let last = try XCTUnwrap(lines.last)
        XCTAssertTrue(last.hasPrefix("median_ms="), last)
        let ms = try XCTUnwrap(Double(last.dropFirst("median_ms=".count)), last)
        XCTAssertGreaterThan(ms, 0)
    }

    func testBenchRejectsZeroRuns() throws {
        let model = fixturesURL("models/squeezenet1_1_op17.onnx").path
        let r = try CLI.run(["bench", model, "--runs", "0"])
        XCTAssertNotEqual(r.status, 0, r.transcript)
        XCTAssertTrue(r.stderr.contains("--runs"), r.transcript)
    }
}
