import Graph
import Importers
import Methods
import Rules
import TestSupport
import XCTest

/// Shared loading and comparison for the attribution tests.
enum AttributionFixtures {
    /// squeezenet1_1_op17 with the input's height and width left free (it ends in a global average
    /// pool, so the 64 x 64 references run on the same weights).
    static func squeezenet(relaxInput: Bool) throws -> (Graph, OpRegistry) {
        let registry = standardRegistry()
        var graph = try ModelLoader.load(fixturesURL("models/squeezenet1_1_op17.onnx").path, registry: registry)
        if relaxInput {
            for i in graph.inputs.indices where graph.inputs[i].name == "input" { graph.inputs[i].shape = nil }
        }
        return (graph, registry)
    }

    static func npz(_ name: String) throws -> [String: Tensor] {
        try NPZ.read(path: fixturesURL("attrib/\(name)").path)
    }

    static func tensor(_ d: [String: Tensor], _ key: String, file: StaticString = #filePath, line: UInt = #line) throws -> Tensor {
        try XCTUnwrap(d[key], "fixtures/attrib: missing array \(key)", file: file, line: line)
    }
}


/// The issue's agreement bound per image: Pearson >= 0.999 and max |diff| <= 1e-3 · max |reference|.
/// Returns (worst Pearson, worst relative max diff) over the images for the report.
@discardableResult
func assertAgrees(_ actual: Tensor, _ expected: Tensor, _ what: String, pearsonAtLeast: Double = 0.999,
                  relative: Float = 1e-3, file: StaticString = #filePath, line: UInt = #line) -> (Double, Float) {
    XCTAssertEqual(actual.shape, expected.shape, what, file: file, line: line)
    guard actual.shape == expected.shape, let n = actual.shape.first, n > 0 else { return (0, .infinity) }
    let a = actual.floatValues(), e = expected.floatValues(), row = a.count / n
    var worstP = 1.0, worstD: Float = 0
    for b in 0..<n {
        let ra = Array(a[b * row..<(b + 1) * row]), re = Array(e[b * row..<(b + 1) * row])
        let p = pearson(ra, re)
        let scale = re.map { abs($0) }.max() ?? 0
        var d: Float = 0
        for i in ra.indices { d = max(d, abs(ra[i] - re[i])) }
        let rel = scale > 0 ? d / scale : d
        worstP = min(worstP, p); worstD = max(worstD, rel)
        XCTAssertGreaterThanOrEqual(p, pearsonAtLeast, "\(what) image \(b): Pearson", file: file, line: line)
        XCTAssertLessThanOrEqual(rel, relative, "\(what) image \(b): max |diff| \(d) vs max |ref| \(scale)", file: file, line: line)
    }
    print("[attrib] \(what): Pearson >= \(String(format: "%.6f", worstP)), max|diff|/max|ref| <= \(String(format: "%.2e", worstD))")
    return (worstP, worstD)
}
