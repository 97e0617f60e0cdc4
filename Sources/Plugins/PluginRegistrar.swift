import Graph
import Importers
import Methods
import Rules

/// One registration a plugin made, for `cfcam plugins`.
public struct PluginRegistration: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case op, composite, canonizer, method, target, importer, metric }
    public let kind: Kind
    /// The registered name ("my.domain::Swish" for ops).
    public let name: String
    /// The plugin whose entry this one replaced (`builtin` for a built-in), if any.
    public let replaced: String?
    public init(kind: Kind, name: String, replaced: String?) { self.kind = kind; self.name = name; self.replaced = replaced }
}

/// What one plugin registered.
public struct PluginReport: Sendable {
    public let name: String
    /// The library's path; nil for the built-ins.
    public let path: String?
    public let registrations: [PluginRegistration]
    /// Registrations that replaced another plugin's entry (the conflicts `cfcam plugins` reports).
    public var conflicts: [PluginRegistration] { registrations.filter { $0.replaced != nil } }
}

/// The handle a plugin registers through. It fills one `Registries` value and keeps, per plugin,
/// what was registered and what it replaced.
///
/// Conflict rule: the later registration wins. Plugins load in order (the built-ins first, then
/// `CFCAM_PLUGINS` left to right, then each `--plugin` in command-line order), so a plugin may
/// replace a built-in or an earlier plugin's entry; each such replacement is recorded as a
/// conflict naming both plugins. Within one plugin, registering a name twice is not a conflict
/// (an op registered for several opset ranges, for one).
/// A plugin whose `register` throws leaves nothing behind: the registries and records return to
/// what they were before it.
public final class PluginRegistrar: @unchecked Sendable {
    public private(set) var registries: Registries
    public private(set) var reports: [PluginReport] = []

    private var current: String?
    private var currentRecords: [PluginRegistration] = []
    /// "kind:name" -> the plugin that registered it last.
    private var owners: [String: String] = [:]

    public init(registries: Registries = Registries()) { self.registries = registries }

    /// A registrar that has loaded the built-ins (`BuiltinPlugin`), ready for plugins.
    public static func standard() -> PluginRegistrar {
        let r = PluginRegistrar()
        // The built-in plugin does not throw; a failure here would be a bug in cfcam itself.
        try? r.load(BuiltinPlugin())
        return r
    }

    /// Runs `plugin.register(into:)` as plugin `name` (default: the plugin's own), from the library at `path`.
    public func load(_ plugin: any CFCAMPlugin, path: String? = nil) throws {
        try run(name: plugin.name, path: path) { try plugin.register(into: self) }
    }

    /// Runs `body` as one plugin's registration: on a throw, everything it registered is undone.
    func run(name: String, path: String?, _ body: () throws -> Void) throws {
        if let other = reports.first(where: { $0.name == name }) {
            throw PluginError(path: path ?? name, "a plugin named '\(name)' is already loaded\(other.path.map { " (from \($0))" } ?? "")")
        }
        let saved = (registries, owners)
        current = name; currentRecords = []
        defer { current = nil }
        do {
            try body()
        } catch {
            (registries, owners) = saved
            throw error
        }
        reports.append(PluginReport(name: name, path: path, registrations: currentRecords))
    }

    private func record(_ kind: PluginRegistration.Kind, _ name: String, replacedSomething: Bool) {
        let plugin = current ?? "(unnamed)"
        let key = "\(kind.rawValue):\(name)"
        let previous = owners[key]
        owners[key] = plugin
        // An entry that was in the registries the registrar started from has no plugin to name.
        let replaced = replacedSomething && previous != plugin ? previous ?? "the initial registries" : nil
        if let i = currentRecords.firstIndex(where: { $0.kind == kind && $0.name == name }) {
            // Registered twice by this plugin: one line, keeping what the first replaced.
            let first = currentRecords[i]
            currentRecords[i] = PluginRegistration(kind: kind, name: name, replaced: first.replaced ?? replaced)
        } else {
            currentRecords.append(PluginRegistration(kind: kind, name: name, replaced: replaced))
        }
    }

    /// An op (forward, VJP, LRP role). It replaces an earlier definition whose opset range overlaps.
    public func register(op def: OpDefinition) {
        let overlaps = registries.ops.definitions(domain: def.domain, opType: def.opType).contains {
            $0.opsets.overlaps(def.opsets)
        }
        registries.ops.register(def)
        record(.op, def.domain.isEmpty ? def.opType : "\(def.domain)::\(def.opType)", replacedSomething: overlaps)
    }

    /// An LRP composite, selectable by name wherever the presets are (`composite`, `rules`).
    public func register(composite e: CompositeRegistry.Entry) {
        record(.composite, e.name, replacedSomething: registries.composites.register(e) != nil)
    }

    /// A canonizer applied before every composite walk.
    public func register(canonizer e: CompositeRegistry.CanonizerEntry) {
        record(.canonizer, e.name, replacedSomething: registries.composites.register(canonizer: e) != nil)
    }

    /// An explanation method.
    public func register(method e: MethodRegistry.Entry) {
        record(.method, e.name, replacedSomething: registries.methods.register(e) != nil)
    }

    /// A `--target` syntax.
    public func register(target e: TargetRegistry.Entry) {
        record(.target, e.name, replacedSomething: registries.targets.register(e) != nil)
    }

    /// A model importer (a file format, or a family of built-in architectures).
    public func register(importer e: ImporterRegistry.Entry) {
        record(.importer, e.name, replacedSomething: registries.importers.register(e) != nil)
    }

    /// An evaluation metric (`cfcam evaluate --metrics`).
    public func register(metric e: MetricRegistry.Entry) {
        record(.metric, e.name, replacedSomething: registries.metrics.register(e) != nil)
    }

    /// Makes importer `name` the one used when no importer claims a model.
    public func setFallbackImporter(_ name: String) { registries.importers.fallback = name }
}
