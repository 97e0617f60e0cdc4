import XCTest
@testable import Runs

final class InputSetTests: XCTestCase {
    let exts: Set<String> = ["jpg", "png"]

    func testFoldersAreSearchedRecursivelyWithRelativeKeysSortedAndFiltered() throws {
        let s = try Scratch()
        _ = try s.file("in/b.jpg"); _ = try s.file("in/sub/a.PNG"); _ = try s.file("in/notes.txt"); _ = try s.file("in/.hidden.jpg")
        let e = InputSet.expand([s.path + "/in"], extensions: exts)
        XCTAssertEqual(e.files.map(\.key), ["b.jpg", "sub/a.PNG"])
        XCTAssertEqual(e.files.map(\.path), [s.path + "/in/b.jpg", s.path + "/in/sub/a.PNG"])
        XCTAssertTrue(e.failures.isEmpty)
    }

    func testGlobsPlainFilesAndMisses() throws {
        let s = try Scratch()
        _ = try s.file("x/one.jpg"); _ = try s.file("x/two.jpg"); _ = try s.file("x/three.png")
        let e = InputSet.expand([s.path + "/x/*.jpg", s.path + "/x/three.png", s.path + "/nothing/*.jpg", s.path + "/missing.png"],
                                extensions: exts)
        XCTAssertEqual(e.files.map(\.key), ["one.jpg", "three.png", "two.jpg"])
        XCTAssertEqual(e.failures.count, 2)
        XCTAssertTrue(e.failures[0].reason.contains("matches no"), e.failures[0].reason)
        XCTAssertTrue(e.failures[1].reason.contains("no such file"), e.failures[1].reason)
    }

    func testTheSameImageTwiceIsListedOnceAndDifferentFilesWithOneKeyAreReported() throws {
        let s = try Scratch()
        let a = try s.file("p/cat.jpg"), _ = try s.file("q/cat.jpg")
        let e = InputSet.expand([a, a, s.path + "/q/cat.jpg"], extensions: exts)
        XCTAssertEqual(e.files.map(\.path), [a])
        XCTAssertEqual(e.failures.count, 1)
        XCTAssertTrue(e.failures[0].reason.contains("same key 'cat.jpg'"), e.failures[0].reason)
    }

    func testAnEmptyFolderIsAFailure() throws {
        let s = try Scratch()
        _ = try s.file("empty/readme.txt")
        let e = InputSet.expand([s.path + "/empty"], extensions: exts)
        XCTAssertTrue(e.files.isEmpty)
        XCTAssertEqual(e.failures.count, 1)
    }
}
