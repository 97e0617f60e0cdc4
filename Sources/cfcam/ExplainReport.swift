import Foundation
import Methods

/// What `explain --json` writes for one image (and what folder runs write beside each image's maps):
/// the top-k predictions with names, the target explained and its score, every method with its
/// layers, time and output files, the preprocessing and options used, and timings.
struct ExplainReport: Codable {
    struct Class: Codable {
        var `class`: Int
        var label: String?
        var score: Float
        var probability: Float
    }
    struct TargetInfo: Codable {
        var description: String
        var `class`: Int?
        var label: String?
        var score: Float
    }
    struct MethodInfo: Codable {
        var name: String
        var layers: [String]
        var seconds: Double
        var mapShape: [Int]
        var raw: String?
        var overlay: String?
        var error: String?
    }
    struct Timings: Codable {
        var decode: Double
        var preprocess: Double
        var predict: Double
        var total: Double
    }

    var cfcamVersion: String
    var image: String
    var model: String
    var explained: String
    var inputShape: [Int]
    var preprocess: String
    var predictions: [Class]
    var target: TargetInfo
    var methods: [MethodInfo]
    var options: [String: String]
    var timings: Timings
    var panel: String?

    static func classes(_ top: [Prediction], labels: [String]?) -> [Class] {
        top.map { Class(class: $0.classIndex, label: Labels.name($0.classIndex, in: labels), score: $0.score, probability: $0.probability) }
    }

    func encoded() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.keyEncodingStrategy = .convertToSnakeCase
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try e.encode(self)
    }
}

/// Class names for messages: `labels[c]` when there is such a label.
enum Labels {
    static func name(_ c: Int?, in labels: [String]?) -> String? {
        guard let c, let labels, c >= 0, c < labels.count else { return nil }
        return labels[c]
    }

    /// "282 'tiger cat'" or "282".
    static func describe(_ c: Int, in labels: [String]?) -> String {
        name(c, in: labels).map { "\(c) '\($0)'" } ?? "\(c)"
    }
}
