import Graph

/// Reports progress of long methods: `done` of `total` units (the rows evaluated: masked inputs,
/// integration steps, noisy copies).
public typealias ProgressHandler = @Sendable (_ done: Int, _ total: Int) -> Void

/// Receives warnings a method wants the user to see (e.g. a map that came out constant, and why).
public typealias WarningHandler = @Sendable (_ message: String) -> Void

/// How a method that evaluates many rows batches them: rows per forward (and backward) pass, and
/// who hears about progress.
public struct Batching: Sendable {
    public var size: Int
    public var progress: ProgressHandler?
    public init(size: Int = 32, progress: ProgressHandler? = nil) { self.size = max(1, size); self.progress = progress }
}

/// What to explain: the input batch, the target, the layers, and how perturbation methods batch.
public struct ExplainRequest: Sendable {
    /// The (normalised) input batch [N, C, H, W] (NCHW whatever the model's own layout:
    /// `ExplainModel.layout.toNCHW` converts a tensor in the model's layout).
    public var input: Tensor
    public var target: Target
    /// Layers for layer methods (CAMs); several are aggregated (docs/methods.md, "Conventions").
    /// Ignored by input methods.
    public var layers: [LayerSpec]
    /// Masked inputs (or ablated activations) evaluated per forward by perturbation methods.
    public var batchSize: Int
    /// Called as perturbation batches complete.
    public var progress: ProgressHandler?
    /// Called with warnings (nil: warnings are dropped).
    public var warn: WarningHandler?

    public init(input: Tensor, target: Target = .top1, layers: [LayerSpec] = [.auto], batchSize: Int = 32,
                progress: ProgressHandler? = nil, warn: WarningHandler? = nil) {
        self.input = input; self.target = target; self.layers = layers
        self.batchSize = batchSize; self.progress = progress; self.warn = warn
    }

    /// Batch size and progress as one value.
    public var batching: Batching { Batching(size: batchSize, progress: progress) }

    /// N, H, W of the input; throws unless it is [N, C, H, W].
    public func inputSize() throws -> (n: Int, h: Int, w: Int) {
        guard input.rank == 4, input.shape[0] > 0, input.shape[2] > 0, input.shape[3] > 0 else {
            throw ExplainError("the input must be an image batch [N, C, H, W], got \(input.shape)")
        }
        return (input.shape[0], input.shape[2], input.shape[3])
    }
}

/// An explanation method: maps one request to N maps (float32). CAM-family and attribution
/// methods return [N, H, W] in [0, 1] at the input's height x width; the relevance methods
/// (`lrp`, `clrp`, `sglrp`) the signed input relevance [N, H, W]; `gradient` the raw input
/// gradient [N, C, H, W] (`MethodRegistry.Entry.output` says which).
///
/// Every method, built in or a user's, is an entry of `MethodRegistry`.
public protocol ExplanationMethod: Sendable {
    func explain(_ request: ExplainRequest, model: ExplainModel) throws -> Tensor
}
