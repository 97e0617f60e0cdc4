import ArgumentParser
import Methods
import Rules

/// `cfcam methods`: every explanation method with its summary and parameters, derived from the
/// method registry (the same list `explain --method` accepts).
struct MethodsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "methods", abstract: "List the explanation methods, their kind and parameters.")

    func run() throws {
        for e in MethodRegistry.entries {
            let params = e.parameters.isEmpty ? "" : "  [--param " + e.parameters.joined(separator: "=…, ") + "=…]"
            print("\(e.name.padding(toLength: 12, withPad: " ", startingAt: 0)) \(e.kind.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)) \(e.summary)\(params)")
        }
        let relevance: [(String, String)] = [
            ("gradient", "raw input gradient of the class score, [N, C, H, W]"),
            ("lrp", "LRP input relevance with --composite (\(Composite.Preset.allCases.map(\.rawValue).joined(separator: ", ")))"),
            ("clrp", "contrastive LRP (--contrast-mode, default clrp1_gu)"),
            ("sglrp", "softmax-gradient LRP (--contrast-mode, default sglrp_scaled)"),
        ]
        for (name, summary) in relevance where !MethodRegistry.names.contains(name) {
            print("\(name.padding(toLength: 12, withPad: " ", startingAt: 0)) input  \(summary)")
        }
    }
}
