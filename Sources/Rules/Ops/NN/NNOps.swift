import Graph

/// Registrations of the neural-network kernels (convolution, GEMM, pooling, normalisation, softmax,
/// resize, pad), one per op family file.
public enum NNOps {
    public static let all: [StandardOps.Registration] = [
        NNConv.register,
        NNConvTranspose.register,
        NNGemm.register,
        NNMatMul.register,
        NNPool.register,
        NNGlobalPool.register,
        NNNormalization.register,
        NNLRN.register,
        NNSoftmax.register,
        NNResize.register,
        NNPad.register,
    ]
}
