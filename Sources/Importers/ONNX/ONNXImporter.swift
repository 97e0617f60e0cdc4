import Graph
import ONNXProto

/// Loads ONNX models (`.onnx`, protobuf) into a `Graph`.
///
/// Opset differences are normalised into the canonical node forms of docs/canonical-ops.md,
/// `Constant` nodes become initializers, every node gets a unique name, and the nodes are sorted
/// topologically. Every error is a `GraphError.inFile` naming the file, and inside it the node or
/// initializer involved; malformed files (truncated, garbage, absurd dims, size mismatches, unknown
/// types) throw, never crash.
public enum ONNXImporter {
    /// Reads and converts the model at `path`. External tensor data is read from files inside the
    /// model's folder. When `registry` is given, every op type it lacks is reported in one error.
    public static func load(path: String, registry: OpRegistry? = nil) throws -> Graph {
        try ONNXContext.file(path) {
            let bytes = try ONNXFile.readAll(path)
            return try convert(bytes, baseDirectory: ONNXFile.directory(of: path), registry: registry)
        }
    }

    /// Converts a model held in memory. `path` only names the model in messages; external data is
    /// read relative to `baseDirectory`, and refused when it is nil.
    public static func load(data: [UInt8], path: String = "<memory>", baseDirectory: String? = nil,
                            registry: OpRegistry? = nil) throws -> Graph {
        try ONNXContext.file(path) { try convert(data, baseDirectory: baseDirectory, registry: registry) }
    }

    /// Reads a serialized `TensorProto` (`.pb`, as in the ONNX backend tests' test_data_set_N).
    public static func readTensor(path: String) throws -> (name: String, tensor: Tensor) {
        try ONNXContext.file(path) {
            let bytes = try ONNXFile.readAll(path)
            let proto = bytes.withUnsafeBufferPointer { buf in
                onnx__tensor_proto__unpack(nil, buf.count, buf.baseAddress)
            }
            guard let proto else {
                throw GraphError.invalidGraph("not a serialized ONNX TensorProto (protobuf parse failed: truncated or corrupt)")
            }
            defer { onnx__tensor_proto__free_unpacked(proto, nil) }
            let name = onnxString(proto.pointee.name)
            let reader = ONNXTensorReader(baseDirectory: ONNXFile.directory(of: path))
            let tensor = try ONNXContext.value("tensor", name) { try reader.tensor(proto) }
            return (name, tensor)
        }
    }

    private static func convert(_ bytes: [UInt8], baseDirectory: String?, registry: OpRegistry?) throws -> Graph {
        let model = bytes.withUnsafeBufferPointer { buf in
            onnx__model_proto__unpack(nil, buf.count, buf.baseAddress)
        }
        guard let model else {
            throw GraphError.invalidGraph("not an ONNX model (protobuf parse failed: the file is truncated or corrupt\(formatHint(bytes)))")
        }
        defer { onnx__model_proto__free_unpacked(model, nil) }
        guard let g = model.pointee.graph else {
            throw GraphError.invalidGraph("not an ONNX model: it has no graph\(formatHint(bytes))")
        }
        var builder = ONNXGraphBuilder(tensors: ONNXTensorReader(baseDirectory: baseDirectory))
        try builder.readOpsets(model)
        var graph = try builder.build(g)
        graph.metadata = metadataProps(model.pointee)
        try graph.sort()
        if let registry { try registry.checkSupported(graph) }
        return graph
    }

    /// `metadata_props` as a dictionary (a repeated key keeps its last value).
    private static func metadataProps(_ m: Onnx__ModelProto) -> [String: String] {
        var out: [String: String] = [:]
        for i in 0..<m.n_metadata_props {
            guard let e = m.metadata_props[i] else { continue }
            out[onnxString(e.pointee.key)] = onnxString(e.pointee.value)
        }
        return out
    }

    /// Names a few common non-ONNX formats when the bytes look like one.
    private static func formatHint(_ b: [UInt8]) -> String {
        if b.starts(with: [0x50, 0x4b, 0x03, 0x04]) { return "; it looks like a zip / .npz archive" }
        if b.starts(with: [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]) { return "; it looks like a NumPy .npy file" }
        if b.starts(with: [0x89, 0x50, 0x4e, 0x47]) { return "; it looks like a PNG image" }
        if b.isEmpty { return "; the file is empty" }
        return ""
    }
}
