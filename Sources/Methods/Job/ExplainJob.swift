import Foundation
import Graph

/// Several methods on one input batch, as the CLI, folder runs and evaluation use them: the model's
/// prediction is computed once (one forward), every method explains the same resolved targets, and
/// each method's map, layers and time are returned separately, so one method failing does not lose
/// the others.
///
/// The target is fixed from that one forward: `top1` becomes each image's class index (so a batch of
/// images with different top classes is explained class by class, and every method explains the
/// same class). Methods still run their own forwards (captures, perturbations); only the
/// prediction is shared.
public struct ExplainJob: Sendable {
    /// One method to run: its registry entry and the configured instance.
    public struct Step: Sendable {
        public let entry: MethodRegistry.Entry
        public let method: any ExplanationMethod
        public init(entry: MethodRegistry.Entry, method: any ExplanationMethod) { self.entry = entry; self.method = method }
        public var name: String { entry.name }
    }

    /// What one image was explained for: the target's label, its class (if any) and its score on
    /// the unperturbed input.
    public struct ExplainedTarget: Sendable, Codable, Equatable {
        public let label: String
        public let classIndex: Int?
        public let score: Float
    }

    /// The prediction shared by every method of the job.
    public struct Prediction: Sendable {
        /// The top-k classes per image (empty lists when the output is not a class vector, e.g. an embedding).
        public let top: [[Methods.Prediction]]
        /// Per image: the target actually explained.
        public let targets: [ExplainedTarget]
        /// The target to hand to methods (top-1 replaced by each image's class).
        public let target: Target
        public let seconds: Double
    }

    public struct MethodResult: Sendable {
        public let name: String
        public let map: Tensor
        /// The layers a layer method read (resolved from `auto`); empty for input methods.
        public let layers: [String]
        public let seconds: Double
    }

    public var target: Target
    public var layers: [LayerSpec]
    public var batchSize: Int
    public var topK: Int
    public var progress: ProgressHandler?
    public var warn: WarningHandler?

    public init(target: Target = .top1, layers: [LayerSpec] = [.auto], batchSize: Int = 32, topK: Int = 5,
                progress: ProgressHandler? = nil, warn: WarningHandler? = nil) {
        self.target = target; self.layers = layers; self.batchSize = batchSize; self.topK = topK
        self.progress = progress; self.warn = warn
    }

    /// One forward: top-k predictions and the targets each image is explained for.
    public func predict(_ input: Tensor, model: ExplainModel) throws -> Prediction {
        let start = DispatchTime.now()
        let outputName = model.outputName(for: target)
        let out = try model.forward(input, output: outputName)
        let probability = model.isProbability(outputName)
        let resolved = try target.resolve(outputs: out)
        let rows = try OutputRows(out)
        var targets: [ExplainedTarget] = []
        for (b, t) in resolved.enumerated() {
            let row = rows.row(b)
            targets.append(ExplainedTarget(label: t.label, classIndex: t.classIndex, score: try t.score(row)))
        }
        let isClassVector: Bool = {
            if case .similarity = target.kind { return false }
            if case .function = target.kind { return false }
            return true
        }()
        let top = isClassVector ? try Methods.Prediction.topK(out, k: topK, isProbability: probability) : resolved.map { _ in [] }
        // top-1 is fixed per image: one image at a time when the batch disagrees.
        var fixed = target
        if case .top1 = target.kind, let first = resolved.first?.classIndex, resolved.allSatisfy({ $0.classIndex == first }) {
            fixed = Target(.classIndex(first), output: target.output)
        }
        return Prediction(top: top, targets: targets, target: fixed, seconds: seconds(since: start))
    }

    /// Runs one method for the prediction's targets.
    public func explain(_ step: Step, input: Tensor, prediction: Prediction, model: ExplainModel) throws -> MethodResult {
        let start = DispatchTime.now()
        let request = ExplainRequest(input: input, target: prediction.target, layers: layers, batchSize: batchSize,
                                     progress: progress, warn: warn)
        var picked: [String] = []
        if step.entry.kind == .layer {
            picked = try LayerResolver.resolve(layers, model: model, output: model.outputName(for: prediction.target))
        }
        let map = try step.method.explain(request, model: model)
        return MethodResult(name: step.name, map: map, layers: picked, seconds: seconds(since: start))
    }

    private func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }
}
