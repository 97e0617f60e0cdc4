/// Every failure in the graph layer is a thrown value that says where it happened.
/// Importers and walkers wrap lower-level errors with the file, node and op involved.
public enum GraphError: Error, Equatable, CustomStringConvertible {
    case invalidShape(String)
    case dtypeMismatch(expected: DType, got: DType)
    case invalidGraph(String)
    case missingValue(String)
    case missingInput(String)
    case unsupportedOps([String: [String]])
    case attribute(String)
    case kernel(String)
    /// Context wrapper: the node (name, op type) in which `underlying` happened.
    indirect case inNode(node: String, op: String, underlying: GraphError)
    /// Context wrapper: the file being read.
    indirect case inFile(path: String, underlying: GraphError)

    public var description: String {
        switch self {
        case .invalidShape(let s): return "invalid shape: \(s)"
        case .dtypeMismatch(let e, let g): return "expected a \(e) tensor, got \(g)"
        case .invalidGraph(let s): return "invalid graph: \(s)"
        case .missingValue(let s): return "value '\(s)' is not available"
        case .missingInput(let s): return "missing graph input '\(s)'"
        case .unsupportedOps(let ops):
            let list = ops.keys.sorted().map { op in "  \(op): nodes \((ops[op] ?? []).sorted().joined(separator: ", "))" }
            return "unsupported operators (\(ops.count) op types):\n" + list.joined(separator: "\n")
                + "\nRegister a custom op for each: on the command line, load a plugin that registers it (cfcam --plugin LIB.so, or CFCAM_PLUGINS;"
                + " docs/plugins.md shows how to write one); in Swift, OpRegistry.register(OpDefinition(domain:opType:...)) before loading the model."
        case .attribute(let s): return "attribute: \(s)"
        case .kernel(let s): return s
        case .inNode(let n, let op, let u): return "node '\(n)' (\(op)): \(u)"
        case .inFile(let p, let u): return "\(p): \(u)"
        }
    }
}

extension GraphError: LocalizedErrorLike {}

/// Marker so the CLI can print `description` for every cfcam error uniformly.
public protocol LocalizedErrorLike: CustomStringConvertible {}
