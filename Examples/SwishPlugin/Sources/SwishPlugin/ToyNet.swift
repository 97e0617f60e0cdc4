import Foundation
import Graph
import Importers
import Methods

/// An importer for a toy model format, `.toynet`: a text file, one layer per line, with weights
/// drawn from a seeded generator (so a file of a few lines is a complete, reproducible model).
///
///     # comments and blank lines are ignored
///     input 3 16 16     # channels height width (height / width 0: free)
///     seed 7            # weight seed (default 0)
///     conv 8 3          # Conv to 8 channels, 3x3, "same" padding, with bias
///     swish             # my.domain::Swish (registered by this plugin)
///     relu
///     gap               # GlobalAveragePool + Flatten
///     dense 5           # Gemm to 5 outputs: "logits"
///
/// Weights are uniform in ±1/sqrt(fan-in) (PyTorch's default range) from cfcam's `SeededRandom`.
public enum ToyNet {
    public static let importer = ImporterRegistry.Entry(
        name: "toynet", summary: "a .toynet text file: layers one per line, seeded weights (swish-example plugin)",
        claims: { $0.lowercased().hasSuffix(".toynet") }
    ) { path in try load(path: path) }

    struct ParseError: Error, CustomStringConvertible {
        let path: String, line: Int, message: String
        var description: String { "\(path):\(line): \(message)" }
    }

    public static func load(path: String) throws -> Graph {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ParseError(path: path, line: 0, message: "cannot read the file as UTF-8 text")
        }
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws -> Graph {
        var input: (c: Int, h: Int, w: Int)?
        var seed: UInt64 = 0
        var layers: [(line: Int, words: [String])] = []
        for (i, raw) in text.components(separatedBy: .newlines).enumerated() {
            let words = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first
                .map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) } ?? []
            guard let head = words.first else { continue }
            let n = i + 1
            func ints(_ count: Int) throws -> [Int] {
                let v = words.dropFirst().compactMap { Int($0) }
                guard words.count == count + 1, v.count == count, v.allSatisfy({ $0 >= 0 && $0 <= 4096 }) else {
                    throw ParseError(path: path, line: n, message: "'\(head)' takes \(count) integers in 0...4096")
                }
                return v
            }
            switch head {
            case "input":
                let v = try ints(3)
                guard v[0] > 0 else { throw ParseError(path: path, line: n, message: "input needs at least one channel") }
                input = (v[0], v[1], v[2])
            case "seed": seed = UInt64(try ints(1)[0])
            case "conv", "dense":
                let v = try ints(head == "conv" ? 2 : 1)
                guard v.allSatisfy({ $0 > 0 }), head == "dense" || v[1] % 2 == 1 else {
                    throw ParseError(path: path, line: n, message: "\(head) needs positive sizes (and an odd kernel)")
                }
                layers.append((n, words))
            case "swish", "relu", "gap": _ = try ints(0); layers.append((n, words))
            default: throw ParseError(path: path, line: n, message: "unknown layer '\(head)' (input, seed, conv, swish, relu, gap, dense)")
            }
        }
        guard let input else { throw ParseError(path: path, line: 0, message: "no 'input C H W' line") }
        guard layers.last?.words.first == "dense" else { throw ParseError(path: path, line: 0, message: "the last layer must be 'dense N' (the logits)") }

        var rng = SeededRandom(seed: seed)
        var nodes: [Node] = [], initializers: [String: Tensor] = [:]
        var value = "input", channels = input.c, flat = false
        for (k, layer) in layers.enumerated() {
            let name = "\(layer.words[0])\(k)", out = k == layers.count - 1 ? "logits" : name
            switch layer.words[0] {
            case "conv":
                guard !flat else { throw ParseError(path: path, line: layer.line, message: "conv after gap") }
                let o = Int(layer.words[1]) ?? 1, kk = Int(layer.words[2]) ?? 1
                let fanIn = channels * kk * kk
                initializers["\(name).weight"] = uniform(&rng, [o, channels, kk, kk], fanIn: fanIn)
                initializers["\(name).bias"] = uniform(&rng, [o], fanIn: fanIn)
                nodes.append(Node(name: name, opType: "Conv", inputs: [value, "\(name).weight", "\(name).bias"], outputs: [out],
                                  attributes: ["kernel_shape": .ints([kk, kk]), "pads": .ints([kk / 2, kk / 2, kk / 2, kk / 2])]))
                channels = o
            case "swish": nodes.append(Node(name: name, opType: "Swish", domain: Swish.domain, inputs: [value], outputs: [out]))
            case "relu": nodes.append(Node(name: name, opType: "Relu", inputs: [value], outputs: [out]))
            case "gap":
                guard !flat else { throw ParseError(path: path, line: layer.line, message: "gap twice") }
                nodes.append(Node(name: name, opType: "GlobalAveragePool", inputs: [value], outputs: ["\(name).pooled"]))
                nodes.append(Node(name: "\(name).flatten", opType: "Flatten", inputs: ["\(name).pooled"], outputs: [out]))
                flat = true
            default:   // dense
                guard flat else { throw ParseError(path: path, line: layer.line, message: "dense needs 'gap' before it") }
                let o = Int(layer.words[1]) ?? 1
                initializers["\(name).weight"] = uniform(&rng, [o, channels], fanIn: channels)
                initializers["\(name).bias"] = uniform(&rng, [o], fanIn: channels)
                nodes.append(Node(name: name, opType: "Gemm", inputs: [value, "\(name).weight", "\(name).bias"], outputs: [out],
                                  attributes: ["transB": .int(1)]))
                channels = o
            }
            value = out
        }
        func dim(_ v: Int, _ symbol: String) -> Dim { v == 0 ? .symbol(symbol) : .fixed(v) }
        return Graph(name: (path as NSString).lastPathComponent, nodes: nodes,
                     inputs: [ValueInfo(name: "input", shape: [.symbol("N"), .fixed(input.c), dim(input.h, "H"), dim(input.w, "W")])],
                     outputs: [ValueInfo(name: "logits", shape: [.symbol("N"), .fixed(channels)])],
                     initializers: initializers, opsets: ["": 17, Swish.domain: 1])
    }

    static func uniform(_ rng: inout SeededRandom, _ shape: [Int], fanIn: Int) -> Tensor {
        let bound = 1 / Float(fanIn).squareRoot()
        let n = shape.reduce(1, *)
        return Tensor(unchecked: shape, floats: (0..<n).map { _ in Float(rng.uniform() * 2 - 1) * bound })
    }
}
