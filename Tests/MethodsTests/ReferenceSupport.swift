import Foundation
import Graph
import Importers
import Methods
import Rules
import TestSupport
import XCTest

/// pytorch-grad-cam reference maps (fixtures/cam/generate.py) and the comparison the issue asks for:
/// per map Pearson >= 0.999 and max |diff| <= 1e-3.
struct CAMReference {
    let arrays: [String: Tensor]

    init?(_ path: URL) throws {
        guard FileManager.default.fileExists(atPath: path.path) else { return nil }
        arrays = try NPZ.read(path: path.path)
    }

    func text(_ key: String) throws -> String {
        guard let t = arrays[key] else { throw ExplainError("reference has no \(key)") }
        return String(decoding: t.intValues().map { UInt8(truncatingIfNeeded: $0) }, as: UTF8.self)
    }
    /// The map of case `name` [N, 224, 224], de-quantised from uint16.
    func map(_ name: String) throws -> MapBatch {
        guard let t = arrays["\(name).map"] else { throw ExplainError("reference has no \(name).map") }
        return try MapBatch(Tensor(unchecked: t.shape, floats: t.floatValues().map { $0 / 65535 }))
    }
    func layers(_ name: String) throws -> [LayerSpec] { try text("\(name).layers").split(separator: ",").map { .named(String($0)) } }
    func ints(_ key: String) throws -> [Int] {
        guard let t = arrays[key] else { throw ExplainError("reference has no \(key)") }
        return t.intValues()
    }
}

struct MapAgreement: CustomStringConvertible {
    let pearson: Double, maxDiff: Float
    var description: String { String(format: "pearson %.6f, max|diff| %.2e", pearson, maxDiff) }

    init(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) {
        let x = a.map(Double.init), y = b.map(Double.init)
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in x.indices { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx); syy += (y[i] - my) * (y[i] - my) }
        pearson = sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : (sxx == syy ? 1 : 0)
        maxDiff = zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }
}

/// Asserts each of the N maps agrees with the reference; returns the per-map agreement.
@discardableResult
func assertAgrees(_ got: MapBatch, _ want: MapBatch, _ what: String, file: StaticString = #filePath, line: UInt = #line) -> [MapAgreement] {
    XCTAssertEqual([got.n, got.h, got.w], [want.n, want.h, want.w], what, file: file, line: line)
    guard got.n == want.n, got.h == want.h, got.w == want.w else { return [] }
    return (0..<got.n).map { b in
        let r = MapAgreement(got.map(b), want.map(b))
        print("\(what) image \(b): \(r)")
        XCTAssertGreaterThanOrEqual(r.pearson, 0.999, "\(what) image \(b): \(r)", file: file, line: line)
        XCTAssertLessThanOrEqual(r.maxDiff, 1e-3, "\(what) image \(b): \(r)", file: file, line: line)
        return r
    }
}

/// Runs `method` as a reference case `key` describes (its layers) and compares with the stored map.
func checkReference(_ method: String, key: String, model: ExplainModel, input x: Tensor, ref: CAMReference, label: String,
                    target: Target = .top1, batchSize: Int = 32, parameters: MethodParameters = MethodParameters(),
                    file: StaticString = #filePath, line: UInt = #line) throws {
    let m = try MethodRegistry.builtin.method(named: method, parameters: parameters)
    let request = ExplainRequest(input: x, target: target, layers: try ref.layers(key), batchSize: batchSize)
    let got = try MapBatch(try m.explain(request, model: model))
    assertAgrees(got, try ref.map(key), "\(label) \(key)", file: file, line: line)
}
