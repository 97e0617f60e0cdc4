import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Progress of a folder run on stderr: on a terminal one redrawn line (bar, count, rate, ETA, the
/// current input); otherwise (a log, CI, a batch job) one plain line per input, so nothing is
/// lost when output is captured.
public struct ProgressReporter {
    public let total: Int
    public private(set) var done = 0
    public private(set) var failed = 0
    let interactive: Bool
    let start = DispatchTime.now()
    let write: (String) -> Void

    public init(total: Int, interactive: Bool = isatty(2) != 0, write: @escaping (String) -> Void = { fputs($0, stderr) }) {
        self.total = total; self.interactive = interactive; self.write = write
    }

    var elapsed: Double { Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9 }

    /// The rate (inputs per second) and the remaining time, as printed.
    static func rateAndETA(done: Int, total: Int, elapsed: Double) -> String {
        guard done > 0, elapsed > 0 else { return "-- img/s, ETA --" }
        let rate = Double(done) / elapsed
        let eta = Double(total - done) / rate
        return String(format: "%.2f img/s, ETA %@", rate, duration(eta))
    }

    static func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 3600 ? String(format: "%dh%02dm", t / 3600, (t % 3600) / 60) : t >= 60 ? String(format: "%dm%02ds", t / 60, t % 60) : "\(t)s"
    }

    public mutating func step(_ key: String, failed isFailure: Bool) {
        done += 1
        if isFailure { failed += 1 }
        let stats = Self.rateAndETA(done: done, total: total, elapsed: elapsed)
        let fails = failed > 0 ? ", \(failed) failed" : ""
        if interactive {
            let width = 24, filled = total > 0 ? width * done / total : width
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            // The input last finished and its outcome, as the plain lines say it ("... 1 failed; cat.jpg ok").
            write("\r[\(bar)] \(done)/\(total) \(stats)\(fails); \(key.suffix(30)) \(isFailure ? "FAILED" : "ok")\u{1B}[K")
        } else {
            write("[\(done)/\(total)] \(key) \(isFailure ? "FAILED" : "ok") (\(stats)\(fails))\n")
        }
    }

    public func finish() {
        if interactive && done > 0 { write("\n") }
    }
}
