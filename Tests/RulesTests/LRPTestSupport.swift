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

/// Small networks shared by the LRP graph tests.
enum LRPNets {
    /// Bias-free dense ReLU net: x [2, 6] -> h1 -> a1 -> h2 -> a2 -> y [2, 3].
    static func dense(seed: UInt64 = 3) -> (Graph, [String: Tensor]) {
        var rng = LRPRandom(seed), b = LRPGraphBuilder()
        b.input("x", [2, 6])
        b.constant("W1", rng.tensor([6, 8])); b.constant("W2", rng.tensor([8, 5])); b.constant("W3", rng.tensor([5, 3]))
        b.node("Gemm", ["x", "W1"], "h1", name: "fc1"); b.node("Relu", ["h1"], "a1")
        b.node("Gemm", ["a1", "W2"], "h2", name: "fc2"); b.node("Relu", ["h2"], "a2")
        b.node("Gemm", ["a2", "W3"], "y", name: "fc3"); b.output("y")
        return (b.graph, ["x": rng.tensor([2, 6])])
    }

    /// Bias-free conv net with a residual Add: x [1, 2, 6, 6] -> conv1 -> r1 -> conv2 -> r2;
    /// s = r2 + r1 -> r3 -> flat -> fc -> y [1, 3].
    static func residual(seed: UInt64 = 5) -> (Graph, [String: Tensor]) {
        var rng = LRPRandom(seed), b = LRPGraphBuilder()
        let pad: [String: Attribute] = ["pads": .ints([1, 1, 1, 1])]
        b.input("x", [1, 2, 6, 6])
        b.constant("W1", rng.tensor([4, 2, 3, 3])); b.constant("W2", rng.tensor([4, 4, 3, 3], -0.5, 0.5))
        b.constant("W3", rng.tensor([144, 3]))
        b.node("Conv", ["x", "W1"], "c1", pad, name: "conv1"); b.node("Relu", ["c1"], "r1")
        b.node("Conv", ["r1", "W2"], "c2", pad, name: "conv2"); b.node("Relu", ["c2"], "r2")
        b.node("Add", ["r2", "r1"], "s", name: "add"); b.node("Relu", ["s"], "r3")
        b.node("Flatten", ["r3"], "flat"); b.node("Gemm", ["flat", "W3"], "y", name: "fc"); b.output("y")
        return (b.graph, ["x": rng.tensor([1, 2, 6, 6])])
    }

    /// Conv net with biases, BatchNorm after each conv, a strided residual with a 1x1 downsample
    /// conv, and two dense layers: x [2, 3, 8, 8] -> ... -> y [2, 4].
    static func bn(seed: UInt64 = 9) -> (Graph, [String: Tensor]) {
        var rng = LRPRandom(seed), b = LRPGraphBuilder()
        let pad: [String: Attribute] = ["pads": .ints([1, 1, 1, 1])]
        b.input("x", [2, 3, 8, 8])
        func bnParams(_ p: String, _ c: Int) {
            b.constant("\(p).g", rng.tensor([c], 0.5, 1.5)); b.constant("\(p).b", rng.tensor([c], -0.2, 0.2))
            b.constant("\(p).m", rng.tensor([c], -0.2, 0.2)); b.constant("\(p).v", rng.tensor([c], 0.5, 1.5))
        }
        b.constant("W1", rng.tensor([4, 3, 3, 3])); b.constant("B1", rng.tensor([4], -0.1, 0.1)); bnParams("bn1", 4)
        b.node("Conv", ["x", "W1", "B1"], "c1", pad, name: "conv1")
        b.node("BatchNormalization", ["c1", "bn1.g", "bn1.b", "bn1.m", "bn1.v"], "n1", name: "bn1")
        b.node("Relu", ["n1"], "r1")
        b.constant("W2", rng.tensor([4, 4, 3, 3], -0.5, 0.5)); bnParams("bn2", 4)
        b.node("Conv", ["r1", "W2"], "c2", ["pads": .ints([1, 1, 1, 1]), "strides": .ints([2, 2])], name: "conv2")
        b.node("BatchNormalization", ["c2", "bn2.g", "bn2.b", "bn2.m", "bn2.v"], "n2", name: "bn2")
        b.constant("WD", rng.tensor([4, 4, 1, 1])); bnParams("bnd", 4)
        b.node("Conv", ["r1", "WD"], "cd", ["strides": .ints([2, 2])], name: "down")
        b.node("BatchNormalization", ["cd", "bnd.g", "bnd.b", "bnd.m", "bnd.v"], "nd", name: "bnd")
        b.node("Add", ["n2", "nd"], "s", name: "add"); b.node("Relu", ["s"], "r2")
        b.node("Flatten", ["r2"], "flat")
        b.constant("W3", rng.tensor([64, 5], -0.3, 0.3)); b.constant("B3", rng.tensor([5], -0.1, 0.1))
        b.node("Gemm", ["flat", "W3", "B3"], "h", name: "fc1"); b.node("Relu", ["h"], "a")
        b.constant("W4", rng.tensor([4, 5])); b.constant("B4", rng.tensor([4], -0.1, 0.1))
        b.node("Gemm", ["a", "W4", "B4"], "y", ["transB": .int(1)], name: "fc2"); b.output("y")
        return (b.graph, ["x": rng.tensor([2, 3, 8, 8], -2, 2)])
    }

    /// The forward output `y`.
    static func logits(_ g: Graph, _ feeds: [String: Tensor]) throws -> Tensor {
        let out = try Executor(graph: g, registry: standardRegistry(), threads: 1).run(feeds, fetch: ["y"])
        guard let y = out["y"] else { throw GraphError.missingValue("y") }
        return y
    }

    /// z_c·e_c for target c in every row of `y`.
    static func logitSeed(_ y: Tensor, target c: Int) -> Tensor {
        let n = y.shape[1], v = y.floatValues()
        return Tensor(unchecked: y.shape, floats: v.indices.map { $0 % n == c ? v[$0] : 0 })
    }
}
