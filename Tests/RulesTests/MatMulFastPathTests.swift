import Graph
@testable import Rules
import TestSupport
import XCTest

/// The fast-precision MatMul (cfcam's GEMM, row blocks per thread) against a float64 loop, on the
/// task splits it makes: one weight matrix shared by every row (a Linear layer on tokens, rows
/// split in two halves), 3 and 5 items on 2 threads (split into half-items so each thread gets as
/// many), items that divide evenly, a broadcast B batch, and the fused bias (`forward(biased:)`).
final class MatMulFastPathTests: XCTestCase {
    func testTaskSplitsMatchFloat64() throws {
        guard FastGEMM.enabled else { throw XCTSkip("this CPU has no AVX-512 (or CFCAM_GEMM=openblas)") }
        var rng = TestRNG(seed: 31)
        for (aShape, bShape, threads) in [([197, 40], [40, 70], 2), ([3, 37, 20], [3, 20, 33], 2),
                                          ([5, 50, 17], [5, 17, 9], 2), ([4, 19, 8], [4, 8, 50], 2),
                                          ([2, 3, 41, 16], [16, 30], 2), ([3, 37, 20], [3, 20, 33], 1),
                                          ([1, 15, 12], [12, 5], 2)] {
            let a = (0..<aShape.reduce(1, *)).map { _ in rng.normal() }
            let b = (0..<bShape.reduce(1, *)).map { _ in rng.normal() }
            let n = bShape[bShape.count - 1]
            let bias = (0..<n).map { _ in rng.normal() }
            let node = Node(name: "mm", opType: "MatMul", inputs: ["a", "b", "bias"], outputs: ["y"])
            let inputs = [try Tensor(shape: aShape, floats: a), try Tensor(shape: bShape, floats: b),
                          try Tensor(shape: [n], floats: bias)]
            for biased in [false, true] {
                let ctx = OpContext(node: node, inputs: biased ? inputs : Array(inputs.prefix(2)), threads: threads)
                let y = try NNMatMul.forward(ctx, biased: biased)
                let m = aShape[aShape.count - 2], k = aShape[aShape.count - 1]
                let items = y.count / (m * n)
                XCTAssertEqual(y.shape, Array(aShape.dropLast()) + [n])   // A's batch is the broadcast batch here
                let got = try y.floats()
                let bItems = bShape.count == 2 ? 1 : bShape.dropLast(2).reduce(1, *)
                for item in 0..<items {
                    let bBase = bItems == 1 ? 0 : item * k * n
                    for i in 0..<m {
                        for j in 0..<n {
                            var s = biased ? Double(bias[j]) : 0
                            for p in 0..<k { s += Double(a[item * m * k + i * k + p]) * Double(b[bBase + p * n + j]) }
                            XCTAssertEqual(Double(got[item * m * n + i * n + j]), s, accuracy: 1e-4,
                                           "A \(aShape) B \(bShape) threads \(threads) biased \(biased) [\(item)][\(i)][\(j)]")
                        }
                    }
                }
            }
        }
    }
}
