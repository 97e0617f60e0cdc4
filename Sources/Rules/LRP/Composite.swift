import Foundation
import Graph

/// Chooses the LRP rule for each node of a graph (zennit's composites).
///
/// Entries are (selector, rule) pairs; for each node the **last** matching entry wins, so later
/// entries override earlier ones. A node that no entry matches gets its role's default:
/// element-wise and BatchNormalization -> Pass, sum -> Norm, gradient -> the op's gradient,
/// linear -> the op's gradient (zennit leaves unmapped layers to autograd), product -> `GateRule`,
/// normalization -> `LayerNormRule`. A node whose op has no LRP role and no matching entry is an
/// error when relevance reaches it. Every chosen rule is specialised to its node
/// (`LRPRule.resolved`).
public struct Composite: Sendable {
    /// The kind of an `LRPRole`, without its parameters.
    public enum RoleKind: String, Sendable, CaseIterable {
        case linear, elementwise, sum, gradient, batchNorm, product, normalization

        public init(_ role: LRPRole) {
            switch role {
            case .linear: self = .linear
            case .elementwise: self = .elementwise
            case .sum: self = .sum
            case .gradient: self = .gradient
            case .batchNorm: self = .batchNorm
            case .product: self = .product
            case .normalization: self = .normalization
            }
        }
    }

    /// Which nodes an entry applies to.
    public indirect enum Selector: Sendable, CustomStringConvertible {
        /// Every node whose op has this LRP role.
        case role(RoleKind)
        /// Nodes of these op types (qualified: "Conv", "my.domain::Swish").
        case opTypes(Set<String>)
        /// zennit's `torch.nn.Linear`: Gemm and MatMul with the `.linear` role.
        case dense
        /// zennit's `Convolution`: Conv and ConvTranspose with the `.linear` role.
        case convolution
        /// A node by exact name.
        case name(String)
        /// Node names matching a glob (`*` any run, `?` one character).
        case glob(String)
        /// Node names matching a regular expression (whole name).
        case regex(String)
        /// Only the first node, in graph order, that `inner` matches (zennit's first-layer map).
        case first(Selector)

        public var description: String {
            switch self {
            case .role(let r): return "role \(r.rawValue)"
            case .opTypes(let s): return "ops \(s.sorted().joined(separator: ","))"
            case .dense: return "dense"
            case .convolution: return "convolution"
            case .name(let n): return "name \(n)"
            case .glob(let g): return "glob \(g)"
            case .regex(let r): return "regex \(r)"
            case .first(let s): return "first \(s)"
            }
        }
    }

    public struct Entry: Sendable {
        public var selector: Selector
        public var rule: any LRPRule
        public init(_ selector: Selector, _ rule: any LRPRule) { self.selector = selector; self.rule = rule }
    }

    public var entries: [Entry]

    public init(_ entries: [Entry] = []) { self.entries = entries }

    /// A copy with `rule` added for `selector`, overriding earlier entries.
    public func with(_ selector: Selector, _ rule: any LRPRule) -> Composite {
        var c = self; c.entries.append(Entry(selector, rule)); return c
    }

    /// The rule for every node of `graph` that an entry matches or whose op has an LRP role.
    /// Nodes missing from the result have no rule.
    public func resolve(graph: Graph, registry: OpRegistry) throws -> [String: any LRPRule] {
        let roles = graph.nodes.map { registry.lookup($0, in: graph)?.lrp }
        var matchers: [(Int, Node) throws -> Bool] = []
        for e in entries { matchers.append(try matcher(e.selector, graph: graph, roles: roles)) }
        var out: [String: any LRPRule] = [:]
        for (i, node) in graph.nodes.enumerated() {
            var chosen: (any LRPRule)? = nil
            for (k, m) in matchers.enumerated() where try m(i, node) { chosen = entries[k].rule }
            if chosen == nil, let role = roles[i] { chosen = Composite.defaultRule(for: RoleKind(role)) }
            if let chosen { out[node.name] = chosen.resolved(node: i, in: graph, registry: registry) }
        }
        return out
    }

    /// The rule a node of this role gets when no entry matches.
    public static func defaultRule(for role: RoleKind) -> any LRPRule {
        switch role {
        case .elementwise, .batchNorm: return PassRule()
        case .sum: return NormRule()
        case .gradient, .linear: return GradientRule()
        case .product: return GateRule()
        case .normalization: return LayerNormRule()
        }
    }

    private func matcher(_ sel: Selector, graph: Graph, roles: [LRPRole?]) throws -> (Int, Node) throws -> Bool {
        func isLinear(_ i: Int) -> Bool { if case .linear? = roles[i] { return true }; return false }
        switch sel {
        case .role(let k): return { i, _ in roles[i].map { RoleKind($0) == k } ?? false }
        case .opTypes(let s): return { _, n in s.contains(n.qualifiedOp) }
        case .dense: return { i, n in isLinear(i) && ["Gemm", "MatMul"].contains(n.qualifiedOp) }
        case .convolution: return { i, n in isLinear(i) && ["Conv", "ConvTranspose"].contains(n.qualifiedOp) }
        case .name(let s): return { _, n in n.name == s }
        case .glob(let g):
            let pattern = Array(g)
            return { _, n in Composite.globMatch(pattern[...], Array(n.name)[...]) }
        case .regex(let r):
            let re: NSRegularExpression
            do { re = try NSRegularExpression(pattern: r) } catch {
                throw LRPError.invalidParameter("composite: invalid regular expression '\(r)': \(error)")
            }
            return { _, n in
                let range = NSRange(n.name.startIndex..., in: n.name)
                guard let m = re.firstMatch(in: n.name, range: range) else { return false }
                return m.range == range
            }
        case .first(let inner):
            let m = try matcher(inner, graph: graph, roles: roles)
            var firstIndex: Int? = nil
            for (i, n) in graph.nodes.enumerated() where try m(i, n) { firstIndex = i; break }
            return { i, _ in i == firstIndex }
        }
    }

    /// `*` matches any run of characters, `?` exactly one.
    static func globMatch(_ p: ArraySlice<Character>, _ s: ArraySlice<Character>) -> Bool {
        var pi = p.startIndex, si = s.startIndex
        var star: Int? = nil, mark = s.startIndex
        while si < s.endIndex {
            if pi < p.endIndex, p[pi] == "?" || p[pi] == s[si] { pi += 1; si += 1 }
            else if pi < p.endIndex, p[pi] == "*" { star = pi; mark = si; pi += 1 }
            else if let st = star { pi = st + 1; mark += 1; si = mark }
            else { return false }
        }
        while pi < p.endIndex, p[pi] == "*" { pi += 1 }
        return pi == p.endIndex
    }
}
