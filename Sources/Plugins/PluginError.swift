/// Why a plugin was refused. Every case names the plugin's path; nothing of a refused plugin stays
/// registered.
public struct PluginError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let problem: String
    public init(path: String, _ problem: String) { self.path = path; self.problem = problem }
    public var description: String { "plugin \(path): \(problem)" }
}
