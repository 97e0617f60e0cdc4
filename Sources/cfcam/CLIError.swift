/// An error the CLI reports as `Error: <message>` (exit status 1).
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }

    /// Runs `body`, prefixing any error that does not already name `subject` (a file or model spec)
    /// with `subject: `, so every failure tells the user which file it is about.
    static func naming<T>(_ subject: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            let text = "\(error)"
            if text.contains(subject) { throw error }
            throw CLIError("\(subject): \(text)")
        }
    }
}
