/// A matrix product that adds a bias along its last axis itself: the executor's fusion of
/// `MatMul(A, B) -> Add(·, bias)` (what PyTorch exports for every `nn.Linear` applied to a
/// sequence of tokens: ViT / DeiT attention and MLP layers, ConvNeXt's pointwise MLPs). The
/// kernel adds the bias to each block of rows right after computing it, while it is in cache,
/// instead of a separate pass over the whole product. Registered in
/// `OpDefinition.extensions[BiasedProductKernel.extensionKey]` of the product op.
public struct BiasedProductKernel: Sendable {
    /// The key of an op's biased-product kernel in `OpDefinition.extensions`.
    public static let extensionKey = "graph.biasedProduct"
    /// Computes A·B + bias from a context whose inputs are A, B and the bias (a vector with one value
    /// per column of the product).
    public typealias Forward = @Sendable (OpContext) throws -> Tensor
    public let forward: Forward
    public init(_ forward: @escaping Forward) { self.forward = forward }
}
