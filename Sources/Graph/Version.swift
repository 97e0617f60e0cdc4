import CFCAMPluginABI

/// cfcam's version, recorded in run indexes and reports and checked against plugins. The numbers
/// live in `cfcam_plugin.h` (target CFCAMPluginABI) so that a plugin compiles in the version it was
/// built against. Semantic versioning: the major number changes when the library's public API breaks.
public enum CFCAMVersion {
    public static let major = Int(CFCAM_VERSION_MAJOR)
    public static let minor = Int(CFCAM_VERSION_MINOR)
    public static let patch = Int(CFCAM_VERSION_PATCH)
    public static var string: String { "\(major).\(minor).\(patch)" }
}
