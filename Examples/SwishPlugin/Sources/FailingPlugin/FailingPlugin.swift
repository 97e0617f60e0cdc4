import Graph
import Plugins

/// Used by cfcam's tests: registers an op, then throws. cfcam must refuse it whole (the op does
/// not stay registered) and name the plugin and the error.
@_cdecl("cfcam_plugin_register")
public func cfcamPluginRegister(_ handle: UnsafeMutablePointer<cfcam_plugin_handle>?) -> Int32 {
    PluginEntry.register(handle, FailingPlugin())
}

struct FailingPlugin: CFCAMPlugin {
    var name: String { "failing-example" }
    struct Refusal: Error, CustomStringConvertible { var description: String { "the example refuses to register (on purpose)" } }
    func register(into r: PluginRegistrar) throws {
        r.register(op: OpDefinition(domain: "my.domain", opType: "Swish") { ctx in [try ctx.input(0)] })
        throw Refusal()
    }
}
