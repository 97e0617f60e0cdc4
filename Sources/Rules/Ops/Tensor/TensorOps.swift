/// Tensor and elementwise kernels: arithmetic, activations, comparisons, data movement, shape
/// arithmetic, generators and reductions. One entry per op family file.
public enum TensorOps {
    public static let all: [StandardOps.Registration] = [
        ArithmeticOps.register,
        SelectionOps.register,
        ActivationOps.register,
        UnaryOps.register,
        ConcatSplitOps.register,
        StridedOps.register,
        ShapeOps.register,
        GatherOps.register,
        GeneratorOps.register,
        ReduceOps.register,
        RankingOps.register,
        RearrangeOps.register,
        EinsumOps.register,
    ]
}
