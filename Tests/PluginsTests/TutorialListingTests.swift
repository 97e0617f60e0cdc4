import Foundation
import XCTest

/// The plugin tutorial's listings (Sources/Plugins/Plugins.docc/Resources) are the sample plugin's
/// files, which scripts/test.sh builds and tests: they must not drift. Copy them again with
/// `scripts/plugin-tutorial-listings.sh`.
final class TutorialListingTests: XCTestCase {
    func testListingsAreTheSamplePluginFiles() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let pairs = [("plugin-package.swift", "Package.swift"), ("plugin-entry.swift", "Sources/SwishPlugin/Entry.swift"),
                     ("plugin-swish.swift", "Sources/SwishPlugin/Swish.swift"), ("plugin-method.swift", "Sources/SwishPlugin/AbsGradCAM.swift"),
                     ("plugin-importer.swift", "Sources/SwishPlugin/ToyNet.swift"),
                     ("plugin-tests.swift", "Tests/SwishPluginTests/SwishPluginTests.swift")]
        for (listing, file) in pairs {
            let a = try String(contentsOf: root.appendingPathComponent("Sources/Plugins/Plugins.docc/Resources/\(listing)"), encoding: .utf8)
            let b = try String(contentsOf: root.appendingPathComponent("Examples/SwishPlugin/\(file)"), encoding: .utf8)
            XCTAssertEqual(a, b, "\(listing) differs from Examples/SwishPlugin/\(file): run scripts/plugin-tutorial-listings.sh")
        }
    }
}
