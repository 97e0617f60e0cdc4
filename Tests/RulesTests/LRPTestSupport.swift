import Graph
import Rules
import TestSupport
import XCTest

/// Builds small graphs for the LRP tests.
struct LRPGraphBuilder {
    var graph = Graph(name: "lrp-test", opsets: ["": 17])

    mutating func input(_ name: String, _ shape: [Int]) {
        graph.inputs.append(ValueInfo(name: name, shape: shape.map { .fixed($0) }))
    }
    mutating func constant(_ name: String, _ t: Tensor) { graph.initializers[name] = t }
    @discardableResult
    mutating func node(_ op: String, _ inputs: [String], _ output: String, _ attrs: [String: Attribute] = [:], name: String? = nil) -> String {
        graph.nodes.append(Node(name: name ?? output, opType: op, inputs: inputs, outputs: [output], attributes: attrs))
        return output
    }
    mutating func output(_ name: String) { graph.outputs.append(ValueInfo(name: name, shape: nil)) }
}

/// Deterministic pseudo-random floats in [lo, hi) (64-bit LCG), for test data.
struct LRPRandom {
    var state: UInt64
    init(_ seed: UInt64) { state = seed &* 6364136223846793005 &+ 1442695040888963407 }
    mutating func next(_ lo: Float = -1, _ hi: Float = 1) -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return lo + (hi - lo) * Float(state >> 40) / Float(1 << 24)
    }
    mutating func tensor(_ shape: [Int], _ lo: Float = -1, _ hi: Float = 1) -> Tensor {
        Tensor(unchecked: shape, floats: (0..<Tensor.elementCount(shape)).map { _ in next(lo, hi) })
    }
}

/// A composite giving every linear node `rule` (and role defaults elsewhere).
func linearComposite(_ rule: any LRPRule) -> Composite { Composite([.init(.role(.linear), rule)]) }

/// Relevance with the standard registry and no canonizers.
func lrp(_ graph: Graph, feeds: [String: Tensor], composite: Composite, seeds: [String: Tensor], read: Set<String>,
         canonizers: [any Canonizer] = []) throws -> [String: Tensor] {
    try LRP.relevance(graph: graph, registry: standardRegistry(), feeds: feeds, composite: composite,
                      canonizers: canonizers, seeds: seeds, read: read, threads: 1)
}

func perSampleSums(_ t: Tensor) -> [Float] {
    let v = t.floatValues(), b = t.shape.first ?? 1
    let per = v.count / max(b, 1)
    return (0..<b).map { i in v[(i * per)..<((i + 1) * per)].reduce(0, +) }
}

/// Pearson correlation of two equally long arrays.
func correlation(_ a: [Float], _ b: [Float]) -> Double {
    let n = Double(a.count)
    let ma = a.reduce(0) { $0 + Double($1) } / n, mb = b.reduce(0) { $0 + Double($1) } / n
    var sab = 0.0, saa = 0.0, sbb = 0.0
    for i in a.indices {
        let da = Double(a[i]) - ma, db = Double(b[i]) - mb
        sab += da * db; saa += da * da; sbb += db * db
    }
    return sab / (saa * sbb).squareRoot()
}

/// A float tensor of `shape` (default: 1-D).
func ft(_ v: [Float], _ shape: [Int]? = nil) -> Tensor { Tensor(unchecked: shape ?? [v.count], floats: v) }
