import Graph
import Rules
import TestSupport
import XCTest

/// Every NN kernel against onnxruntime (or onnx.reference) outputs from fixtures/ops-nn/generate.py.
final class NNReferenceTests: XCTestCase {
    private func forEachConvPath(_ body: (String) throws -> Void) throws {
        let saved = FastGEMM.enabled
        defer { FastGEMM.enabled = saved }
        for fast in FastGEMM.available ? [true, false] : [false] {
            FastGEMM.enabled = fast
            try body(fast ? "AVX-512 path" : "OpenBLAS path")
        }
    }

    /// Both convolution paths: cfcam's AVX-512 GEMM (where the CPU has it) and OpenBLAS.
    func testConv() throws {
        try forEachConvPath { XCTAssertEqual(try checkNNFamily("conv"), 13, $0) }
    }
    /// Shapes that exercise every work split and tile tail of the AVX-512 path.
    func testConvBlocks() throws {
        try forEachConvPath { XCTAssertEqual(try checkNNFamily("convblocks"), 7, $0) }
    }
    func testConvTranspose() throws { XCTAssertEqual(try checkNNFamily("convtranspose"), 7) }
    func testGemm() throws { XCTAssertEqual(try checkNNFamily("gemm"), 5) }
    func testMatMul() throws { XCTAssertEqual(try checkNNFamily("matmul"), 7) }
    func testPools() throws { XCTAssertEqual(try checkNNFamily("pool"), 15) }
    func testNormalization() throws { XCTAssertEqual(try checkNNFamily("norm"), 8) }
    func testSoftmax() throws { XCTAssertEqual(try checkNNFamily("softmax"), 5) }
    func testResize() throws { XCTAssertEqual(try checkNNFamily("resize"), 39) }
    func testPad() throws { XCTAssertEqual(try checkNNFamily("pad"), 7) }
}
