import Graph

/// Rewrites default-domain nodes from older opsets into the canonical forms of
/// docs/canonical-ops.md: attributes that later opsets turned into inputs (TopK's k among them)
/// become initializers named `<node name>__<attr>`, Upsample becomes Resize, and opset < 13
/// Softmax / LogSoftmax get `legacy_coerce_2d = 1` with an explicit axis.
struct ONNXOpsetNormalizer {
    /// Value names in use; new initializer names avoid them.
    var usedNames: Set<String>
    /// Initializers created from attributes (the caller moves them into the graph).
    var added: [String: Tensor] = [:]

    init(usedNames: Set<String>) { self.usedNames = usedNames }

    /// Registers a new initializer under a unique name derived from `proposed`; returns the name used.
    mutating func addInitializer(_ proposed: String, _ t: Tensor) -> String {
        var name = proposed, k = 1
        while usedNames.contains(name) { name = "\(proposed)_\(k)"; k += 1 }
        usedNames.insert(name)
        added[name] = t
        return name
    }

    /// The canonical form of `node` (default domain) for a graph importing `opset`.
    mutating func normalize(_ node: Node, opset: Int) throws -> Node {
        var n = node
        switch n.opType {
        case "Reshape" where opset < 5:
            if let shape: [Int] = try take(&n, "shape") {
                setInput(&n, 1, vector(shape), attr: "shape")
            } else if n.inputs.count < 2 {
                throw GraphError.attribute("Reshape (opset \(opset)) needs a 'shape' attribute")
            }
        case "Clip" where opset < 11:
            let lo: Float? = try take(&n, "min"), hi: Float? = try take(&n, "max")
            if let lo { setInput(&n, 1, .scalar(lo), attr: "min") }
            if let hi { setInput(&n, 2, .scalar(hi), attr: "max") }
        case "Pad" where opset < 11:
            let pads: [Int]? = try take(&n, "pads") ?? take(&n, "paddings")
            guard let pads else { throw GraphError.attribute("Pad (opset \(opset)) needs a 'pads' attribute") }
            setInput(&n, 1, vector(pads), attr: "pads")
            if let value: Float = try take(&n, "value"), value != 0 { setInput(&n, 2, .scalar(value), attr: "value") }
        case "Squeeze" where opset < 13, "Unsqueeze" where opset < 13:
            if let axes: [Int] = try take(&n, "axes") { setInput(&n, 1, vector(axes), attr: "axes") }
        case "Split" where opset < 13:
            if let split: [Int] = try take(&n, "split"), !split.isEmpty { setInput(&n, 1, vector(split), attr: "split") }
        case "ReduceSum" where opset < 13:
            try axesToInput(&n)
        case _ where ONNXOpsetNormalizer.reduceOps.contains(n.opType) && n.opType != "ReduceSum" && opset < 18:
            try axesToInput(&n)
        case "Slice" where opset < 10:
            let starts: [Int]? = try take(&n, "starts"), ends: [Int]? = try take(&n, "ends")
            let axes: [Int]? = try take(&n, "axes")
            guard let starts, let ends else { throw GraphError.attribute("Slice (opset \(opset)) needs 'starts' and 'ends' attributes") }
            setInput(&n, 1, vector(starts), attr: "starts")
            setInput(&n, 2, vector(ends), attr: "ends")
            if let axes { setInput(&n, 3, vector(axes), attr: "axes") }
        case "Upsample":
            try upsampleToResize(&n, opset: opset)
        case "Resize" where opset < 11:
            // Resize-10: (X, scales), asymmetric coordinates.
            if n.inputs.count >= 2 { n.inputs = [n.inputs[0], "", n.inputs[1]] }
            n.attributes["coordinate_transformation_mode"] = .string("asymmetric")
            n.attributes["nearest_mode"] = .string("floor")
        case "Softmax" where opset < 13, "LogSoftmax" where opset < 13:
            let axis: Int = try n.attr("axis", default: 1)
            n.attributes["axis"] = .int(axis)
            n.attributes["legacy_coerce_2d"] = .int(1)
        case "Dropout" where opset < 12:
            for old in ["is_test", "consumed_inputs", "seed"] { n.attributes[old] = nil }
            if let ratio: Float = try take(&n, "ratio") { setInput(&n, 1, .scalar(ratio), attr: "ratio") }
        case "TopK" where opset < 10:
            // TopK-1: k is an attribute; later opsets take K as a 1-D int64 input.
            let k: Int? = try take(&n, "k")
            guard let k else { throw GraphError.attribute("TopK (opset \(opset)) needs a 'k' attribute") }
            setInput(&n, 1, vector([k]), attr: "k")
        case "Tile" where opset < 6:
            throw GraphError.attribute("Tile (opset \(opset)) takes 'tiles' and 'axis' inputs; only the opset >= 6 form (repeats) is supported")
        case "Cast" where opset < 6:
            if case .string(let s)? = n.attributes["to"] { n.attributes["to"] = .int(try ONNXOpsetNormalizer.castCode(s)) }
        default:
            break
        }
        return n
    }

    static let reduceOps: Set<String> = ["ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd",
                                         "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"]

    private mutating func axesToInput(_ n: inout Node) throws {
        if let axes: [Int] = try take(&n, "axes") { setInput(&n, 1, vector(axes), attr: "axes") }
    }

    /// Upsample (opsets 1-10) as Resize(X, "", scales) with asymmetric coordinates and floor rounding.
    private mutating func upsampleToResize(_ n: inout Node, opset: Int) throws {
        var mode: String = try n.attr("mode", default: "nearest")
        if mode == "bilinear" { mode = "linear" }
        guard mode == "nearest" || mode == "linear" else {
            throw GraphError.attribute("Upsample mode '\(mode)' is not one of nearest, linear, bilinear")
        }
        var scalesInput = n.inputs.count > 1 ? n.inputs[1] : ""
        if let scales: [Float] = try take(&n, "scales") {
            scalesInput = addInitializer("\(n.name)__scales", .vector(scales))
        } else if opset < 7, let h: Float = try take(&n, "height_scale"), let w: Float = try take(&n, "width_scale") {
            scalesInput = addInitializer("\(n.name)__scales", .vector([1, 1, h, w]))
        }
        guard !scalesInput.isEmpty, let x = n.inputs.first else {
            throw GraphError.attribute("Upsample (opset \(opset)) needs scales")
        }
        n.opType = "Resize"
        n.inputs = [x, "", scalesInput]
        n.attributes = ["mode": .string(mode),
                        "coordinate_transformation_mode": .string("asymmetric"),
                        "nearest_mode": .string("floor")]
    }

    /// Cast-1's `to` names a type; later opsets use the TensorProto.DataType code.
    static func castCode(_ name: String) throws -> Int {
        let codes = ["FLOAT": 1, "UINT8": 2, "INT8": 3, "UINT16": 4, "INT16": 5, "INT32": 6, "INT64": 7, "STRING": 8,
                     "BOOL": 9, "FLOAT16": 10, "DOUBLE": 11, "UINT32": 12, "UINT64": 13, "BFLOAT16": 16]
        guard let c = codes[name.uppercased()] else { throw GraphError.attribute("Cast 'to' names unknown type '\(name)'") }
        return c
    }

    // MARK: Helpers

    /// Removes and returns a typed attribute.
    private func take<T: AttributeValue>(_ n: inout Node, _ key: String) throws -> T? {
        let v: T? = try n.attr(key)
        n.attributes[key] = nil
        return v
    }

    /// Puts a new initializer at input position `index`, padding skipped optional inputs with "".
    private mutating func setInput(_ n: inout Node, _ index: Int, _ t: Tensor, attr: String) {
        let name = addInitializer("\(n.name)__\(attr)", t)
        while n.inputs.count <= index { n.inputs.append("") }
        n.inputs[index] = name
    }

    private func vector(_ v: [Int]) -> Tensor { .vector(v.map { Int64($0) }) }
}
