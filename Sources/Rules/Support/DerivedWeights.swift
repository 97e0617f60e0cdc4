import Synchronization

/// Arrays derived from constant weight arrays (Winograd-transformed filters, the narrow GEMM's
/// packed panels), cached per source array: a model's initializers are the same array on every
/// forward pass. An entry keeps its source alive, so the address cannot be reused by another
/// array while the entry exists, and a mutated copy gets a new address (copy-on-write). `shape`
/// tells apart derivations of one array for different geometries. Bounded: past `limit` floats
/// the cache starts over.
final class DerivedWeights: Sendable {
    private struct Key: Hashable { var address: UInt, count: Int, shape: [Int] }
    private struct Entry { var source: [Float]; var derived: [Float] }
    private let entries = Mutex<(map: [Key: Entry], floats: Int)>(([:], 0))
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// The cached derivation of `w` for `shape`, made by `derive` (its size in floats, and a
    /// function filling that many) on the first request.
    func get(_ w: [Float], shape: [Int], size: Int, derive: (UnsafePointer<Float>?, UnsafeMutablePointer<Float>?) -> Void)
        -> [Float] {
        let address = w.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        let key = Key(address: address, count: w.count, shape: shape)
        if let hit = entries.withLock({ $0.map[key] }) { return hit.derived }
        let derived = [Float](unsafeUninitializedCapacity: size) { buf, n in
            w.withUnsafeBufferPointer { derive($0.baseAddress, buf.baseAddress) }
            n = size
        }
        entries.withLock { state in
            if state.floats + size > limit { state = ([:], 0) }
            state.map[key] = Entry(source: w, derived: derived)
            state.floats += size
        }
        return derived
    }

    /// Drops every entry (tests; memory pressure).
    func removeAll() { entries.withLock { $0 = ([:], 0) } }
}
