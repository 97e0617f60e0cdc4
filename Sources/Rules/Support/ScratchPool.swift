import Synchronization

/// Reusable float buffers for per-task workspaces (im2col blocks), so a kernel running hundreds of
/// times per forward pass does not allocate (and page-fault) a fresh buffer each time.
final class ScratchPool: Sendable {
    static let shared = ScratchPool()
    private let free = Mutex<[UnsafeMutableBufferPointer<Float>]>([])

    /// Runs `body` with a buffer of at least `count` floats (contents undefined).
    func with<R>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        var buf = free.withLock { list -> UnsafeMutableBufferPointer<Float>? in
            if let i = list.lastIndex(where: { $0.count >= count }) { return list.remove(at: i) }
            return nil
        }
        if buf == nil { buf = .allocate(capacity: max(count, 1)) }
        let b = buf!
        defer {
            free.withLock { list in
                list.append(b)
                // Keep a handful; drop the smallest beyond that.
                if list.count > 8, let i = list.indices.min(by: { list[$0].count < list[$1].count }) {
                    list.remove(at: i).deallocate()
                }
            }
        }
        return body(b.baseAddress!)
    }
}
