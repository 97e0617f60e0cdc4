import Graph
import Importers
import TestSupport
import XCTest

/// PNG loading and preprocessing against PyTorch (fixtures/image/generate.py).
final class ImageTests: XCTestCase {
    func testPreprocessingMatchesTorchInterpolate() throws {
        for file in ["rgb.png", "rgba.png"] {
            let img = try RGBImage.readPNG(path: fixturesURL("image/\(file)").path)
            XCTAssertEqual([img.width, img.height], [37, 29])
            let x = ImagePreprocessing(height: 24, width: 32).tensor(from: img)
            let want = try NPY.read(path: fixturesURL("image/expected_24x32.npy").path)
            assertClose(x, want, rtol: 1e-5, atol: 1e-5, file)
        }
    }

    func testBrokenFilesAreNamedErrors() {
        for file in ["truncated.png", "not_png.png", "missing.png"] {
            let path = fixturesURL("image/\(file)").path
            XCTAssertThrowsError(try RGBImage.readPNG(path: path)) { e in
                XCTAssertTrue("\(e)".hasPrefix(path), "\(e)")
            }
        }
    }
}
