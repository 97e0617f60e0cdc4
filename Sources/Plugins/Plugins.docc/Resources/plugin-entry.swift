import Plugins

/// The plugin's one C entry point: cfcam calls it with a handle; `PluginEntry.register` checks the
/// versions this library was built against and registers `SwishPlugin` (docs/plugins.md).
@_cdecl("cfcam_plugin_register")
public func cfcamPluginRegister(_ handle: UnsafeMutablePointer<cfcam_plugin_handle>?) -> Int32 {
    PluginEntry.register(handle, SwishPlugin())
}

/// Everything this plugin brings, registered the way cfcam's built-ins are.
public struct SwishPlugin: CFCAMPlugin {
    public init() {}
    public var name: String { "swish-example" }

    public func register(into r: PluginRegistrar) throws {
        r.register(op: Swish.definition)
        r.register(composite: Swish.gradientComposite)
        r.register(method: AbsGradCAM.entry)
        r.register(target: SumOfClasses.entry)
        r.register(importer: ToyNet.importer)
    }
}
