import ArgumentParser
import Methods
import Plugins

/// `--method a,b,c` (comma-separated and/or repeated) with `--param`, `--composite`,
/// `--contrast-mode` and the smoothing flags, turned into the job's steps.
///
/// With several methods, a parameter goes to the methods that take it; a parameter no chosen
/// method takes is an error (so a typo is never ignored), and two chosen flags that disagree are
/// errors. Every request option (layers, batch size, progress, similarity) must apply to each method.
struct MethodSelection {
    var names: [String]
    var params: [String]
    var composite: String?
    var contrastMode: String?
    var smoothSamples: Int?
    var smoothStdev: Float?
    var augSmooth = false
    var eigenSmooth = false

    static func split(_ methods: [String]) throws -> [String] {
        let names = methods.flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        guard !names.contains(where: \.isEmpty) else { throw ValidationError("--method has an empty name in '\(methods.joined(separator: ","))'") }
        var seen = Set<String>()
        for n in names where !seen.insert(n).inserted { throw ValidationError("--method names \(n) twice") }
        return names.isEmpty ? ["gradcam"] : names
    }

    func steps(usage: MethodRegistry.RequestUsage, registries: Registries) throws -> [ExplainJob.Step] {
        let entries = try names.map { try registries.methods.entry(named: $0) }
        var given = try registries.parameters(parsing: params)
        for (flag, key, value) in [("--composite", "composite", composite), ("--contrast-mode", "contrast", contrastMode)] {
            guard let value else { continue }
            guard entries.contains(where: { $0.parameters.contains { $0.key == key } }) else {
                let takers = registries.methods.entries.filter { $0.parameters.contains { $0.key == key } }.map(\.name)
                throw ValidationError("\(flag) does not apply to \(names.joined(separator: ", ")); it sets the \(key) parameter of \(takers.joined(separator: ", "))")
            }
            if let g = given.values[key], g != value { throw ValidationError("\(flag) \(value) and --param \(key)=\(g) disagree") }
            given.values[key] = value
        }
        for key in given.values.keys.sorted() where entries.count > 1 && !entries.contains(where: { $0.parameters.contains { $0.key == key } }) {
            let takes = entries.map { e in "\(e.name) reads \(e.parameters.isEmpty ? "none" : e.parameters.map(\.key).joined(separator: ", "))" }
            throw ValidationError("no chosen method has a parameter '\(key)' (\(takes.joined(separator: "; ")))")
        }
        return try entries.map { entry in
            try entry.checkApplicable(usage)
            // One method gets every parameter (its own check names unknown keys); several get theirs.
            let p = entries.count == 1 ? given : registries.parameters(given.values.filter { kv in entry.parameters.contains { $0.key == kv.key } })
            var method = eigenSmooth ? try entry.eigenSmoothed(p) : try entry.method(p)
            if let s = smoothSamples { method = try entry.smoothed(p, samples: s, stdev: smoothStdev ?? 0.15) }
            if augSmooth { method = AugmentedMethod.wrap(method, entry: entry) }
            return ExplainJob.Step(entry: entry, method: method)
        }
    }
}
