import Graph
import XCTest

/// Named tolerances for comparing against independent references.
public enum Tolerance {
    /// The conformance bound: max |diff| <= 1e-4 * max |reference|.
    public static let conformanceRelative: Float = 1e-4
}

/// Asserts `actual` matches `expected` in shape and values, with max |diff| <= atol + rtol * max|expected|.
public func assertClose(_ actual: Tensor, _ expected: Tensor, rtol: Float = 1e-5, atol: Float = 1e-6,
                        _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.shape, expected.shape, "shape \(message)", file: file, line: line)
    guard actual.shape == expected.shape else { return }
    let a = actual.floatValues(), e = expected.floatValues()
    let scale = e.map { abs($0) }.max() ?? 0
    var worst: Float = 0, at = 0
    for i in a.indices {
        let d = abs(a[i] - e[i])
        if d.isNaN || d > worst { worst = d.isNaN ? .infinity : d; at = i }
        if a[i].isNaN != e[i].isNaN { worst = .infinity; at = i }
    }
    XCTAssertLessThanOrEqual(worst, atol + rtol * scale,
        "max |diff| \(worst) at flat index \(at) (got \(a.isEmpty ? 0 : a[at]), want \(e.isEmpty ? 0 : e[at])), scale \(scale) \(message)",
        file: file, line: line)
}

/// Location of the repository's `fixtures/` folder (tests run from the package root).
public func fixturesURL(_ relative: String = "") -> URL {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.appendingPathComponent("fixtures").appendingPathComponent(relative)
}

/// Pearson correlation of two equally long vectors (1 for two constant vectors, 0 when only one is).
public func pearson(_ x: [Float], _ y: [Float]) -> Double {
    let n = Double(x.count)
    let mx = x.reduce(0.0) { $0 + Double($1) } / n, my = y.reduce(0.0) { $0 + Double($1) } / n
    var sxy = 0.0, sxx = 0.0, syy = 0.0
    for (a, b) in zip(x, y) {
        let dx = Double(a) - mx, dy = Double(b) - my
        sxy += dx * dy; sxx += dx * dx; syy += dy * dy
    }
    guard sxx > 0, syy > 0 else { return sxx == syy ? 1 : 0 }
    return sxy / (sxx * syy).squareRoot()
}
