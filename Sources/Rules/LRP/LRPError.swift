import Graph

/// Errors raised while computing Layer-wise Relevance Propagation; each names the node and op involved.
public enum LRPError: Error, Equatable, CustomStringConvertible {
    /// The node's op has a forward but no LRP role, and the composite assigns it no rule.
    case noRule(node: String, op: String)
    /// Relevance reaches both operands of a product (Mul, MatMul of two computed values, ...) and
    /// neither can be identified as the gate.
    case ambiguousGate(node: String, op: String, reason: String)
    /// A rule was applied to a node it cannot handle (e.g. a linear rule on a ReLU).
    case ruleMismatch(node: String, op: String, rule: String, reason: String)
    /// A rule or composite parameter is invalid (e.g. AlphaBeta with alpha - beta != 1).
    case invalidParameter(String)
    /// A seed, target or read value is malformed.
    case invalidRequest(String)

    public var description: String {
        switch self {
        case .noRule(let n, let op):
            let hint = ["Softmax", "LogSoftmax"].contains(op)
                ? "Relevance explains scores, not probabilities: start it at the \(op)'s input (the logits). " : ""
            return "node '\(n)' (\(op)) has no LRP rule: the op registers no LRP role and the composite assigns none. "
                + hint
                + "Add a Composite entry for op \(op) (`.opTypes([\"\(op)\"])`, or `.name(\"\(n)\")`, with a rule), "
                + "register an LRP role for \(op), "
                + "or use the gradient x input fallback (--method inputxgrad / LRP.gradientTimesInput)."
        case .ambiguousGate(let n, let op, let reason):
            return "node '\(n)' (\(op)): relevance reaches both operands and neither can be identified as the gate "
                + "(\(reason)). Add a Composite entry for the node naming its gate operand, "
                + "e.g. `.name(\"\(n)\")` with `GateRule(gate: 1)` (the gate receives no relevance), "
                + "or give the node another rule."
        case .ruleMismatch(let n, let op, let rule, let reason):
            return "node '\(n)' (\(op)): rule \(rule) cannot be applied: \(reason)"
        case .invalidParameter(let s): return "LRP parameter: \(s)"
        case .invalidRequest(let s): return "LRP request: \(s)"
        }
    }
}

extension LRPError: LocalizedErrorLike {}
