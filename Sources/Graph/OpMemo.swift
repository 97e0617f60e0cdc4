import Synchronization

/// A kernel's memo for one node of a run plan: what it derived from the node's attributes and its
/// inputs' shapes (a convolution's validated geometry), kept from one run of the plan to the next.
/// The executor gives each planned step its own memo (`OpContext.memo`); contexts built elsewhere
/// (gradient and LRP walks, tests) have none, and the kernel derives everything each time.
/// One entry: the value for the last key (the input shapes) asked for.
///
/// A hit costs one lock, a comparison of the shapes and a type check: the key is the shapes
/// themselves (no joined array built per call), and the value sits in a class box recognised by
/// its type's identity, not by a dynamic cast (~0.3 µs a node on MobileNet-sized graphs).
public final class OpMemo: Sendable {
    @usableFromInline final class Box<T>: @unchecked Sendable {
        @usableFromInline let value: T
        @usableFromInline init(_ value: T) { self.value = value }
    }
    @usableFromInline struct Entry: @unchecked Sendable {
        @usableFromInline var key: [[Int]]
        @usableFromInline var type: ObjectIdentifier?
        @usableFromInline var box: AnyObject?
        @usableFromInline init(key: [[Int]], type: ObjectIdentifier?, box: AnyObject?) {
            self.key = key; self.type = type; self.box = box
        }
    }
    @usableFromInline let entry = Mutex<Entry>(Entry(key: [], type: nil, box: nil))

    public init() {}

    /// The value stored for `key` (the input shapes), else `make()` (stored when it does not throw).
    @inlinable
    public func value<T: Sendable>(for key: [[Int]], _ make: () throws -> T) rethrows -> T {
        let type = ObjectIdentifier(T.self)
        let hit: Box<T>? = entry.withLock { e in
            guard e.type == type, e.key == key, let box = e.box else { return nil }
            return unsafeDowncast(box, to: Box<T>.self)
        }
        if let hit { return hit.value }
        let v = try make()
        let box = Box(v)
        entry.withLock { $0 = Entry(key: key, type: type, box: box) }
        return v
    }
}
