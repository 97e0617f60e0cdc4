import XCTest
@testable import Runs

final class ShardTests: XCTestCase {
    func testShardsPartitionTheKeysStablyAndEvenly() throws {
        let keys = (0..<2000).map { "img\($0).jpg" }
        let shards = try (0..<4).map { try Shard(index: $0, count: 4) }
        var counts = [0, 0, 0, 0]
        for k in keys {
            let owners = shards.filter { $0.contains(k) }
            XCTAssertEqual(owners.count, 1, k)
            counts[owners[0].index] += 1
        }
        for c in counts { XCTAssertEqual(Double(c), 500, accuracy: 75, "\(counts)") }
        // FNV-1a 64 of "a" (published test vector) decides "a"'s shard.
        XCTAssertEqual(Shard.fnv1a("a"), 0xaf63dc4c8601ec8c)
        XCTAssertTrue(try Shard(index: Int(UInt64(0xaf63dc4c8601ec8c) % 7), count: 7).contains("a"))
    }

    func testParsingAndErrors() throws {
        XCTAssertEqual(try Shard(parsing: "2/5"), try Shard(index: 2, count: 5))
        for bad in ["5/5", "-1/3", "1", "a/b", "1/0"] {
            XCTAssertThrowsError(try Shard(parsing: bad), bad) { e in
                XCTAssertTrue("\(e)".contains("0-based") || "\(e)".contains("out of range"), "\(e)")
            }
        }
    }

    func testSchedulerEnvironments() throws {
        XCTAssertNil(try Shard.resolve(flag: nil, shards: nil, environment: [:]))
        XCTAssertEqual(try Shard.resolve(flag: "1/3", shards: nil, environment: ["JOB_COMPLETION_INDEX": "2"]), try Shard(index: 1, count: 3))
        XCTAssertEqual(try Shard.resolve(flag: nil, shards: 8, environment: ["JOB_COMPLETION_INDEX": "7"]), try Shard(index: 7, count: 8))
        XCTAssertThrowsError(try Shard.resolve(flag: nil, shards: nil, environment: ["JOB_COMPLETION_INDEX": "7"])) { e in
            XCTAssertTrue("\(e)".contains("--shards"), "\(e)")
        }
        XCTAssertEqual(try Shard.resolve(flag: nil, shards: nil,
                                         environment: ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "4"]),
                       try Shard(index: 2, count: 4))
        XCTAssertThrowsError(try Shard.resolve(flag: nil, shards: 4, environment: [:]))
    }
}
