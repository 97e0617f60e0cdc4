import XCTest

/// Checks a GEMM result against the float64 product, as the SGEMM and narrow-kernel tests do:
/// C[i][j] (i < m, j < n; row stride `ldc`) must be within 1e-5·√k + 1e-6 of
/// f(start(i, j) + Σ_p a(i, p)·b(p, j)), and the padding columns n ..< ldc must still hold `c0`'s
/// values. Returns the number of entries compared with the product.
func checkGEMM(_ c: [Float], c0: [Float], m: Int, n: Int, k: Int, ldc: Int, a: (Int, Int) -> Float,
               b: (Int, Int) -> Float, start: (Int, Int) -> Double, f: (Double) -> Double = { $0 }, _ what: String,
               file: StaticString = #filePath, line: UInt = #line) -> Int {
    var checked = 0
    let tolerance = 1e-5 * Double(max(k, 1)).squareRoot() + 1e-6
    for i in 0..<m {
        for j in 0..<ldc {
            let got = c[i * ldc + j]
            guard j < n else {
                XCTAssertEqual(got, c0[i * ldc + j], "padding column written (\(what))", file: file, line: line)
                continue
            }
            var sum = start(i, j)
            for p in 0..<k { sum += Double(a(i, p)) * Double(b(p, j)) }
            XCTAssertEqual(Double(got), f(sum), accuracy: tolerance, "C[\(i)][\(j)] \(what)", file: file, line: line)
            checked += 1
        }
    }
    return checked
}
