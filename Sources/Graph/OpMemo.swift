import Synchronization

/// A kernel's memo for one node of a run plan: what it derived from the node's attributes and its
/// inputs' shapes (a convolution's validated geometry), kept from one run of the plan to the next.
/// The executor gives each planned step its own memo (`OpContext.memo`); contexts built elsewhere
/// (gradient and LRP walks, tests) have none, and the kernel derives everything each time.
/// One entry: the value for the last key (the input shapes) asked for.
public final class OpMemo: Sendable {
    private let entry = Mutex<(key: [Int], value: (any Sendable)?)>(([], nil))

    public init() {}

    /// The value stored for `key`, else `make()` (stored when it does not throw).
    public func value<T: Sendable>(for key: [Int], _ make: () throws -> T) rethrows -> T {
        if let hit = entry.withLock({ $0.key == key ? $0.value as? T : nil }) { return hit }
        let v = try make()
        entry.withLock { $0 = (key, v) }
        return v
    }
}
