import ArgumentParser
import Runs
#if canImport(Glibc)
import Glibc
#endif

/// `cfcam merge OUT_A OUT_B ... --into OUT`: joins the output folders of shards (`explain --shard`)
/// into one: files copied, index rows merged (`RunIndex.merge` states the conflict rule).
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge", abstract: "Join shard output folders of `explain --out-dir` into one folder and one run index.")

    @Argument(help: "Shard output folders (each holds index.sqlite).")
    var folders: [String]

    @Option(help: "The joined output folder (created when missing).")
    var into: String

    func validate() throws {
        guard !folders.isEmpty else { throw ValidationError("give the shard output folders to join") }
    }

    func run() throws {
        let summary = try RunIndex.merge(shardDirs: folders, into: into)
        print("cfcam: joined \(folders.count) folder(s) into \(into): \(summary)")
    }
}

/// `cfcam report OUT --html FILE`: one self-contained page of a folder run.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Write a self-contained HTML page of a folder run: inputs x methods, predictions, scores, failures.")

    @Argument(help: "An output folder of `explain --out-dir`.")
    var folder: String

    @Option(help: "The HTML file to write (default: FOLDER/report.html).")
    var html: String?

    func run() throws {
        let path = html ?? folder + "/report.html"
        let s = try HTMLReport.write(outDir: folder, html: path)
        print("cfcam: \(path): \(s.inputs) inputs x \(s.methods) methods, \(s.images) overlays, \(s.failures) failures")
    }
}
