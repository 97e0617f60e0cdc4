/// A deterministic 1/n share of a run's inputs: input `key` belongs to shard
/// `FNV-1a-64(key) mod n`. Hashing the key (not the position in the list) keeps an image in the
/// same shard when other images are added or removed, and needs no coordination between machines.
///
/// Indices are 0-based (`0/4` ... `3/4`), as Kubernetes' `JOB_COMPLETION_INDEX`. Without `--shard`:
/// `JOB_COMPLETION_INDEX` with `--shards n` (an Indexed Job's `completions`), or a Slurm array's
/// `SLURM_ARRAY_TASK_ID` minus `SLURM_ARRAY_TASK_MIN` (so `--array=1-8` works too) over
/// `SLURM_ARRAY_TASK_COUNT`.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1, index >= 0, index < count else {
            throw RunsError("shard \(index)/\(count) is out of range: the index is 0-based, 0 <= i < n")
        }
        self.index = index; self.count = count
    }

    /// Parses `i/n`.
    public init(parsing s: String) throws {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw RunsError("--shard '\(s)': expected i/n with 0 <= i < n (0-based), e.g. 0/4")
        }
        try self.init(index: i, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    public func contains(_ key: String) -> Bool { Int(Self.fnv1a(key) % UInt64(count)) == index }

    static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h ^= UInt64(b); h = h &* 0x100_0000_01b3 }
        return h
    }

    /// The shard of this process: `--shard`, else the batch scheduler's environment, else nil (all inputs).
    public static func resolve(flag: String?, shards: Int?, environment: [String: String]) throws -> Shard? {
        if let f = flag { return try Shard(parsing: f) }
        if let idx = environment["JOB_COMPLETION_INDEX"] {
            guard let n = shards else {
                throw RunsError("JOB_COMPLETION_INDEX=\(idx) is set (a Kubernetes Indexed Job): give --shards N (the Job's completions)")
            }
            guard let i = Int(idx) else { throw RunsError("JOB_COMPLETION_INDEX='\(idx)' is not an integer") }
            return try Shard(index: i, count: n)
        }
        if let id = environment["SLURM_ARRAY_TASK_ID"] {
            guard let i = Int(id) else { throw RunsError("SLURM_ARRAY_TASK_ID='\(id)' is not an integer") }
            let lo = environment["SLURM_ARRAY_TASK_MIN"].flatMap(Int.init) ?? 0
            guard let n = shards ?? environment["SLURM_ARRAY_TASK_COUNT"].flatMap(Int.init) else {
                throw RunsError("SLURM_ARRAY_TASK_ID=\(id) is set but SLURM_ARRAY_TASK_COUNT is not: give --shards N")
            }
            return try Shard(index: i - lo, count: n)
        }
        if let n = shards { throw RunsError("--shards \(n) needs --shard i/n, JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID") }
        return nil
    }
}
