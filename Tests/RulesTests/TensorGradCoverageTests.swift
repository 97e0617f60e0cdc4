import Graph
import Rules
import TestSupport
import XCTest

/// Every TensorOps op is either differentiable (has a VJP) or listed here as not differentiable,
/// so a new op without a VJP fails; LRP roles are as documented; and the VJPs compose through the
/// backward walker on a small graph.
final class TensorGradCoverageTests: XCTestCase {
    /// TensorOps ops with no VJP, and why. Add a new op here only if its float output has no
    /// meaningful gradient.
    static let notDifferentiable: Set<String> = [
        "Shape",            // int64 output: the shape of its input
        "ConstantOfShape",  // output depends on a shape only
        "Constant",         // no inputs
        "Range",            // shape arithmetic (start/limit/delta are scalars, usually int64)
        "Equal",            // bool output
        "Less", "Greater", "LessOrEqual", "GreaterOrEqual",  // bool output
        "Not", "And", "Or", "Xor",                          // bool inputs and output
        "ArgMax", "ArgMin",                                  // int64 positions
    ]

    /// The LRP role of every differentiable TensorOps op (nil: "no LRP rule", reported by node).
    static let roles: [String: LRPRole?] = {
        var r: [String: LRPRole?] = [:]
        for op in ["Relu", "LeakyRelu", "Elu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Erf", "Gelu", "Clip",
                   "PRelu", "Sqrt", "Exp", "Log", "Neg", "Abs", "Reciprocal", "Pow", "Softplus", "Softsign", "Mish", "Celu",
                   "Selu", "ThresholdedRelu"] { r[op] = .elementwise }
        for op in ["Add", "Sub", "Sum", "ReduceMean", "ReduceSum"] { r[op] = .sum }
        for op in ["Concat", "Split", "Slice", "Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze", "Gather",
                   "Identity", "Dropout", "Expand", "Cast", "ReduceMax", "Max", "Min", "Where", "Tile", "DepthToSpace",
                   "SpaceToDepth", "TopK", "Mod", "Ceil", "Floor", "Round", "Sign"] { r[op] = .gradient }
        r["Mul"] = .product(signals: [0, 1])
        r["Div"] = .product(signals: [0])
        r["Einsum"] = .product(signals: [0, 1])
        return r
    }()

    private func tensorRegistry() -> OpRegistry {
        var r = OpRegistry()
        for register in TensorOps.all { register(&r) }
        return r
    }

    func testEveryTensorOpHasAVJPOrIsListedNotDifferentiable() {
        let registry = tensorRegistry()
        XCTAssertGreaterThan(registry.keys.count, 40)
        for key in registry.keys {
            guard let def = registry.lookup(domain: key.domain, opType: key.opType, opset: 21) else {
                XCTFail("\(key.opType) not found at opset 21"); continue
            }
            if Self.notDifferentiable.contains(key.opType) {
                XCTAssertNil(def.vjp, "\(key.opType) is listed as not differentiable but has a VJP")
                XCTAssertNil(def.lrp, "\(key.opType) has no gradient, so no LRP role")
            } else {
                XCTAssertNotNil(def.vjp, "\(key.opType) has no VJP: add one, or list it in notDifferentiable with a reason")
            }
        }
        // The lists name only ops that exist.
        let names = Set(registry.keys.map(\.opType))
        XCTAssertTrue(Self.notDifferentiable.isSubset(of: names))
    }

    func testLRPRoles() {
        let registry = tensorRegistry()
        for key in registry.keys where !Self.notDifferentiable.contains(key.opType) {
            guard let want = Self.roles[key.opType] else { XCTFail("no expected LRP role listed for \(key.opType)"); continue }
            XCTAssertEqual(registry.lookup(domain: "", opType: key.opType, opset: 21)?.lrp, want, key.opType)
        }
    }

    /// x [2, 4] -> Split (axis 1) -> (a * w, exp b) -> Concat with x again -> ReduceSum (axis 1):
    /// the walker's gradients for x (three paths, fan-out) and w against finite differences of the
    /// whole graph.
    func testWalkerGradientsThroughSplitConcatFanOut() throws {
        let w = Tensor(unchecked: [2], floats: [0.5, -1.5])
        let graph = Graph(nodes: [
            Node(name: "split", opType: "Split", inputs: ["x"], outputs: ["a", "b"], attributes: ["axis": .int(1)]),
            Node(name: "mul", opType: "Mul", inputs: ["a", "w"], outputs: ["m"]),
            Node(name: "exp", opType: "Exp", inputs: ["b"], outputs: ["e"]),
            Node(name: "cat", opType: "Concat", inputs: ["m", "e", "x"], outputs: ["c"], attributes: ["axis": .int(-1)]),
            Node(name: "sum", opType: "ReduceSum", inputs: ["c", "axes"], outputs: ["s"], attributes: ["keepdims": .int(0)]),
        ], inputs: [ValueInfo(name: "x", shape: [.fixed(2), .fixed(4)])], outputs: [ValueInfo(name: "s", shape: nil)],
           initializers: ["w": w, "axes": .vector([Int64(1)])], opsets: ["": 21])
        let x = GradCheck.tensor([2, 4], seed: 3)
        let seed = Tensor(unchecked: [2], floats: [1, -2])
        let walker = BackwardWalker(graph: graph, registry: standardRegistry(), threads: 1)
        let got = try walker.gradients(feeds: ["x": x], seeds: ["s": seed], read: ["x", "w"])

        let exec = try Executor(graph: graph, registry: standardRegistry(), threads: 1)
        func objective(_ x: Tensor, _ w: Tensor) throws -> Double {
            var g = graph
            g.initializers["w"] = w
            let s = try Executor(graph: g, registry: exec.registry, threads: 1).run(["x": x], fetch: ["s"])["s"]
            return try GradCheck.objective([XCTUnwrap(s)], [seed])
        }
        func numeric(_ t: Tensor, _ f: (Tensor) throws -> Double) throws -> Tensor {
            let v = try t.floats(), h: Float = 1e-2
            let d = try v.indices.map { j -> Float in
                var p = v, m = v
                p[j] += h; m[j] -= h
                return Float((try f(Tensor(unchecked: t.shape, floats: p)) - f(Tensor(unchecked: t.shape, floats: m))) / (2 * Double(h)))
            }
            return Tensor(unchecked: t.shape, floats: d)
        }
        assertClose(try XCTUnwrap(got["x"]), try numeric(x) { try objective($0, w) }, rtol: 1e-2, atol: 1e-3)
        assertClose(try XCTUnwrap(got["w"]), try numeric(w) { try objective(x, $0) }, rtol: 1e-2, atol: 1e-3)
    }
}
