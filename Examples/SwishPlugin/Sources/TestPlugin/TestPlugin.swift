import Foundation
import Graph
import Methods
import Plugins

/// Used by cfcam's own tests, not an example to copy. `CFCAM_TEST_PLUGIN=throw` (the default):
/// registers an op, then throws; cfcam must refuse it whole. `CFCAM_TEST_PLUGIN=conflict`:
/// registers `my.domain::Swish` and the method `absgradcam` again, so that loaded after the
/// swish-example plugin it replaces both (the conflicts `cfcam plugins` reports).
@_cdecl("cfcam_plugin_register")
public func cfcamPluginRegister(_ handle: UnsafeMutablePointer<cfcam_plugin_handle>?) -> Int32 {
    PluginEntry.register(handle, TestPlugin(mode: ProcessInfo.processInfo.environment["CFCAM_TEST_PLUGIN"] ?? "throw"))
}

struct TestPlugin: CFCAMPlugin {
    let mode: String
    var name: String { "test-\(mode)" }
    struct Refusal: Error, CustomStringConvertible { var description: String { "the test plugin refuses to register (on purpose)" } }

    func register(into r: PluginRegistrar) throws {
        let identity = OpDefinition(domain: "my.domain", opType: "Swish", lrp: .elementwise) { ctx in [try ctx.input(0)] }
        r.register(op: identity)
        guard mode == "conflict" else { throw Refusal() }
        r.register(method: MethodRegistry.Entry(name: "absgradcam", summary: "test plugin's replacement", kind: .layer) { _ in GradCAM() })
    }
}
