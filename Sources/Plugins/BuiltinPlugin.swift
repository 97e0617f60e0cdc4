import Graph
import Importers
import Methods
import Rules

/// cfcam's own ops, composites, canonizers, methods, target syntaxes, importers and metrics, registered
/// through the plugin interface like any other plugin (`Registries.standard()` loads it first).
public struct BuiltinPlugin: CFCAMPlugin {
    public init() {}
    public var name: String { "builtin" }

    public func register(into r: PluginRegistrar) throws {
        let ops = standardRegistry()
        for key in ops.keys {
            for def in ops.definitions(domain: key.domain, opType: key.opType) { r.register(op: def) }
        }
        let composites = CompositeRegistry.builtin
        for e in composites.entries { r.register(composite: e) }
        for e in composites.canonizerEntries { r.register(canonizer: e) }
        for e in BuiltinMethods.all { r.register(method: e) }
        for e in TargetRegistry.builtin.entries { r.register(target: e) }
        let importers = ImporterRegistry.builtin
        for e in importers.entries { r.register(importer: e) }
        if let f = importers.fallback { r.setFallbackImporter(f) }
        for e in MetricRegistry.builtin.entries { r.register(metric: e) }
    }
}
