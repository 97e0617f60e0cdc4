import Graph

/// How the explained output is scored: `logit` (default) explains the class scores before a final
/// Softmax, as pytorch-grad-cam and Captum users expect; `probability` explains the Softmax output.
public enum ScoreKind: String, Sendable, CaseIterable {
    case logit, probability
}

/// Which value of a graph a model's scores are read from, and why (printed by the CLI).
public struct OutputChoice: Sendable, Equatable {
    /// The value targets read.
    public var value: String
    /// The graph output it stands for.
    public var graphOutput: String
    /// The Softmax (or LogSoftmax) node that was skipped to read its input, if any.
    public var skippedSoftmax: String?
    /// Whether `value` holds probabilities (a Softmax output kept with `--score probability`).
    public var isProbability: Bool

    public var description: String {
        if let s = skippedSoftmax { return "'\(value)' (the logits: input of Softmax node '\(s)' that computes output '\(graphOutput)')" }
        return "'\(value)'" + (isProbability ? " (probabilities)" : "")
    }

    /// Chooses the output that looks like class scores.
    ///
    /// `requested` (the CLI's `--output`) must name a graph output or any other value. Otherwise,
    /// among the graph outputs: float outputs that no other float output depends on (so of
    /// `(features, logits)` the logits win, and an `ArgMax` post-processing output is never
    /// chosen), rank-2 `[N, classes]` ones first, in graph order. With `score == .logit`, a chosen
    /// output computed by a Softmax / LogSoftmax (through shape-only ops) is replaced by the
    /// Softmax's input.
    public static func choose(in graph: Graph, requested: String?, score: ScoreKind) throws -> OutputChoice {
        let producers = graph.producers()
        var picked: String
        if let r = requested {
            guard producers[r] != nil || graph.inputs.contains(where: { $0.name == r }) else {
                let outs = graph.outputs.map(\.name).joined(separator: ", ")
                throw ExplainError("--output '\(r)' is not a value of the graph '\(graph.name)' (its outputs: \(outs); cfcam inspect lists every value)")
            }
            picked = r
        } else {
            guard !graph.outputs.isEmpty else { throw ExplainError("the model '\(graph.name)' has no output") }
            let names = graph.outputs.map(\.name)
            let floats = graph.outputs.filter { $0.dtype == .float32 }
            let ancestors: [String: Set<String>] = Dictionary(uniqueKeysWithValues: floats.map { o in
                (o.name, Set(graph.nodesNeeded(for: [o.name], given: []).flatMap { graph.nodes[$0].outputs }))
            })
            // An output another float output is computed from (features before a head) is not final;
            // integer post-processing (ArgMax, decoded labels) does not count.
            let finals = floats.filter { o in !floats.contains { $0.name != o.name && ancestors[$0.name]?.contains(o.name) == true } }
            let pool = finals.isEmpty ? floats : finals
            guard let best = pool.first(where: { $0.shape?.count == 2 }) ?? pool.first else {
                throw ExplainError("the model '\(graph.name)' has no float output to explain (outputs: \(names.joined(separator: ", ")))")
            }
            picked = best.name
        }
        var choice = OutputChoice(value: picked, graphOutput: picked, skippedSoftmax: nil, isProbability: false)
        if let sm = softmaxProducer(of: picked, graph: graph, producers: producers) {
            if score == .logit, let logits = sm.inputs.first, !logits.isEmpty {
                choice.value = logits; choice.skippedSoftmax = sm.name
            } else {
                choice.isProbability = sm.opType == "Softmax"
            }
        } else if score == .probability {
            throw ExplainError("--score probability: output '\(picked)' is not computed by a Softmax; explain its raw values (--score logit) or name the probabilities with --output")
        }
        return choice
    }

    /// The Softmax / LogSoftmax node that computes `value`, looking through shape-only ops.
    static func softmaxProducer(of value: String, graph: Graph, producers: [String: Int]) -> Node? {
        var v = value
        for _ in 0..<8 {
            guard let p = producers[v] else { return nil }
            let n = graph.nodes[p]
            guard n.domain.isEmpty else { return nil }
            if n.opType == "Softmax" || n.opType == "LogSoftmax" { return n }
            guard ["Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Dropout"].contains(n.opType), let x = n.inputs.first else { return nil }
            v = x
        }
        return nil
    }
}
