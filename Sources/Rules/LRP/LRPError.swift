import Graph

/// Errors raised while computing Layer-wise Relevance Propagation; each names the node and op involved.
public enum LRPError: Error, Equatable, CustomStringConvertible {
    /// The node's op has a forward but no LRP role, and the composite assigns it no rule.
    case noRule(node: String, op: String)
    /// A rule was applied to a node it cannot handle (e.g. a linear rule on a ReLU).
    case ruleMismatch(node: String, op: String, rule: String, reason: String)
    /// A rule or composite parameter is invalid (e.g. AlphaBeta with alpha - beta != 1).
    case invalidParameter(String)
    /// A seed, target or read value is malformed.
    case invalidRequest(String)

    public var description: String {
        switch self {
        case .noRule(let n, let op):
            return "node '\(n)' (\(op)) has no LRP rule: the op registers no LRP role and the composite assigns none. "
                + "Assign a rule to it in the composite (by name or op type), register an LRP role for \(op), "
                + "or use the gradient x input fallback (--method inputxgrad / LRP.gradientTimesInput)."
        case .ruleMismatch(let n, let op, let rule, let reason):
            return "node '\(n)' (\(op)): rule \(rule) cannot be applied: \(reason)"
        case .invalidParameter(let s): return "LRP parameter: \(s)"
        case .invalidRequest(let s): return "LRP request: \(s)"
        }
    }
}

extension LRPError: LocalizedErrorLike {}
