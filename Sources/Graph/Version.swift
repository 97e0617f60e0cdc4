/// cfcam's version, recorded in run indexes and reports (and checked against plugins).
/// Semantic versioning: the major number changes when the library's public API breaks.
public enum CFCAMVersion {
    public static let major = 0
    public static let minor = 5
    public static let patch = 0
    public static var string: String { "\(major).\(minor).\(patch)" }
}
