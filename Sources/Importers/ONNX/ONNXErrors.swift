import Graph

/// Error-context helpers for the ONNX importer. Every error leaving `ONNXImporter` is a
/// `GraphError.inFile` naming the file; inside it, `.inNode` names the node, and initializer /
/// value problems name the initializer.
enum ONNXContext {
    /// Runs `body`, wrapping any failure as "<kind> 'name': ..." (kind: initializer, input, tensor...).
    static func value<T>(_ kind: String, _ name: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch {
            let inner: String
            if case GraphError.invalidGraph(let s) = error { inner = s } else { inner = describe(error) }
            throw GraphError.invalidGraph("\(kind) '\(name)': \(inner)")
        }
    }

    /// Runs `body`, wrapping any failure with the node's name and op (unless already wrapped).
    static func node<T>(_ name: String, op: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as GraphError {
            if case .inNode = e { throw e }
            throw GraphError.inNode(node: name, op: op, underlying: e)
        } catch {
            throw GraphError.inNode(node: name, op: op, underlying: .invalidGraph(describe(error)))
        }
    }

    /// Runs `body`, wrapping any failure with the file path (unless already wrapped).
    static func file<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as GraphError {
            if case .inFile = e { throw e }
            throw GraphError.inFile(path: path, underlying: e)
        } catch {
            throw GraphError.inFile(path: path, underlying: .invalidGraph(describe(error)))
        }
    }

    static func describe(_ error: Error) -> String {
        (error as? CustomStringConvertible)?.description ?? "\(error)"
    }
}
