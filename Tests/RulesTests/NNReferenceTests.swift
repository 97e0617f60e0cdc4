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
    /// Winograd F(4x4, 3x3): every case is forced onto that path (tile threshold 1) and must take
    /// it; the same cases also run on the direct paths.
    func testConvWinograd() throws {
        let saved = (Winograd.enabled, Winograd.minTiles)
        defer { (Winograd.enabled, Winograd.minTiles) = saved }
        Winograd.minTiles = 1
        for on in [true, false] {
            Winograd.enabled = on
            let before = Winograd.runs
            try forEachConvPath { XCTAssertEqual(try checkNNFamily("winograd"), 7, "\($0), Winograd \(on)") }
            // 7 cases x 2 thread counts on the AVX-512 path; none elsewhere.
            XCTAssertEqual(Winograd.runs - before, on && FastGEMM.available ? 14 : 0)
        }
        // One-off weights (not graph initializers, as in LRP's modified copies) stay on the direct path.
        Winograd.enabled = true
        let before = Winograd.runs
        for c in try loadNNCases("winograd") {
            let got = try XCTUnwrap(c.run(threads: 2, constantParameters: false).first)
            assertClose(got, try XCTUnwrap(c.outputs.first), rtol: Tolerance.conformanceRelative, atol: 1e-6, c.name)
        }
        XCTAssertEqual(Winograd.runs, before)
        // Dropping the cached transformed weights: the next run rebuilds them.
        Winograd.releaseCachedWeights()
        XCTAssertEqual(try checkNNFamily("winograd"), 7)
        XCTAssertEqual(Winograd.runs - before, FastGEMM.available ? 14 : 0)
    }
    func testConvTranspose() throws { XCTAssertEqual(try checkNNFamily("convtranspose"), 7) }
    /// Max-pool's 3-wide stride-2 C kernel (AVX-512 and portable) against onnxruntime.
    func testPoolWide() throws {
        try forEachConvPath { XCTAssertEqual(try checkNNFamily("poolwide"), 4, $0) }
    }
    func testGemm() throws { XCTAssertEqual(try checkNNFamily("gemm"), 5) }
    func testMatMul() throws { XCTAssertEqual(try checkNNFamily("matmul"), 7) }
    func testPools() throws { XCTAssertEqual(try checkNNFamily("pool"), 15) }
    func testNormalization() throws { XCTAssertEqual(try checkNNFamily("norm"), 8) }
    func testSoftmax() throws { XCTAssertEqual(try checkNNFamily("softmax"), 5) }
    func testResize() throws { XCTAssertEqual(try checkNNFamily("resize"), 39) }
    func testPad() throws { XCTAssertEqual(try checkNNFamily("pad"), 7) }
}
