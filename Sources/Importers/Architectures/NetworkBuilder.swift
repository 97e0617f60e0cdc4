import Graph

/// Builds a `Graph` layer by layer from a PyTorch `state_dict`, the way torchvision modules compute.
///
/// Node names are the module paths (`layer1.0.conv1`); each node's output value has the node's
/// name unless renamed to the module it ends (`rename(_:to:)`, e.g. `layer1.0`, `layer4`,
/// `features`). Parameters are initializers named like the state_dict keys. Every expected key is
/// recorded with its shape, so `finish` can list all missing, unexpected and mis-shaped keys at once.
struct NetworkBuilder {
    let arch: String
    let file: String
    private(set) var weights: [String: Tensor]
    private(set) var nodes: [Node] = []
    private var producer: [String: Int] = [:]
    private var initializers: [String: Tensor] = [:]
    private var expected: [(key: String, shape: [Int])] = []
    private var ignorable: Set<String> = []

    init(arch: String, file: String, weights: [String: Tensor]) {
        self.arch = arch; self.file = file; self.weights = weights
    }

    /// Output rows of the final layer `key` (the number of classes), or torchvision's default 1000.
    func classes(from key: String) -> Int {
        if let w = weights[key], w.rank >= 1, w.shape[0] > 0 { return w.shape[0] }
        return 1000
    }

    /// Records that the model needs parameter `key` with `shape`; returns the initializer name.
    @discardableResult
    mutating func param(_ key: String, _ shape: [Int]) -> String {
        expected.append((key, shape))
        return key
    }

    /// Adds a node whose single output value is named like the node.
    @discardableResult
    mutating func node(_ name: String, _ op: String, _ inputs: [String], _ attrs: [String: Attribute] = [:]) -> String {
        producer[name] = nodes.count
        nodes.append(Node(name: name, opType: op, inputs: inputs, outputs: [name], attributes: attrs))
        return name
    }

    /// Renames value `value` (the output of a node) to `newName`, e.g. the module the node ends.
    @discardableResult
    mutating func rename(_ value: String, to newName: String) -> String {
        guard value != newName, let p = producer[value] else { return value }
        nodes[p].outputs = nodes[p].outputs.map { $0 == value ? newName : $0 }
        for i in nodes.indices { nodes[i].inputs = nodes[i].inputs.map { $0 == value ? newName : $0 } }
        producer[value] = nil
        producer[newName] = p
        return newName
    }

    // MARK: Layers

    /// nn.Conv2d with square kernel, stride, padding; weight [out, in/groups, k, k].
    mutating func conv(_ name: String, _ x: String, _ cin: Int, _ cout: Int, kernel k: Int, stride s: Int = 1,
                       pad p: Int = 0, groups g: Int = 1, bias: Bool) -> String {
        var inputs = [x, param("\(name).weight", [cout, cin / g, k, k])]
        if bias { inputs.append(param("\(name).bias", [cout])) }
        return node(name, "Conv", inputs, [
            "kernel_shape": .ints([k, k]), "strides": .ints([s, s]), "pads": .ints([p, p, p, p]),
            "dilations": .ints([1, 1]), "group": .int(g),
        ])
    }

    /// nn.BatchNorm2d (eval mode, eps 1e-5).
    mutating func batchNorm(_ name: String, _ x: String, _ c: Int) -> String {
        ignorable.insert("\(name).num_batches_tracked")
        let inputs = [x, param("\(name).weight", [c]), param("\(name).bias", [c]),
                      param("\(name).running_mean", [c]), param("\(name).running_var", [c])]
        return node(name, "BatchNormalization", inputs, ["epsilon": .float(1e-5)])
    }

    mutating func relu(_ name: String, _ x: String) -> String { node(name, "Relu", [x]) }

    /// nn.ReLU6 as Clip(x, 0, 6), the bounds being shared scalar initializers.
    mutating func relu6(_ name: String, _ x: String) -> String {
        initializers["const.relu6_min"] = .scalar(Float(0))
        initializers["const.relu6_max"] = .scalar(Float(6))
        return node(name, "Clip", [x, "const.relu6_min", "const.relu6_max"])
    }

    mutating func maxPool(_ name: String, _ x: String, kernel k: Int, stride s: Int, pad p: Int = 0, ceil: Bool = false) -> String {
        node(name, "MaxPool", [x], [
            "kernel_shape": .ints([k, k]), "strides": .ints([s, s]), "pads": .ints([p, p, p, p]),
            "dilations": .ints([1, 1]), "ceil_mode": .int(ceil ? 1 : 0),
        ])
    }

    /// nn.AvgPool2d without padding (count_include_pad is then irrelevant).
    mutating func avgPool(_ name: String, _ x: String, kernel: [Int], stride: [Int]) -> String {
        node(name, "AveragePool", [x], [
            "kernel_shape": .ints(kernel), "strides": .ints(stride), "pads": .ints([0, 0, 0, 0]),
            "ceil_mode": .int(0), "count_include_pad": .int(0),
        ])
    }

    mutating func globalAvgPool(_ name: String, _ x: String) -> String { node(name, "GlobalAveragePool", [x]) }

    mutating func flatten(_ name: String, _ x: String) -> String { node(name, "Flatten", [x], ["axis": .int(1)]) }

    /// nn.Linear as Gemm(x, W, b) with transB = 1.
    mutating func linear(_ name: String, _ x: String, _ fin: Int, _ fout: Int) -> String {
        node(name, "Gemm", [x, param("\(name).weight", [fout, fin]), param("\(name).bias", [fout])],
             ["alpha": .float(1), "beta": .float(1), "transA": .int(0), "transB": .int(1)])
    }

    mutating func add(_ name: String, _ a: String, _ b: String) -> String { node(name, "Add", [a, b]) }

    mutating func concat(_ name: String, _ xs: [String]) -> String { node(name, "Concat", xs, ["axis": .int(1)]) }

    // MARK: Result

    /// Checks the weights against every recorded parameter and returns the graph reading `input`
    /// ([N, 3, H, W]) and producing `output`, renamed to "logits".
    mutating func finish(input: String, height: Dim, width: Dim, output: String, classes: Int) throws -> Graph {
        var error = WeightsMismatchError(file: file, target: arch, missing: [], unexpected: [], misfits: [])
        var seen = Set<String>()
        for (key, shape) in expected {
            seen.insert(key)
            guard let w = weights[key] else {
                error.missing.append((key, WeightsMismatchError.describe(shape, .float32)))
                continue
            }
            guard w.shape == shape, w.dtype == .float32 else {
                error.misfits.append(.init(key: key, expected: WeightsMismatchError.describe(shape, .float32),
                                           got: WeightsMismatchError.describe(w.shape, w.dtype)))
                continue
            }
            initializers[key] = w
        }
        error.unexpected = weights.keys.filter { !seen.contains($0) && !ignorable.contains($0) }.sorted()
        guard error.isEmpty else { throw error }
        rename(output, to: "logits")
        var g = Graph(name: arch, nodes: nodes,
                      inputs: [ValueInfo(name: input, dtype: .float32, shape: [.symbol("N"), .fixed(3), height, width])],
                      outputs: [ValueInfo(name: "logits", dtype: .float32, shape: [.symbol("N"), .fixed(classes)])],
                      initializers: initializers, opsets: ["": 17])
        do { try g.sort() } catch let e as GraphError { throw GraphError.inFile(path: file, underlying: e) }
        return g
    }
}
