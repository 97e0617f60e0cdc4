import Graph
import Rules
import TestSupport
import XCTest

/// Every NN kernel against onnxruntime (or onnx.reference) outputs from fixtures/ops-nn/generate.py.
final class NNReferenceTests: XCTestCase {
    func testConv() throws { XCTAssertEqual(try checkNNFamily("conv"), 13) }
    func testConvTranspose() throws { XCTAssertEqual(try checkNNFamily("convtranspose"), 7) }
    func testGemm() throws { XCTAssertEqual(try checkNNFamily("gemm"), 5) }
    func testMatMul() throws { XCTAssertEqual(try checkNNFamily("matmul"), 7) }
    func testPools() throws { XCTAssertEqual(try checkNNFamily("pool"), 15) }
    func testNormalization() throws { XCTAssertEqual(try checkNNFamily("norm"), 8) }
    func testSoftmax() throws { XCTAssertEqual(try checkNNFamily("softmax"), 5) }
    func testResize() throws { XCTAssertEqual(try checkNNFamily("resize"), 39) }
    func testPad() throws { XCTAssertEqual(try checkNNFamily("pad"), 7) }
}
