/// What a plugin is: a name and the registrations it makes. The built-ins are a plugin too
/// (`BuiltinPlugin`), and `Registries.standard()` loads it first.
///
/// A plugin library exports one C function that hands cfcam its plugin (see `PluginEntry`):
///
///     @_cdecl("cfcam_plugin_register")
///     public func cfcamPluginRegister(_ handle: UnsafeMutablePointer<cfcam_plugin_handle>?) -> Int32 {
///         PluginEntry.register(handle, SwishPlugin())
///     }
public protocol CFCAMPlugin {
    /// A short stable name, shown by `cfcam plugins` and in conflict reports.
    var name: String { get }
    /// Registers everything the plugin brings. Throwing refuses the whole plugin: nothing it
    /// registered stays.
    func register(into registrar: PluginRegistrar) throws
}
