import Graph

/// Reports progress of long methods: `done` of `total` units (forwards for perturbation methods).
public typealias ProgressHandler = @Sendable (_ done: Int, _ total: Int) -> Void

/// What to explain: the input batch, the target, the layers, and how perturbation methods batch.
public struct ExplainRequest: Sendable {
    /// The (normalised) input batch [N, C, H, W].
    public var input: Tensor
    public var target: Target
    /// Layers for layer methods (CAMs); several are aggregated (spec §1.3). Ignored by input methods.
    public var layers: [LayerSpec]
    /// Masked inputs (or ablated activations) evaluated per forward by perturbation methods.
    public var batchSize: Int
    /// Called as perturbation batches complete.
    public var progress: ProgressHandler?

    public init(input: Tensor, target: Target = .top1, layers: [LayerSpec] = [.auto], batchSize: Int = 32,
                progress: ProgressHandler? = nil) {
        self.input = input; self.target = target; self.layers = layers
        self.batchSize = batchSize; self.progress = progress
    }

    /// N, H, W of the input; throws unless it is [N, C, H, W].
    public func inputSize() throws -> (n: Int, h: Int, w: Int) {
        guard input.rank == 4, input.shape[0] > 0, input.shape[2] > 0, input.shape[3] > 0 else {
            throw ExplainError("the input must be an image batch [N, C, H, W], got \(input.shape)")
        }
        return (input.shape[0], input.shape[2], input.shape[3])
    }
}

/// An explanation method: maps one request to N maps [N, H, W] (float32; CAM methods return
/// them normalised to [0, 1] at the input's height x width).
///
/// Built-in methods are listed in `BuiltinMethod`; `MethodRegistry.register` adds others.
public protocol ExplanationMethod: Sendable {
    func explain(_ request: ExplainRequest, model: ExplainModel) throws -> Tensor
}
