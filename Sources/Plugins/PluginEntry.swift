@_exported import CFCAMPluginABI

/// The body of a plugin's C entry point. A plugin library exports exactly this:
///
///     import Plugins
///
///     @_cdecl("cfcam_plugin_register")
///     public func cfcamPluginRegister(_ handle: UnsafeMutablePointer<cfcam_plugin_handle>?) -> Int32 {
///         PluginEntry.register(handle, MyPlugin())
///     }
public enum PluginEntry {
    /// The plugin ABI and cfcam version this code was compiled against. `@_alwaysEmitIntoClient`:
    /// these are compiled into the plugin, so they are the plugin's numbers, not the running cfcam's.
    @_alwaysEmitIntoClient
    public static var compiledABI: UInt32 { UInt32(CFCAM_PLUGIN_ABI) }
    @_alwaysEmitIntoClient
    public static var compiledVersion: UInt32 {
        (UInt32(CFCAM_VERSION_MAJOR) << 16) | (UInt32(CFCAM_VERSION_MINOR) << 8) | UInt32(CFCAM_VERSION_PATCH)
    }

    /// Checks the handle's versions against the ones compiled into the plugin (this body is
    /// compiled into the plugin), then registers `plugin` through cfcam's registrar. On a
    /// mismatch it touches nothing but the handle's version fields.
    @_alwaysEmitIntoClient
    public static func register(_ handle: UnsafeMutablePointer<cfcam_plugin_handle>?,
                                _ plugin: @autoclosure () -> any CFCAMPlugin) -> Int32 {
        guard let h = handle, h.pointee.magic == CFCAM_PLUGIN_MAGIC else { return Int32(CFCAM_PLUGIN_ABI_MISMATCH) }
        h.pointee.plugin_abi = compiledABI
        h.pointee.plugin_version = compiledVersion
        guard h.pointee.host_abi == compiledABI, h.pointee.host_version >> 8 == compiledVersion >> 8 else {
            return Int32(CFCAM_PLUGIN_ABI_MISMATCH)
        }
        return registerChecked(h, plugin())
    }

    /// The part that runs in cfcam once the versions agree: registers `plugin` with the handle's
    /// registrar, keeping a thrown error's message there for the loader.
    public static func registerChecked(_ handle: UnsafeMutablePointer<cfcam_plugin_handle>, _ plugin: any CFCAMPlugin) -> Int32 {
        guard let raw = handle.pointee.registrar else { return Int32(CFCAM_PLUGIN_FAILED) }
        let slot = Unmanaged<PluginLoadSlot>.fromOpaque(raw).takeUnretainedValue()
        do {
            try slot.registrar.load(plugin, path: slot.path)
            return Int32(CFCAM_PLUGIN_OK)
        } catch {
            slot.failure = "\(error)"
            return Int32(CFCAM_PLUGIN_FAILED)
        }
    }
}

/// What the loader hands a plugin through `cfcam_plugin_handle.registrar` (public for hosts that
/// call an entry point themselves, and for tests).
public final class PluginLoadSlot {
    let registrar: PluginRegistrar
    let path: String
    var failure: String?
    public init(registrar: PluginRegistrar, path: String) { self.registrar = registrar; self.path = path }
}
