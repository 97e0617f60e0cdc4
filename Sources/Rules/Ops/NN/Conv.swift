import Graph

/// ONNX `Conv` (1-D and 2-D, NCHW): groups, depthwise, dilations, strides, pads / auto_pad, optional bias.
///
/// Inputs: X [N, C, spatial...], W [M, C/group, kernel...], B [M]?. The work is done by
/// `NNConvKernels` (im2col + sgemm, a plain GEMM for 1x1 stride-1 convolutions, and a direct loop
/// for depthwise convolutions). The gradient (`NNConv.vjp`, ConvGrad.swift) reuses the same
/// validated geometry.
enum NNConv {
    static func register(into r: inout OpRegistry) {
        r.register(OpDefinition(opType: "Conv", vjp: { try vjp($0) }, lrp: .linear(weight: 1, bias: 2),
                                forwardReLU: { try forward($0, activation: .relu) },
                                extensions: [FusedActivation.extensionKey: FusedActivationKernel { try forward($0, activation: $1) }]) { ctx in
            [try forward(ctx)]
        })
    }

    /// A validated convolution: raw inputs plus the 2-D problem the kernels run.
    struct Setup {
        var xShape: [Int], wShape: [Int], outShape: [Int]
        var x: [Float], w: [Float], bias: [Float]?
        var problem: NNConvKernels.Problem
    }

    /// `ctx.precision == .reference` takes the OpenBLAS path (no own SGEMM, no Winograd).
    /// `activation`: the fused Conv -> activation (`FusedActivationKernel`): ReLU in the GEMM /
    /// Winograd epilogue, any activation in the depthwise kernel's store, else one in-place pass.
    static func forward(_ ctx: OpContext, activation: FusedActivation? = nil) throws -> Tensor {
        let s = try setup(ctx)
        let out = NNConvKernels.run(s.problem, x: s.x, w: s.w, bias: s.bias, threads: ctx.threads, activation: activation,
                                    constantWeights: ctx.isConstant(1), fast: ctx.precision == .fast)
        return Tensor(unchecked: s.outShape, floats: out)
    }

    /// Reads and checks the inputs and attributes; shared by the forward pass and the gradient.
    /// In the executor's run plan the checked geometry is kept per node and input shapes
    /// (`OpContext.memo`): the attributes cannot change, and the shapes are the key.
    static func setup(_ ctx: OpContext) throws -> Setup {
        let (xs, x) = try ctx.nnFloat(0, "X")
        let (ws, w) = try ctx.nnFloat(1, "W")
        let b = try ctx.nnOptionalFloat(2, "B")
        guard let memo = ctx.memo else { return try checkedSetup(ctx, xs: xs, x: x, ws: ws, w: w, b: b) }
        let geometry = try memo.value(for: [xs, ws, b?.shape ?? [-1]]) { () throws -> Geometry in
            let s = try checkedSetup(ctx, xs: xs, x: x, ws: ws, w: w, b: b)
            return Geometry(outShape: s.outShape, problem: s.problem)
        }
        return Setup(xShape: xs, wShape: ws, outShape: geometry.outShape, x: x, w: w, bias: b?.values, problem: geometry.problem)
    }

    /// The part of `Setup` that depends only on the attributes and the input shapes.
    struct Geometry: Sendable { var outShape: [Int]; var problem: NNConvKernels.Problem }

    private static func checkedSetup(_ ctx: OpContext, xs: [Int], x: [Float], ws: [Int], w: [Float],
                                     b: (shape: [Int], values: [Float])?) throws -> Setup {
        guard xs.count >= 3 else { throw GraphError.invalidShape("Conv: input has shape \(xs), expected [N, C, spatial...]") }
        guard ws.count == xs.count else {
            throw GraphError.invalidShape("Conv: weight has shape \(ws) (rank \(ws.count)), input has rank \(xs.count)")
        }
        let group: Int = try ctx.attr("group", default: 1)
        let n = xs[0], c = xs[1], m = ws[0]
        guard group > 0, c % group == 0, m % group == 0 else {
            throw GraphError.attribute("Conv: group \(group) must divide input channels \(c) and output channels \(m)")
        }
        guard ws[1] == c / group else {
            throw GraphError.invalidShape("Conv: weight has \(ws[1]) input channels per group, input has \(c / group) (group \(group))")
        }
        let kernel = Array(ws[2...])
        if let ks = try ctx.nnInts("kernel_shape", count: kernel.count), ks != kernel {
            throw GraphError.attribute("Conv: kernel_shape \(ks) does not match weight shape \(ws)")
        }
        var bias: [Float]? = nil
        if let b {
            try NNUtil.checkVector("Conv", "bias", b.shape, count: m)
            bias = b.values
        }
        let geo = try NNWindow.resolve(ctx, input: Array(xs[2...]), kernel: kernel)
        let g2 = try geo.as2D(op: "Conv")
        try NNUtil.checkAllocatable("Conv", "output", [n, m] + geo.output)
        try NNUtil.checkAllocatable("Conv", "im2col buffer", [c / group] + kernel + geo.output)
        let problem = NNConvKernels.Problem(batch: n, inChannels: c, outChannels: m, group: group, geo: g2)
        return Setup(xShape: xs, wShape: ws, outShape: [n, m] + geo.output, x: x, w: w, bias: bias, problem: problem)
    }
}
