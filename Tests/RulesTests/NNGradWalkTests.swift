import Graph
import Rules
import XCTest

/// The NN VJPs composed by `BackwardWalker.gradients` on a small conv net
/// (Conv -> BatchNormalization -> MaxPool -> depthwise Conv -> GlobalAveragePool -> 1x1 Conv as
/// the classifier), checked against finite differences of the whole graph (every 5th element).
final class NNGradWalkTests: XCTestCase {
    func testSmallNetGradientMatchesFiniteDifferences() throws {
        var rng = NNGradRandom(91)
        let pos = rng.floats(4).map { abs($0) + 0.5 }
        let inits: [String: Tensor] = [
            "w1": rng.tensor([4, 2, 3, 3]), "b1": rng.tensor([4]),
            "s": rng.tensor([4]), "bb": rng.tensor([4]), "m": rng.tensor([4]), "v": Tensor(unchecked: [4], floats: pos),
            "w2": rng.tensor([4, 1, 3, 3]),
            "fc": rng.tensor([3, 4, 1, 1]), "fcb": rng.tensor([3]),
        ]
        let nodes = [
            Node(name: "conv", opType: "Conv", inputs: ["x", "w1", "b1"], outputs: ["c1"], attributes: ["pads": .ints([1, 1, 1, 1])]),
            Node(name: "bn", opType: "BatchNormalization", inputs: ["c1", "s", "bb", "m", "v"], outputs: ["n1"]),
            Node(name: "pool", opType: "MaxPool", inputs: ["n1"], outputs: ["p1"],
                 attributes: ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])]),
            Node(name: "dw", opType: "Conv", inputs: ["p1", "w2"], outputs: ["c2"], attributes: ["group": .int(4), "pads": .ints([1, 1, 1, 1])]),
            Node(name: "gap", opType: "GlobalAveragePool", inputs: ["c2"], outputs: ["g"]),
            Node(name: "fc", opType: "Conv", inputs: ["g", "fc", "fcb"], outputs: ["y"]),
        ]
        let graph = Graph(nodes: nodes, inputs: [ValueInfo(name: "x", shape: nil)], outputs: [ValueInfo(name: "y", shape: nil)],
                          initializers: inits)
        let registry = standardRegistry()
        let x = rng.tensor([1, 2, 6, 6])
        let seed = rng.tensor([1, 3, 1, 1])
        let walker = BackwardWalker(graph: graph, registry: registry, threads: 2)
        let grads = try walker.gradients(feeds: ["x": x], seeds: ["y": seed], read: ["x", "w1"])
        func objective(_ feeds: [String: Tensor], w1: Tensor) throws -> Double {
            var g = graph; g.initializers["w1"] = w1
            let y = try Executor(graph: g, registry: registry, threads: 1).run(feeds, fetch: ["y"])["y"]?.floats() ?? []
            return zip(y, try seed.floats()).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        let h: Float = 1e-3
        let w1 = try XCTUnwrap(inits["w1"])
        for (name, base) in [("x", x), ("w1", w1)] {
            let analytic = try XCTUnwrap(grads[name]).floats()
            let v = try base.floats()
            let scale = analytic.map { abs($0) }.max() ?? 0
            for j in stride(from: 0, to: v.count, by: 5) {
                var p = v, m = v
                p[j] += h; m[j] -= h
                let tp = try Tensor(shape: base.shape, floats: p), tm = try Tensor(shape: base.shape, floats: m)
                let num = name == "x"
                    ? (try objective(["x": tp], w1: w1) - objective(["x": tm], w1: w1)) / Double(2 * h)
                    : (try objective(["x": x], w1: tp) - objective(["x": x], w1: tm)) / Double(2 * h)
                XCTAssertEqual(Float(num), analytic[j], accuracy: 2e-2 * scale + 1e-4, "d/d\(name)[\(j)]")
            }
        }
    }
}
