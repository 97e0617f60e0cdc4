/// What an operator does, registered under (domain, op type, opset range).
///
/// Built-in ops (in the Rules module) register themselves exactly the way a user's custom op does:
/// build an `OpDefinition` and call `OpRegistry.register`. Later issues add the VJP and LRP
/// behaviour to the same definition.
public struct OpDefinition: Sendable {
    public typealias Forward = @Sendable (OpContext) throws -> [Tensor]
    /// Vector-Jacobian product: the gradient with respect to each input (nil where the input is
    /// not differentiable or `ctx.needs[i]` is false), given the gradients of the outputs.
    public typealias VJP = @Sendable (BackwardContext) throws -> [Tensor?]

    public var domain: String
    public var opType: String
    /// Opset versions (of `domain`) this definition covers.
    public var opsets: ClosedRange<Int>
    public var forward: Forward
    /// Gradient of the op; nil for ops that are not differentiable (shape arithmetic).
    public var vjp: VJP?
    /// How Layer-wise Relevance Propagation treats the op; nil means "no LRP rule": asking for
    /// relevance through such a node is an error naming it.
    public var lrp: LRPRole?
    /// Optional in-place form for element-wise ops: overwrite input 0 (passed as `inout`; the
    /// context's input 0 is nil) with the output. Returns false when it can't (e.g. the output
    /// shape differs); the executor then calls `forward`. Used only when input 0 is at its last use,
    /// so the buffer is reused instead of allocating a new one.
    public typealias InPlace = @Sendable (inout Tensor, OpContext) throws -> Bool
    public var inPlace: InPlace?
    /// Optional fused form `max(0, forward(ctx))` for single-output ops, computed in one pass
    /// (Conv applies it in its GEMM / Winograd epilogue). The executor uses it when the op's output
    /// feeds exactly one node, a `Relu`, and is not itself fetched or fed; the Relu then does not run.
    public typealias ForwardReLU = @Sendable (OpContext) throws -> Tensor
    public var forwardReLU: ForwardReLU?
    /// Extra behaviour attached by other layers, keyed by a layer's own name.
    public var extensions: [String: any Sendable]

    public init(domain: String = "", opType: String, opsets: ClosedRange<Int> = 1...Int.max,
                vjp: VJP? = nil, lrp: LRPRole? = nil, inPlace: InPlace? = nil, forwardReLU: ForwardReLU? = nil,
                extensions: [String: any Sendable] = [:], forward: @escaping Forward) {
        self.domain = OpRegistry.canonicalDomain(domain); self.opType = opType; self.opsets = opsets
        self.forward = forward; self.vjp = vjp; self.lrp = lrp; self.inPlace = inPlace; self.extensions = extensions
        self.forwardReLU = forwardReLU
    }
}

/// The part an op plays in LRP (zennit's layer types). Rules are chosen per node by a composite;
/// the role says which rules make sense and which inputs are data and parameters.
public enum LRPRole: Sendable, Equatable {
    /// A linear layer z = W·x + b: Conv, ConvTranspose, Gemm, MatMul with constant weights.
    /// Input 0 is the data; `weight` and `bias` index the parameter inputs.
    case linear(weight: Int, bias: Int?)
    /// Element-wise activation (ReLU, GELU, ...): relevance passes unchanged (zennit `Pass`).
    case elementwise
    /// A sum or average of its inputs (residual Add, Sum, AveragePool, GlobalAveragePool):
    /// relevance splits in proportion to each contribution (zennit `Norm`).
    case sum
    /// Routing ops (MaxPool, Reshape, Flatten, Transpose, Concat, Split, Slice, Pad, Gather,
    /// Squeeze, Identity, Dropout): relevance follows the true gradient, without loss.
    case gradient
    /// BatchNormalization: folded into the preceding linear layer by the canonizer, else `Pass`.
    case batchNorm
    /// A product that is linear in each operand while the other is held fixed (Mul; Div, linear
    /// in its numerator). One operand is the signal and receives relevance; the other acts as a
    /// constant gate (a sigmoid or softmax gate, a constant scale, the divisor). `signals` lists
    /// the operands that may be the signal: [0, 1] for Mul, [0] for Div.
    case product(signals: [Int])
    /// LayerNormalization / InstanceNormalization: y = (x − mean(x)) · γ / σ(x) + β. Relevance
    /// follows the map with the statistic σ held constant (a linear map of x).
    case normalization
}

/// How exactly kernels compute, carried by `Executor`, `BackwardWalker` and every `OpContext` /
/// `BackwardContext` they build.
///
/// - `fast` (the default for inference and perturbation forwards): the quickest paths. Conv runs
///   on cfcam's own AVX-512 SGEMM and, for 3x3 stride-1 layers with graph weights, on Winograd
///   F(4x4, 3x3); results differ from exact float32 convolution by a few ulps of the largest
///   partial sums (Winograd: ~1e-6..1e-5 relative).
/// - `reference`: outputs as close to the exact result as float32 can hold. Conv accumulates
///   im2col products in float64 (OpenBLAS dgemm) and rounds once. Explanation walks that divide
///   by forward values use it (LRP's forwards and its modified-weight forwards, `LRPExplainer`):
///   the rules' ratios `R / z` amplify the fast paths' rounding where `z` is small. VGG16-BN,
///   epsilon-plus-flat, against float64 zennit on the same weights: 5.0e-4 of the map's max
///   with `.fast` (Winograd), 3.1e-7 with `.reference`; the LRP walk takes 3.9 s instead of
///   2.5 s (release, 2 threads).
///
/// Kernels without a faster, less exact path ignore it.
public enum ComputePrecision: String, Sendable, CaseIterable {
    case fast, reference
}

/// What a VJP sees: the node, its forward inputs and outputs, and the output gradients.
public struct BackwardContext: Sendable {
    public let node: Node
    public let inputs: [Tensor?]
    public let outputs: [Tensor]
    /// Gradient of the objective with respect to each output (zeros where none flows).
    public let outputGrads: [Tensor]
    /// Which input gradients the walk needs.
    public let needs: [Bool]
    public let threads: Int
    public let opset: Int
    /// The arithmetic of forwards re-run from this context (`forwardContext`).
    public let precision: ComputePrecision

    public init(node: Node, inputs: [Tensor?], outputs: [Tensor], outputGrads: [Tensor], needs: [Bool],
                threads: Int = 1, opset: Int = 17, precision: ComputePrecision = .fast) {
        self.node = node; self.inputs = inputs; self.outputs = outputs; self.outputGrads = outputGrads
        self.needs = needs; self.threads = threads; self.opset = opset; self.precision = precision
    }

    /// The same context with other inputs, outputs, output gradients or needs (rules that re-run
    /// the op's VJP on modified tensors).
    public func with(inputs: [Tensor?]? = nil, outputs: [Tensor]? = nil, outputGrads: [Tensor]? = nil,
                     needs: [Bool]? = nil) -> BackwardContext {
        BackwardContext(node: node, inputs: inputs ?? self.inputs, outputs: outputs ?? self.outputs,
                        outputGrads: outputGrads ?? self.outputGrads, needs: needs ?? self.needs,
                        threads: threads, opset: opset, precision: precision)
    }

    public func input(_ i: Int) throws -> Tensor {
        guard i < inputs.count, let t = inputs[i] else { throw GraphError.kernel("required input #\(i) is missing") }
        return t
    }
    @inlinable public func attr<T: AttributeValue>(_ key: String, default def: T) throws -> T { try node.attr(key, default: def) }
    @inlinable public func attr<T: AttributeValue>(_ key: String) throws -> T? { try node.attr(key) }
    /// The forward context of the same node (to re-run the op, e.g. with modified inputs).
    public func forwardContext(inputs: [Tensor?]? = nil) -> OpContext {
        OpContext(node: node, inputs: inputs ?? self.inputs, threads: threads, opset: opset, precision: precision)
    }
}

/// What a kernel sees: the node (attributes, names) and its input tensors.
public struct OpContext: Sendable {
    public let node: Node
    /// One entry per node input; nil where an optional input was not given.
    public let inputs: [Tensor?]
    /// Threads the kernel may use.
    public let threads: Int
    /// Opset version of the node's domain in the graph being run.
    public let opset: Int
    /// Per input: true when it is one of the graph's initializers (weights), the same array on every
    /// run, so a kernel may cache work derived from it (Conv's Winograd weights). Empty when
    /// unknown (re-runs with modified inputs, as in LRP rules): treat every input as one-off.
    public let constants: [Bool]
    /// Which arithmetic the kernel should use (see `ComputePrecision`).
    public let precision: ComputePrecision
    /// The node's memo in the executor's run plan (nil elsewhere): see `OpMemo`.
    public let memo: OpMemo?

    public init(node: Node, inputs: [Tensor?], threads: Int = 1, opset: Int = 17, constants: [Bool] = [],
                precision: ComputePrecision = .fast, memo: OpMemo? = nil) {
        self.node = node; self.inputs = inputs; self.threads = threads; self.opset = opset; self.constants = constants
        self.precision = precision; self.memo = memo
    }

    /// Whether input `i` is a graph initializer (see `constants`).
    public func isConstant(_ i: Int) -> Bool { i < constants.count && constants[i] }

    /// Input `i`, which must be present.
    public func input(_ i: Int) throws -> Tensor {
        guard i < inputs.count, let t = inputs[i] else {
            throw GraphError.kernel("required input #\(i) is missing")
        }
        return t
    }
    /// Input `i`, or nil when absent or not given.
    public func optionalInput(_ i: Int) -> Tensor? { i < inputs.count ? inputs[i] : nil }

    @inlinable public func attr<T: AttributeValue>(_ key: String, default def: T) throws -> T { try node.attr(key, default: def) }
    @inlinable public func attr<T: AttributeValue>(_ key: String) throws -> T? { try node.attr(key) }
}

/// The table of op definitions the walkers consult. A value, not a global: tests and plugins build
/// their own, starting from `Rules.standardRegistry()` and adding or overriding entries.
public struct OpRegistry: Sendable {
    public struct Key: Hashable, Sendable { public var domain: String; public var opType: String }
    private var table: [Key: [OpDefinition]] = [:]

    public init() {}

    /// "ai.onnx" and "" are the same domain.
    public static func canonicalDomain(_ d: String) -> String { d == "ai.onnx" ? "" : d }

    /// Adds `def`; a later registration for an overlapping opset range wins (this is how a user
    /// overrides a built-in op).
    public mutating func register(_ def: OpDefinition) {
        table[Key(domain: def.domain, opType: def.opType), default: []].append(def)
    }

    /// Every definition registered for (domain, op type), in registration order.
    public func definitions(domain: String, opType: String) -> [OpDefinition] {
        table[Key(domain: OpRegistry.canonicalDomain(domain), opType: opType)] ?? []
    }

    /// The definition for an op at an opset, or nil.
    public func lookup(domain: String, opType: String, opset: Int) -> OpDefinition? {
        table[Key(domain: OpRegistry.canonicalDomain(domain), opType: opType)]?.last { $0.opsets.contains(opset) }
    }

    public func lookup(_ node: Node, in graph: Graph) -> OpDefinition? {
        lookup(domain: node.domain, opType: node.opType, opset: graph.opset(of: node.domain))
    }

    /// Every registered (domain, op type), sorted, for `inspect` and docs.
    public var keys: [Key] { table.keys.sorted { ($0.domain, $0.opType) < ($1.domain, $1.opType) } }

    /// Throws one error listing every op type the graph uses that has no definition, with node names.
    public func checkSupported(_ graph: Graph) throws {
        var missing: [String: [String]] = [:]
        for n in graph.nodes where lookup(n, in: graph) == nil {
            missing[n.qualifiedOp, default: []].append(n.name)
        }
        if !missing.isEmpty { throw GraphError.unsupportedOps(missing) }
    }
}

extension Graph {
    /// The opset version imported for `domain` (0 when the model declared none).
    public func opset(of domain: String) -> Int {
        opsets[OpRegistry.canonicalDomain(domain)] ?? opsets[domain] ?? (domain.isEmpty ? 17 : 1)
    }
}
