/// The subset of Python literals an `.npy` header dictionary uses.
indirect enum PyLiteral: CustomStringConvertible {
    case string(String)
    case int(Int)
    case bool(Bool)
    case none
    case tuple([PyLiteral])
    case list([PyLiteral])
    case dict([(String, PyLiteral)])

    var description: String {
        switch self {
        case .string(let s): return "'\(s)'"
        case .int(let v): return "\(v)"
        case .bool(let b): return b ? "True" : "False"
        case .none: return "None"
        case .tuple(let a): return "(" + a.map(\.description).joined(separator: ", ") + (a.count == 1 ? ",)" : ")")
        case .list(let a): return "[" + a.map(\.description).joined(separator: ", ") + "]"
        case .dict(let kv): return "{" + kv.map { "'\($0.0)': \($0.1)" }.joined(separator: ", ") + "}"
        }
    }
}

/// A small recursive-descent parser for Python literals (bounded nesting depth, no evaluation).
struct PyLiteralParser {
    private let s: [UInt8]
    private var i = 0
    private static let maxDepth = 32

    init(_ bytes: [UInt8]) { s = bytes }

    /// Parses the header: one dict with string keys, then only whitespace.
    mutating func parseHeaderDict() throws(NPYFormatError) -> [String: PyLiteral] {
        let v = try value(depth: 0)
        skipSpace()
        guard i == s.count else { throw NPYFormatError("unexpected text after the header dictionary") }
        guard case .dict(let kv) = v else { throw NPYFormatError("header is not a dictionary") }
        var d: [String: PyLiteral] = [:]
        for (k, x) in kv { d[k] = x }
        return d
    }

    private mutating func skipSpace() {
        while i < s.count, s[i] == 0x20 || s[i] == 0x0A || s[i] == 0x09 || s[i] == 0x0D { i += 1 }
    }

    private func fail(_ what: String) -> NPYFormatError {
        NPYFormatError("malformed header dictionary: \(what) at offset \(i)")
    }

    private mutating func value(depth: Int) throws(NPYFormatError) -> PyLiteral {
        guard depth < PyLiteralParser.maxDepth else { throw fail("nesting too deep") }
        skipSpace()
        guard i < s.count else { throw fail("unexpected end") }
        switch s[i] {
        case UInt8(ascii: "'"), UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "("):
            let (items, trailingComma) = try sequence(close: UInt8(ascii: ")"), depth: depth)
            // "(x)" without a comma is just a parenthesised value.
            if items.count == 1 && !trailingComma { return items[0] }
            return .tuple(items)
        case UInt8(ascii: "["): return .list(try sequence(close: UInt8(ascii: "]"), depth: depth).0)
        case UInt8(ascii: "{"): return try dict(depth: depth)
        default: return try atom()
        }
    }

    private mutating func string() throws(NPYFormatError) -> String {
        let quote = s[i]; i += 1
        var out: [UInt8] = []
        while i < s.count, s[i] != quote {
            if s[i] == UInt8(ascii: "\\") { i += 1; guard i < s.count else { break } }
            out.append(s[i]); i += 1
        }
        guard i < s.count else { throw fail("unterminated string") }
        i += 1
        return String(decoding: out, as: UTF8.self)
    }

    /// Items up to `close`; also reports whether the last item was followed by a comma.
    private mutating func sequence(close: UInt8, depth: Int) throws(NPYFormatError) -> ([PyLiteral], Bool) {
        i += 1
        var items: [PyLiteral] = []
        var trailingComma = false
        while true {
            skipSpace()
            guard i < s.count else { throw fail("unterminated sequence") }
            if s[i] == close { i += 1; return (items, trailingComma) }
            items.append(try value(depth: depth + 1))
            skipSpace()
            guard i < s.count else { throw fail("unterminated sequence") }
            if s[i] == UInt8(ascii: ",") { i += 1; trailingComma = true }
            else if s[i] == close { trailingComma = false }
            else { throw fail("expected ',' or closing bracket") }
        }
    }

    private mutating func dict(depth: Int) throws(NPYFormatError) -> PyLiteral {
        i += 1
        var kv: [(String, PyLiteral)] = []
        while true {
            skipSpace()
            guard i < s.count else { throw fail("unterminated dictionary") }
            if s[i] == UInt8(ascii: "}") { i += 1; return .dict(kv) }
            guard case .string(let key) = try value(depth: depth + 1) else { throw fail("dictionary key is not a string") }
            skipSpace()
            guard i < s.count, s[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            i += 1
            kv.append((key, try value(depth: depth + 1)))
            skipSpace()
            guard i < s.count else { throw fail("unterminated dictionary") }
            if s[i] == UInt8(ascii: ",") { i += 1 } else if s[i] != UInt8(ascii: "}") { throw fail("expected ',' or '}'") }
        }
    }

    private mutating func atom() throws(NPYFormatError) -> PyLiteral {
        let start = i
        while i < s.count, let c = Optional(s[i]),
              (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "-") || c == UInt8(ascii: "_") {
            i += 1
        }
        let word = String(decoding: s[start..<i], as: UTF8.self)
        switch word {
        case "True": return .bool(true)
        case "False": return .bool(false)
        case "None": return .none
        default:
            // NumPy may write Python 2 long literals such as "3L".
            let digits = word.hasSuffix("L") ? String(word.dropLast()) : word
            guard !digits.isEmpty, let v = Int(digits) else {
                let numeric = !digits.isEmpty && digits.allSatisfy { $0.isNumber || $0 == "-" }
                throw fail(numeric ? "integer '\(digits.prefix(30))' out of range" : "unexpected token '\(word.prefix(20))'")
            }
            return .int(v)
        }
    }
}
