import Foundation
import Graph

/// Loads plugin libraries (built with SwiftPM against the CFCAMKit product, or any shared library
/// exporting `cfcam_plugin_register`) into a `PluginRegistrar`.
///
/// Only the paths given are opened (a bare file name is taken relative to the working directory,
/// never searched for on the library path). Each path is refused with a `PluginError` naming it
/// when it is missing, not a loadable library, lacks the entry point, was built against another
/// plugin ABI or cfcam major.minor (both versions named), throws while registering, or was already
/// loaded. A refused plugin leaves nothing registered.
///
/// Swift plugins share cfcam's types with the running program: the `cfcam` executable exports its
/// symbols (linked with `--export-dynamic`), so the plugin's references to Graph, Rules, Methods
/// and the rest bind to the program's own copies. A program of your own that loads plugins must be
/// linked the same way.
public enum PluginLoader {
    /// The packed version the handle carries, as "major.minor.patch".
    public static func versionString(_ packed: UInt32) -> String {
        "\(packed >> 16).\((packed >> 8) & 0xff).\(packed & 0xff)"
    }

    /// The paths of `CFCAM_PLUGINS` (separated by ':'), empty entries skipped.
    public static func paths(fromEnvironment value: String?) -> [String] {
        (value ?? "").split(separator: ":").map(String.init).filter { !$0.isEmpty }
    }

    /// Loads each path in order; stops at the first refusal (nothing of that plugin stays).
    public static func load(_ paths: [String], into registrar: PluginRegistrar) throws {
        var seen = Set<String>()
        for p in paths {
            let absolute = absolutePath(p)
            let key = (try? FileManager.default.destinationOfSymbolicLink(atPath: absolute)) ?? absolute
            guard seen.insert(URL(fileURLWithPath: key).standardizedFileURL.path).inserted else {
                throw PluginError(path: p, "is given twice; a plugin loads once")
            }
            try load(p, into: registrar)
        }
    }

    /// Loads one plugin library.
    public static func load(_ path: String, into registrar: PluginRegistrar) throws {
        let absolute = absolutePath(path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory) else {
            throw PluginError(path: path, "no such file")
        }
        guard !isDirectory.boolValue else { throw PluginError(path: path, "is a directory, not a shared library") }
        guard FileManager.default.isReadableFile(atPath: absolute) else { throw PluginError(path: path, "is not readable") }
        guard let library = dlopen(absolute, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            throw PluginError(path: path, "is not a loadable shared library (\(reason))")
        }
        // A library, once opened, stays open: a Swift image registers its metadata with the runtime
        // when it is mapped, and unmapping it could leave that dangling.
        guard let symbol = dlsym(library, "cfcam_plugin_register") else {
            throw PluginError(path: path, "has no entry point cfcam_plugin_register: not a cfcam plugin (docs/plugins.md shows how to write one)")
        }
        let entry = unsafeBitCast(symbol, to: cfcam_plugin_register_fn.self)
        let slot = PluginLoadSlot(registrar: registrar, path: path)
        let hostABI = UInt32(CFCAM_PLUGIN_ABI)
        let hostVersion = UInt32(CFCAMVersion.major << 16 | CFCAMVersion.minor << 8 | CFCAMVersion.patch)
        var handle = cfcam_plugin_handle(magic: CFCAM_PLUGIN_MAGIC, host_abi: hostABI, host_version: hostVersion,
                                         plugin_abi: 0, plugin_version: 0, reserved: 0,
                                         registrar: Unmanaged.passUnretained(slot).toOpaque())
        let reportsBefore = registrar.reports.count
        let status = withExtendedLifetime(slot) { entry(&handle) }
        switch status {
        case Int32(CFCAM_PLUGIN_OK):
            if registrar.reports.count == reportsBefore {
                throw PluginError(path: path, "returned success without registering through its handle (does it call PluginEntry.register?)")
            }
        case Int32(CFCAM_PLUGIN_ABI_MISMATCH):
            throw PluginError(path: path, "was built against cfcam \(versionString(handle.plugin_version)) (plugin ABI \(handle.plugin_abi)); "
                              + "this is cfcam \(CFCAMVersion.string) (plugin ABI \(hostABI)): rebuild the plugin against cfcam \(CFCAMVersion.major).\(CFCAMVersion.minor)")
        case Int32(CFCAM_PLUGIN_FAILED):
            throw PluginError(path: path, "failed while registering: \(slot.failure ?? "no message")")
        default:
            throw PluginError(path: path, "returned an unknown status \(status) from cfcam_plugin_register")
        }
    }

    static func absolutePath(_ p: String) -> String {
        p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p
    }
}
