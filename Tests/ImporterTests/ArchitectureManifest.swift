import Foundation
import Graph
import TestSupport

/// One torchvision architecture as recorded by fixtures/npz/make_arch_manifest.py (num_classes 10,
/// forward pass on a [1, 3, 224, 224] input).
struct ArchitectureManifest {
    struct Param { var key: String; var dtype: String; var shape: [Int] }
    struct Call { var module: String; var kind: String; var shape: [Int] }
    var params: [Param] = []
    var calls: [Call] = []

    init(_ arch: String) throws {
        let text = try String(contentsOf: fixturesURL("npz/arch/\(arch).txt"), encoding: .utf8)
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            let shape = (f.count > 3 ? f[3] : "").split(separator: ",").compactMap { Int($0) }
            if f[0] == "param" { params.append(Param(key: f[1], dtype: f[2], shape: shape)) }
            else { calls.append(Call(module: f[1], kind: f[2], shape: shape)) }
        }
    }

    /// A state_dict of the recorded keys and shapes (values are irrelevant to structure tests):
    /// floats are constant, integer entries (num_batches_tracked) are int64.
    func weights() -> [String: Tensor] {
        var w: [String: Tensor] = [:]
        for p in params {
            let n = Tensor.elementCount(p.shape)
            w[p.key] = p.dtype.hasPrefix("float")
                ? Tensor(unchecked: p.shape, floats: [Float](repeating: 0.5, count: n))
                : Tensor(unchecked: p.shape, ints: [Int64](repeating: 3, count: n))
        }
        return w
    }

    /// Node name for each module call: repeated calls of one module get suffixes `_1`, `_2`, ...
    /// (torch.fx style), as the builder names them. Dropout (omitted at inference) is skipped.
    var namedCalls: [(name: String, call: Call)] {
        var seen: [String: Int] = [:]
        return calls.filter { $0.kind != "Dropout" }.map { c in
            let k = seen[c.module, default: 0]
            seen[c.module] = k + 1
            return (k == 0 ? c.module : "\(c.module)_\(k)", c)
        }
    }
}

/// Output shapes of every value from ONNX attribute semantics (an independent check of pads,
/// strides, kernel sizes and ceil_mode against the shapes torchvision produced).
func inferShapes(_ g: Graph, input: [Int]) throws -> [String: [Int]] {
    var s: [String: [Int]] = ["input": input]
    for (k, v) in g.initializers { s[k] = v.shape }
    func fail(_ n: Node, _ msg: String) -> Error { GraphError.inNode(node: n.name, op: n.opType, underlying: .invalidShape(msg)) }
    for n in g.nodes {
        guard let x = s[n.inputs[0]] else { throw fail(n, "input \(n.inputs[0]) unknown") }
        var out = x
        switch n.opType {
        case "Conv", "MaxPool", "AveragePool":
            let k: [Int] = try n.required("kernel_shape"), st: [Int] = try n.required("strides")
            let p: [Int] = try n.attr("pads", default: [0, 0, 0, 0]), ceil = try n.attr("ceil_mode", default: 0) == 1
            var channels = x[1]
            if n.opType == "Conv" {
                guard let w = s[n.inputs[1]] else { throw fail(n, "no weight") }
                let g: Int = try n.attr("group", default: 1)
                guard w[1] * g == x[1], w[2] == k[0], w[3] == k[1] else { throw fail(n, "weight \(w) vs input \(x)") }
                channels = w[0]
            }
            out = [x[0], channels]
            for a in 0..<2 {
                let span = x[2 + a] + p[a] + p[a + 2] - k[a]
                var o = (ceil ? (span + st[a] - 1) / st[a] : span / st[a]) + 1
                if ceil && (o - 1) * st[a] >= x[2 + a] + p[a] { o -= 1 } // last window must start inside
                out.append(o)
            }
        case "GlobalAveragePool": out = [x[0], x[1], 1, 1]
        case "Flatten": out = [x[0], x.dropFirst().reduce(1, *)]
        case "Gemm":
            guard let w = s[n.inputs[1]], w[1] == x[1] else { throw fail(n, "weight vs input \(x)") }
            out = [x[0], w[0]]
        case "Add":
            guard s[n.inputs[1]] == x else { throw fail(n, "operands differ") }
        case "Concat":
            let parts = n.inputs.compactMap { s[$0] }
            guard parts.count == n.inputs.count, parts.allSatisfy({ $0.count == 4 && $0[0] == x[0] && $0[2...] == x[2...] }) else {
                throw fail(n, "operands do not concatenate")
            }
            out[1] = parts.map { $0[1] }.reduce(0, +)
        case "BatchNormalization", "Relu", "Clip": break
        default: throw fail(n, "unexpected op")
        }
        s[n.outputs[0]] = out
    }
    return s
}
