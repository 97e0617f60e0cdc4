import Graph

/// Graph rewrites that let every method see one layout: NCHW image inputs and NCHW feature maps.
///
/// Each adapter inserts ordinary ops (Transpose, Slice, Reshape, Concat) into the graph, so the
/// forward values, gradients and LRP relevance at the adapted value are exactly the original
/// ones rearranged; consumers of the original value read the rearranged copy, so feeding the
/// adapted value (ablation, perturbation from a layer) changes what the rest of the graph sees.
/// This is pytorch-grad-cam's `reshape_transform`, applied to the graph instead of being written
/// by the user.
enum GraphAdapters {
    /// A new NCHW input `<input>__nchw` in front of an NHWC input (Transpose perm [0, 2, 3, 1]).
    static func nchwInput(_ graph: Graph, input: String, layout: InputLayout) -> (Graph, String) {
        guard layout == .nhwc, let idx = graph.inputs.firstIndex(where: { $0.name == input }) else { return (graph, input) }
        var g = graph
        let info = g.inputs[idx]
        let name = unique("\(input)__nchw", in: g)
        g.inputs[idx] = ValueInfo(name: name, dtype: info.dtype, shape: info.shape.map { layout.nchwDims($0) })
        g.nodes.insert(Node(name: unique("cfcam_input_layout", in: g), opType: "Transpose", inputs: [name], outputs: [input],
                            attributes: ["perm": .ints(layout.fromNCHW)]), at: 0)
        return (g, name)
    }

    /// How a layer value is laid out.
    enum LayerForm: Equatable {
        /// [N, C, h, w]: used as is.
        case nchw
        /// [N, h, w, C].
        case nhwc
        /// [N, T, C] tokens: `prefix` class / distillation tokens, then an h x w grid of patches.
        case tokens(prefix: Int, h: Int, w: Int)
    }

    /// The form of a value of shape `dims` produced by `producer` (nil: a graph input).
    /// 4-D: a Transpose producer's perm decides; else square spatial axes ([N, 7, 7, 512] is NHWC,
    /// [N, 512, 7, 7] NCHW); else the model's input layout. 3-D: tokens when dropping 1, 2 or 0
    /// leading tokens leaves a square number (> 1) of patches.
    static func form(dims: [Int], producer: Node?, inputLayout: InputLayout) -> LayerForm? {
        if dims.count == 4 {
            if let p = producer, p.opType == "Transpose", let perm = try? p.attr("perm", default: [Int]()) {
                if perm == [0, 2, 3, 1] { return .nhwc }
                if perm == [0, 3, 1, 2] { return .nchw }
            }
            let (a, b, c) = (dims[1], dims[2], dims[3])
            if a == b && c != b { return .nhwc }
            if b == c && a != b { return .nchw }
            return inputLayout == .nhwc ? .nhwc : .nchw
        }
        if dims.count == 3 {
            let t = dims[1]
            for prefix in [1, 2, 0] where t - prefix > 1 {
                let side = Int(Double(t - prefix).squareRoot().rounded())
                if side * side == t - prefix { return .tokens(prefix: prefix, h: side, w: side) }
            }
        }
        return nil
    }

    /// Rewrites `graph` so that an NCHW view of `value` lies on every path through it; returns the
    /// graph and the view's name (`value` itself when it is NCHW already).
    static func nchwView(_ graph: Graph, value: String, form: LayerForm, channels: Int) throws -> (Graph, String) {
        if form == .nchw { return (graph, value) }
        var g = graph
        let producers = g.producers()
        let at = (producers[value] ?? -1) + 1
        var nodes: [Node] = []
        var inits: [String: Tensor] = [:]
        func name(_ s: String) -> String { unique("\(value)__\(s)", in: g, also: Set(nodes.flatMap(\.outputs)) .union(inits.keys)) }
        func constant(_ s: String, _ v: [Int64]) -> String { let n = name(s); inits[n] = Tensor.vector(v); return n }
        let view: String, back: String
        switch form {
        case .nchw:
            return (graph, value)
        case .nhwc:
            view = name("nchw")
            nodes.append(Node(name: view, opType: "Transpose", inputs: [value], outputs: [view], attributes: ["perm": .ints([0, 3, 1, 2])]))
            back = name("nhwc")
            nodes.append(Node(name: back, opType: "Transpose", inputs: [view], outputs: [back], attributes: ["perm": .ints([0, 2, 3, 1])]))
        case .tokens(let prefix, let h, let w):
            let total = Int64(prefix + h * w)
            let patches = name("patches")
            nodes.append(Node(name: patches, opType: "Slice", inputs: [value, constant("start", [Int64(prefix)]), constant("end", [total]),
                                                                        constant("axis", [1])], outputs: [patches]))
            let cht = name("channels_first")
            nodes.append(Node(name: cht, opType: "Transpose", inputs: [patches], outputs: [cht], attributes: ["perm": .ints([0, 2, 1])]))
            view = name("grid")
            nodes.append(Node(name: view, opType: "Reshape", inputs: [cht, constant("grid_shape", [0, Int64(channels), Int64(h), Int64(w)])],
                              outputs: [view]))
            let flat = name("flat")
            nodes.append(Node(name: flat, opType: "Reshape", inputs: [view, constant("flat_shape", [0, Int64(channels), Int64(h * w)])],
                              outputs: [flat]))
            let tokens = name("patch_tokens")
            nodes.append(Node(name: tokens, opType: "Transpose", inputs: [flat], outputs: [tokens], attributes: ["perm": .ints([0, 2, 1])]))
            if prefix > 0 {
                let head = name("prefix")
                nodes.append(Node(name: head, opType: "Slice", inputs: [value, constant("head_start", [0]), constant("head_end", [Int64(prefix)]),
                                                                        constant("head_axis", [1])], outputs: [head]))
                back = name("tokens")
                nodes.append(Node(name: back, opType: "Concat", inputs: [head, tokens], outputs: [back], attributes: ["axis": .int(1)]))
            } else {
                back = tokens
            }
        }
        let added = Set(nodes.map(\.name))
        for i in g.nodes.indices where !added.contains(g.nodes[i].name) {
            g.nodes[i].inputs = g.nodes[i].inputs.map { $0 == value ? back : $0 }
        }
        g.nodes.insert(contentsOf: nodes, at: max(0, at))
        for (k, v) in inits { g.initializers[k] = v }
        return (g, view)
    }

    /// `base`, or `base_2`, `base_3`, ... : a name no value or node of `graph` has.
    static func unique(_ base: String, in graph: Graph, also: Set<String> = []) -> String {
        let taken = Set(graph.nodes.flatMap { $0.outputs + [$0.name] }).union(graph.inputs.map(\.name))
            .union(graph.initializers.keys).union(also)
        if !taken.contains(base) { return base }
        var i = 2
        while taken.contains("\(base)_\(i)") { i += 1 }
        return "\(base)_\(i)"
    }
}
