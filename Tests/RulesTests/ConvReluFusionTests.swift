import Graph
import Rules
import TestSupport
import XCTest

/// The executor's Conv -> Relu fusion (`OpDefinition.forwardReLU`): taken only when the Conv's
/// output feeds nothing but one Relu and is not fetched, and equal to the two ops run apart
/// (each checked against onnxruntime in NNReferenceTests) on every convolution path.
final class ConvReluFusionTests: XCTestCase {
    /// x -> Conv(3x3, pad 1) -> c -> Relu -> y; `branch` adds z = Sigmoid(c) (a second consumer).
    private func graph(channels: Int, branch: Bool) throws -> Graph {
        let w = wave(channels * channels * 9, seed: 7, scale: 0.3), b = wave(channels, seed: 3, scale: 0.5)
        var nodes = [
            Node(name: "conv", opType: "Conv", inputs: ["x", "w", "b"], outputs: ["c"],
                 attributes: ["pads": .ints([1, 1, 1, 1])]),
            Node(name: "relu", opType: "Relu", inputs: ["c"], outputs: ["y"]),
        ]
        var outputs = [ValueInfo(name: "y", shape: nil)]
        if branch {
            nodes.append(Node(name: "sig", opType: "Sigmoid", inputs: ["c"], outputs: ["z"]))
            outputs.append(ValueInfo(name: "z", shape: nil))
        }
        var g = Graph(nodes: nodes, inputs: [ValueInfo(name: "x", shape: nil)], outputs: outputs,
                      initializers: ["w": try Tensor(shape: [channels, channels, 3, 3], floats: w),
                                     "b": try Tensor(shape: [channels], floats: b)])
        try g.sort()
        return g
    }

    private func input(batch: Int, channels: Int, size: Int, nan: Bool) throws -> Tensor {
        var v = wave(batch * channels * size * size, seed: 11, scale: 1)
        if nan { v[5] = .nan }
        return try Tensor(shape: [batch, channels, size, size], floats: v)
    }

    /// Runs the graph, returning the outputs and the op types the executor called.
    private func run(_ g: Graph, _ x: Tensor, fetch: [String]? = nil) throws -> ([String: Tensor], [String]) {
        let log = OpLog()
        var exec = try Executor(graph: g, registry: standardRegistry(), threads: 2)
        exec.nodeTimer = { node, _ in log.add(node.opType) }
        return (try exec.run(["x": x], fetch: fetch), log.ops)
    }

    func testFusedEqualsSeparateOnEveryPath() throws {
        let saved = (FastGEMM.enabled, Winograd.enabled, Winograd.minTiles)
        defer { (FastGEMM.enabled, Winograd.enabled, Winograd.minTiles) = saved }
        Winograd.minTiles = 1
        // (fast GEMM, Winograd): OpenBLAS + clamp pass, AVX-512 GEMM epilogue, Winograd epilogue.
        let paths = FastGEMM.available ? [(false, false), (true, false), (true, true)] : [(false, false)]
        for (fast, wino) in paths {
            FastGEMM.enabled = fast; Winograd.enabled = wino
            for (batch, channels, size) in [(1, 16, 12), (3, 20, 9)] {
                for nan in [false, true] {
                    let x = try input(batch: batch, channels: channels, size: size, nan: nan)
                    let before = Winograd.runs
                    let (fused, ops) = try run(try graph(channels: channels, branch: false), x)
                    XCTAssertEqual(ops, ["Conv"], "Relu must be absorbed (fast \(fast), Winograd \(wino))")
                    XCTAssertEqual(Winograd.runs - before, wino ? 1 : 0, "Winograd path taken")
                    // Fetching c keeps it, so the executor runs Conv and Relu apart.
                    let (apart, opsApart) = try run(try graph(channels: channels, branch: false), x, fetch: ["c", "y"])
                    XCTAssertEqual(opsApart, ["Conv", "Relu"])
                    let c = try XCTUnwrap(apart["c"]).floats(), y = try XCTUnwrap(fused["y"]).floats()
                    XCTAssertEqual(try XCTUnwrap(apart["y"]).floats().map(\.bitPattern), y.map(\.bitPattern))
                    for (a, b) in zip(c, y) {
                        if a.isNaN { XCTAssertTrue(b.isNaN, "NaN must survive the fused Relu") } else { XCTAssertEqual(b, max(a, 0)) }
                    }
                    if nan { XCTAssertTrue(y.contains { $0.isNaN }, "the NaN input must reach the output") }
                }
            }
        }
    }

    func testNoFusionWhenTheConvOutputHasAnotherConsumer() throws {
        let x = try input(batch: 1, channels: 16, size: 8, nan: false)
        let (out, ops) = try run(try graph(channels: 16, branch: true), x)
        XCTAssertEqual(ops.sorted(), ["Conv", "Relu", "Sigmoid"])
        let y = try XCTUnwrap(out["y"]).floats(), z = try XCTUnwrap(out["z"]).floats()
        for (a, b) in zip(y, z) {
            // z = sigmoid(c) must see the pre-ReLU values: c = logit(z), y = max(c, 0).
            let c = log(Double(b) / (1 - Double(b)))
            XCTAssertEqual(Double(a), max(c, 0), accuracy: 1e-4)
        }
        XCTAssertTrue(z.contains { $0 < 0.5 }, "some pre-ReLU values are negative")
    }
}

/// Deterministic values in [-scale, scale] (no generator state to share between tests).
private func wave(_ n: Int, seed: Int, scale: Float) -> [Float] {
    (0..<n).map { i in scale * Float(sin(Double(i &* 7919 &+ seed) * 0.37)) }
}

private final class OpLog: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ s: String) { lock.lock(); list.append(s); lock.unlock() }
    var ops: [String] { lock.lock(); defer { lock.unlock() }; return list }
}
