import Graph
import Importers
import Methods
import Rules

/// Every extension point of cfcam in one value: ops (forward, VJP, LRP role), LRP composites and
/// canonizers, explanation methods, target syntaxes, model importers and evaluation metrics. Nothing here is global:
/// a caller builds one (`Registries.standard()`: the built-ins, registered through the same
/// `CFCAMPlugin` interface a plugin uses), lets plugins add to it, and passes it to what loads
/// and explains models.
public struct Registries: Sendable {
    public var ops = OpRegistry()
    public var composites = CompositeRegistry()
    public var methods = MethodRegistry()
    public var targets = TargetRegistry()
    public var importers = ImporterRegistry()
    public var metrics = MetricRegistry()

    /// Empty registries.
    public init() {}

    /// The built-ins (`BuiltinPlugin`), registered exactly as a plugin registers.
    public static func standard() -> Registries {
        PluginRegistrar.standard().registries
    }

    /// Method parameters that resolve composite names against these registries.
    public func parameters(_ values: [String: String] = [:]) -> MethodParameters {
        MethodParameters(values, composites: composites)
    }

    /// Parses `key=value` method parameters against these registries.
    public func parameters(parsing items: [String]) throws -> MethodParameters {
        try MethodParameters(parsing: items, composites: composites)
    }

    /// A configured method by name.
    public func method(named name: String, parameters: [String: String] = [:]) throws -> any ExplanationMethod {
        try methods.method(named: name, parameters: self.parameters(parameters))
    }

    /// Loads a model with these importers and checks it against these ops.
    public func loadModel(_ spec: String, weights: String? = nil, checkOps: Bool = true) throws -> Graph {
        try ModelLoader.load(spec, registry: checkOps ? ops : nil, weights: weights, importers: importers)
    }
}
