import Graph
import Methods
import Plugins
import XCTest

/// The plugin side of the entry point (`PluginEntry.register`, compiled into each plugin): it
/// registers only when the handle's ABI and cfcam major.minor match its own, and otherwise touches
/// nothing but the handle's version fields.
final class PluginEntryTests: XCTestCase {
    struct Marker: CFCAMPlugin {
        var name: String { "marker" }
        func register(into r: PluginRegistrar) throws {
            r.register(method: MethodRegistry.Entry(name: "marker", summary: "m", kind: .layer) { _ in GradCAM() })
        }
    }

    /// Calls the entry with a handle whose versions are cfcam's own, changed by `edit`.
    func call(_ edit: (inout cfcam_plugin_handle) -> Void) -> (status: Int32, handle: cfcam_plugin_handle, registrar: PluginRegistrar) {
        let registrar = PluginRegistrar.standard()
        let slot = PluginLoadSlot(registrar: registrar, path: "in-process")
        var h = cfcam_plugin_handle(magic: CFCAM_PLUGIN_MAGIC, host_abi: UInt32(CFCAM_PLUGIN_ABI),
                                    host_version: UInt32(CFCAMVersion.major << 16 | CFCAMVersion.minor << 8 | CFCAMVersion.patch),
                                    plugin_abi: 0, plugin_version: 0, reserved: 0,
                                    registrar: Unmanaged.passUnretained(slot).toOpaque())
        edit(&h)
        let status = withExtendedLifetime(slot) { PluginEntry.register(&h, Marker()) }
        return (status, h, registrar)
    }

    func testMatchingVersionsRegister() {
        let r = call { _ in }
        XCTAssertEqual(r.status, Int32(CFCAM_PLUGIN_OK))
        XCTAssertTrue(r.registrar.registries.methods.names.contains("marker"))
        XCTAssertEqual(r.handle.plugin_abi, UInt32(CFCAM_PLUGIN_ABI))
        XCTAssertEqual(PluginLoader.versionString(r.handle.plugin_version), CFCAMVersion.string)
        // A patch release keeps the ABI.
        XCTAssertEqual(call { $0.host_version = $0.host_version &+ 1 }.status, Int32(CFCAM_PLUGIN_OK))
    }

    func testAnyMismatchTouchesNothingButTheVersionFields() {
        let edits: [(String, (inout cfcam_plugin_handle) -> Void)] = [
            ("ABI", { $0.host_abi += 1 }),
            ("minor", { $0.host_version += 1 << 8 }),
            ("major", { $0.host_version += 1 << 16 }),
        ]
        for (what, edit) in edits {
            let r = call(edit)
            XCTAssertEqual(r.status, Int32(CFCAM_PLUGIN_ABI_MISMATCH), what)
            XCTAssertFalse(r.registrar.registries.methods.names.contains("marker"), what)
            XCTAssertEqual(r.registrar.reports.map(\.name), ["builtin"], what)
            XCTAssertEqual(r.handle.plugin_abi, UInt32(CFCAM_PLUGIN_ABI), what)
            XCTAssertEqual(PluginLoader.versionString(r.handle.plugin_version), CFCAMVersion.string, what)
        }
        let noMagic = call { $0.magic = 0 }
        XCTAssertEqual(noMagic.status, Int32(CFCAM_PLUGIN_ABI_MISMATCH))
        XCTAssertFalse(noMagic.registrar.registries.methods.names.contains("marker"))
    }
}
