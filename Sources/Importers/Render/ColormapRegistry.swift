/// Colormaps by name. A plain value: `standard` returns a fresh copy of the built-in set, and a
/// caller adds its own with `register` (a colormap with an existing name replaces it).
///
/// Built in: `jet` (OpenCV's COLORMAP_JET, the table `cv2.applyColorMap` and so pytorch-grad-cam's
/// `show_cam_on_image` use), `turbo`, `viridis`, `inferno` (matplotlib's 256-entry maps, rounded to
/// 8 bits — the same tables as OpenCV's COLORMAP_TURBO / COLORMAP_VIRIDIS), `bwr` (matplotlib's
/// blue-white-red, diverging: use it with `MapNormalisation.symmetric` for signed maps, so 0 is
/// white) and `grey` (entry i = (i, i, i)).
public struct ColormapRegistry: Sendable {
    private var maps: [String: Colormap] = [:]

    /// An empty registry.
    public init() {}

    /// The built-in colormaps.
    public static var standard: ColormapRegistry {
        var r = ColormapRegistry()
        for c in builtIn { r.register(c) }
        return r
    }

    /// Decoded once; the tables are generated text, checked by the tests against the goldens.
    private static let builtIn: [Colormap] = [
        ("jet", ColormapTables.jet), ("turbo", ColormapTables.turbo), ("viridis", ColormapTables.viridis),
        ("inferno", ColormapTables.inferno), ("bwr", ColormapTables.bwr), ("grey", ColormapTables.grey),
    ].compactMap { try? Colormap.fromHex(name: $0.0, $0.1) }

    /// Adds `c`, replacing a colormap of the same name.
    public mutating func register(_ c: Colormap) { maps[c.name] = c }

    /// The colormap called `named` (exact, case-sensitive); an unknown name throws an error listing
    /// the registered names.
    public func colormap(named: String) throws -> Colormap {
        guard let c = maps[named] else {
            throw RenderError("colormap", "unknown colormap '\(named)'; known: \(names.joined(separator: ", "))")
        }
        return c
    }

    /// Registered names, sorted.
    public var names: [String] { maps.keys.sorted() }
}
