/// One row of the run index: one input x one method.
public struct RunRecord: Sendable, Equatable {
    public enum Status: String, Sendable { case done, failed }

    public var image: String
    public var source: String
    public var method: String
    public var status: Status
    public var error: String?
    public var predictedClass: Int?
    public var predictedLabel: String?
    public var predictedScore: Double?
    public var target: String?
    public var targetScore: Double?
    public var layer: String?
    public var decodeSeconds: Double?
    public var preprocessSeconds: Double?
    public var methodSeconds: Double?
    public var totalSeconds: Double?
    public var rawPath: String?
    public var overlayPath: String?
    public var jsonPath: String?
    public var shard: String
    public var cfcamVersion: String

    public init(image: String, source: String, method: String, status: Status, error: String? = nil,
                predictedClass: Int? = nil, predictedLabel: String? = nil, predictedScore: Double? = nil,
                target: String? = nil, targetScore: Double? = nil, layer: String? = nil,
                decodeSeconds: Double? = nil, preprocessSeconds: Double? = nil, methodSeconds: Double? = nil,
                totalSeconds: Double? = nil, rawPath: String? = nil, overlayPath: String? = nil, jsonPath: String? = nil,
                shard: String = "", cfcamVersion: String) {
        self.image = image; self.source = source; self.method = method; self.status = status; self.error = error
        self.predictedClass = predictedClass; self.predictedLabel = predictedLabel; self.predictedScore = predictedScore
        self.target = target; self.targetScore = targetScore; self.layer = layer
        self.decodeSeconds = decodeSeconds; self.preprocessSeconds = preprocessSeconds; self.methodSeconds = methodSeconds
        self.totalSeconds = totalSeconds; self.rawPath = rawPath; self.overlayPath = overlayPath; self.jsonPath = jsonPath
        self.shard = shard; self.cfcamVersion = cfcamVersion
    }

    /// Columns in table order (the documented schema of `runs`).
    static let columns: [(name: String, type: String)] = [
        ("image", "TEXT NOT NULL"), ("method", "TEXT NOT NULL"), ("status", "TEXT NOT NULL"), ("error", "TEXT"),
        ("source", "TEXT NOT NULL"), ("predicted_class", "INTEGER"), ("predicted_label", "TEXT"), ("predicted_score", "REAL"),
        ("target", "TEXT"), ("target_score", "REAL"), ("layer", "TEXT"),
        ("decode_s", "REAL"), ("preprocess_s", "REAL"), ("method_s", "REAL"), ("total_s", "REAL"),
        ("raw_path", "TEXT"), ("overlay_path", "TEXT"), ("json_path", "TEXT"),
        ("shard", "TEXT NOT NULL"), ("cfcam_version", "TEXT NOT NULL"), ("updated_at", "TEXT NOT NULL"),
    ]

    var values: [SQLiteValue] {
        [.text(image), .text(method), .text(status.rawValue), SQLiteValue(error), .text(source),
         SQLiteValue(predictedClass), SQLiteValue(predictedLabel), SQLiteValue(predictedScore),
         SQLiteValue(target), SQLiteValue(targetScore), SQLiteValue(layer),
         SQLiteValue(decodeSeconds), SQLiteValue(preprocessSeconds), SQLiteValue(methodSeconds), SQLiteValue(totalSeconds),
         SQLiteValue(rawPath), SQLiteValue(overlayPath), SQLiteValue(jsonPath), .text(shard), .text(cfcamVersion)]
    }

    init(row r: [String: SQLiteValue]) {
        self.init(image: r["image"]?.string ?? "", source: r["source"]?.string ?? "", method: r["method"]?.string ?? "",
                  status: Status(rawValue: r["status"]?.string ?? "") ?? .failed, error: r["error"]?.string,
                  predictedClass: r["predicted_class"]?.int, predictedLabel: r["predicted_label"]?.string,
                  predictedScore: r["predicted_score"]?.double, target: r["target"]?.string, targetScore: r["target_score"]?.double,
                  layer: r["layer"]?.string, decodeSeconds: r["decode_s"]?.double, preprocessSeconds: r["preprocess_s"]?.double,
                  methodSeconds: r["method_s"]?.double, totalSeconds: r["total_s"]?.double, rawPath: r["raw_path"]?.string,
                  overlayPath: r["overlay_path"]?.string, jsonPath: r["json_path"]?.string, shard: r["shard"]?.string ?? "",
                  cfcamVersion: r["cfcam_version"]?.string ?? "")
    }
}
