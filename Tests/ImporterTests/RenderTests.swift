import Graph
import Importers
import XCTest
import TestSupport

/// Render goldens: fixtures/render/refs.npz from scripts/reference/render_refs.py (OpenCV 4.13 jet,
/// matplotlib 3.11 maps rounded to 8 bits, pytorch-grad-cam 1.5.7's show_cam_on_image).
final class RenderTests: XCTestCase {
    private static let refs: [String: Tensor]? = try? NPZ.read(path: fixturesURL("render/refs.npz").path)
    private let w = 29, h = 17

    private func ref(_ name: String) throws -> Tensor {
        let refs = try XCTUnwrap(Self.refs, "fixtures/render/refs.npz unreadable")
        return try XCTUnwrap(refs[name], "refs.npz has no '\(name)'")
    }
    private func bytes(_ name: String) throws -> [UInt16] { try ref(name).intValues().map { UInt16($0) } }
    private func floats(_ name: String) throws -> [Float] { try ref(name).floats() }
    private func image() throws -> PixelImage { try PixelImage(width: w, height: h, channels: 3, depth: 8, samples: bytes("image")) }
    private func maxDiff(_ a: PixelImage, _ b: [UInt16]) -> Int {
        XCTAssertEqual(a.samples.count, b.count)
        return zip(a.samples, b).map { abs(Int($0) - Int($1)) }.max() ?? -1
    }

    // MARK: Colormaps

    func testTablesEqualGoldens() throws {
        let reg = ColormapRegistry.standard
        for name in ["jet", "turbo", "viridis", "inferno", "bwr", "grey"] {
            let golden = try bytes("table_\(name)")
            XCTAssertEqual(try ref("table_\(name)").shape, [256, 3])
            let table = try reg.colormap(named: name).table
            XCTAssertEqual(table.flatMap { [UInt16($0.0), UInt16($0.1), UInt16($0.2)] }, golden, name)
        }
    }

    func testColorIndexTruncatesLikeUInt8Cast() throws {
        let jet = try ColormapRegistry.standard.colormap(named: "jet")
        XCTAssertEqual(Colormap.index(0), 0)
        XCTAssertEqual(Colormap.index(1), 255)
        XCTAssertEqual(Colormap.index(0.999), 254)        // 254.745 truncates
        XCTAssertEqual(Colormap.index(-3), 0)
        XCTAssertEqual(Colormap.index(7), 255)
        XCTAssertEqual(Colormap.index(.nan), 0)
        XCTAssertEqual(Colormap.index(Float(100) / 255), 100)            // float32(100/255) * 255 lands on 100
        XCTAssertEqual(Colormap.index((Float(100) / 255).nextDown), 99)  // one ulp below truncates to 99
        XCTAssertTrue(jet.color(1) == jet.table[255])
        XCTAssertTrue(jet.color(0) == (0, 0, 128))           // OpenCV jet starts dark blue
    }

    func testRegistryNamesSortedUnknownNameListsThemUserMapFound() throws {
        var reg = ColormapRegistry.standard
        XCTAssertEqual(reg.names, ["bwr", "grey", "inferno", "jet", "turbo", "viridis"])
        XCTAssertThrowsError(try reg.colormap(named: "hot")) { e in
            let text = "\(e)"
            XCTAssertTrue(text.contains("unknown colormap 'hot'"), text)
            XCTAssertTrue(text.contains("bwr, grey, inferno, jet, turbo, viridis"), text)
        }
        let mine = try Colormap(name: "red", table: (0..<256).map { (UInt8($0), 0, 0) })
        reg.register(mine)
        XCTAssertEqual(reg.names, ["bwr", "grey", "inferno", "jet", "red", "turbo", "viridis"])
        XCTAssertTrue(try reg.colormap(named: "red").color(1) == (255, 0, 0))
        XCTAssertEqual(ColormapRegistry.standard.names.count, 6, "standard is a fresh value")
        XCTAssertThrowsError(try Colormap(name: "short", table: [(0, 0, 0)])) { e in
            XCTAssertTrue("\(e)".contains("needs 256 entries, got 1"), "\(e)")
        }
    }

    // MARK: Normalisation

    func testMinMaxIsScaleCamImageExactly() throws {
        XCTAssertEqual(MapNormalisation.minMax.apply(try floats("raw")), try floats("raw_scaled"))
    }

    func testNormalisationCases() {
        XCTAssertEqual(MapNormalisation.allCases.map(\.rawValue), ["minMax", "symmetric", "none"])
        let mm = MapNormalisation.minMax.apply([2, 4, 6, .nan])
        XCTAssertEqual(mm[0], 0); XCTAssertEqual(mm[1], 0.5, accuracy: 1e-6); XCTAssertEqual(mm[2], 1, accuracy: 1e-6)
        XCTAssertEqual(mm[3], 0)
        XCTAssertEqual(MapNormalisation.minMax.apply([3, 3, 3]), [0, 0, 0])
        XCTAssertEqual(MapNormalisation.minMax.apply([.nan, .infinity, -.infinity, 1, 2]).prefix(4), [0, 1, 0, 0])
        XCTAssertEqual(MapNormalisation.symmetric.apply([-2, 0, 1, 2, .nan]), [0, 0.5, 0.75, 1, 0])
        XCTAssertEqual(MapNormalisation.symmetric.apply([0, 0]), [0.5, 0.5])
        XCTAssertEqual(MapNormalisation.none.apply([-1, 0.25, 3, .nan]), [0, 0.25, 1, 0])
        XCTAssertEqual(MapNormalisation.minMax.apply([]), [])
    }

    // MARK: Overlay

    func testOverlayMatchesShowCamOnImage() throws {
        let reg = ColormapRegistry.standard, img = try image(), mask = try floats("mask")
        for cm in ["jet", "viridis"] {
            for a in [50, 30] {
                let out = try Overlay.render(image: img, map: mask, colormap: reg.colormap(named: cm), alpha: Float(a) / 100,
                                             normalisation: .none, dimOutside: nil)
                XCTAssertEqual([out.width, out.height, out.channels, out.depth], [w, h, 3, 8])
                XCTAssertEqual(maxDiff(out, try bytes("overlay_\(cm)_\(a)")), 0, "\(cm) alpha \(a)")
            }
        }
        // The raw signed map, normalised here the way pytorch-grad-cam's scale_cam_image does.
        let mm = try Overlay.render(image: img, map: floats("raw"), colormap: reg.colormap(named: "jet"), alpha: 0.5,
                                    normalisation: .minMax, dimOutside: nil)
        XCTAssertEqual(maxDiff(mm, try bytes("overlay_minmax_jet_50")), 0, "minMax")
    }

    func testGreyAnd16BitImagesMatchToo() throws {
        let jet = try ColormapRegistry.standard.colormap(named: "jet"), mask = try floats("mask")
        let grey = try PixelImage(width: w, height: h, channels: 1, depth: 8, samples: bytes("grey"))
        let g = try Overlay.render(image: grey, map: mask, colormap: jet, alpha: 0.5, normalisation: .none, dimOutside: nil)
        XCTAssertEqual(maxDiff(g, try bytes("overlay_grey_jet_50")), 0, "grey")
        // 16-bit samples v * 257 (+ up to 128 either way) scale back to v.
        let wide = try PixelImage(width: w, height: h, channels: 3, depth: 16,
                                  samples: bytes("image").enumerated().map { i, v in UInt16(Int(v) * 257 + (v == 0 || v == 255 ? 0 : (i % 3 - 1) * 128)) })
        let o = try Overlay.render(image: wide, map: mask, colormap: jet, alpha: 0.5, normalisation: .none, dimOutside: nil)
        XCTAssertEqual(maxDiff(o, try bytes("overlay_jet_50")), 0, "16-bit")
    }

    func testDimOutsideHalvesOnlyOutsidePixels() throws {
        let jet = try ColormapRegistry.standard.colormap(named: "jet"), img = try image(), mask = try floats("mask")
        let full = try Overlay.render(image: img, map: mask, colormap: jet, alpha: 0.3, normalisation: .none, dimOutside: nil)
        let rect = (x: 5, y: 3, width: 12, height: 9)
        let dim = try Overlay.render(image: img, map: mask, colormap: jet, alpha: 0.3, normalisation: .none, dimOutside: rect)
        var inside = 0, outside = 0
        for y in 0..<h {
            for x in 0..<w {
                let isIn = x >= 5 && x < 17 && y >= 3 && y < 12
                for c in 0..<3 {
                    let f = full.sample(x, y, c), d = dim.sample(x, y, c)
                    XCTAssertEqual(d, isIn ? f : f / 2, "(\(x), \(y), \(c))")
                }
                if isIn { inside += 1 } else { outside += 1 }
            }
        }
        XCTAssertEqual([inside, outside], [12 * 9, w * h - 12 * 9])
        // A rectangle past the edges is clipped; one covering everything changes nothing.
        let all = try Overlay.render(image: img, map: mask, colormap: jet, alpha: 0.3, normalisation: .none,
                                     dimOutside: (x: -10, y: -10, width: Int.max, height: 1000))
        XCTAssertEqual(all, full)
    }

    func testOverlayErrors() throws {
        let jet = try ColormapRegistry.standard.colormap(named: "jet"), img = try image()
        let cases: [(Result<PixelImage, Error>, String)] = [
            (Result { try Overlay.render(image: img, map: [0, 1], colormap: jet, alpha: 0.5, normalisation: .none, dimOutside: nil) },
             "map has 2 values, the 29x17 image needs 493"),
            (Result { try Overlay.render(image: img, map: .init(repeating: 0, count: 493), colormap: jet, alpha: 1.5,
                                         normalisation: .none, dimOutside: nil) }, "alpha must be in [0, 1]"),
            (Result { try Overlay.render(image: img, map: .init(repeating: 0, count: 493), colormap: jet, alpha: .nan,
                                         normalisation: .none, dimOutside: nil) }, "alpha must be in [0, 1]"),
            (Result { try Overlay.render(image: img, map: .init(repeating: 0, count: 493), colormap: jet, alpha: 0.5,
                                         normalisation: .none, dimOutside: (0, 0, -1, 3)) }, "negative size"),
            (Result { try Overlay.heatmap(map: [1, 2, 3], width: 2, height: 2, colormap: jet, normalisation: .minMax) },
             "map has 3 values, a 2x2 heatmap needs"),
            (Result { try Overlay.heatmap(map: [], width: 0, height: 2, colormap: jet, normalisation: .minMax) },
             "must be positive"),
        ]
        for (result, fragment) in cases {
            XCTAssertThrowsError(try result.get()) { e in
                XCTAssertTrue(e is RenderError && "\(e)".contains(fragment), "\(e)")
            }
        }
    }

    func testHeatmapSizeAndColours() throws {
        let jet = try ColormapRegistry.standard.colormap(named: "jet")
        let map: [Float] = (0..<12).map { Float($0) }
        let hm = try Overlay.heatmap(map: map, width: 4, height: 3, colormap: jet, normalisation: .minMax)
        XCTAssertEqual([hm.width, hm.height, hm.channels, hm.depth], [4, 3, 3, 8])
        let norm = MapNormalisation.minMax.apply(map)
        for i in 0..<12 {
            let c = jet.color(norm[i])
            XCTAssertEqual(Array(hm.samples[(3 * i)..<(3 * i + 3)]), [UInt16(c.0), UInt16(c.1), UInt16(c.2)])
        }
        XCTAssertEqual(Array(hm.samples[0..<3]), [0, 0, 128])
    }

    // MARK: Panel

    func testPanelLayoutAndCaptions() throws {
        let img = try image()  // 29x17
        let grey = try PixelImage(width: 10, height: 34, channels: 1, depth: 8, samples: .init(repeating: 200, count: 340))
        let panel = try Panel.compose([(img, "cat"), (grey, "x\n2nd line"), (img, "")])
        // grey 10x34 -> 5x17; captions: two lines of 8 px (minus the last blank row), margins 2 + 2.
        let strip = 2 + 2 + 2 * 8 - 1
        XCTAssertEqual([panel.width, panel.height, panel.channels, panel.depth], [29 + 4 + 5 + 4 + 29, 17 + strip, 3, 8])
        // The first tile is copied unchanged (same height: nearest sampling is the identity).
        for y in 0..<h { for x in 0..<w { for c in 0..<3 { XCTAssertEqual(panel.sample(x, y, c), img.sample(x, y, c)) } } }
        // Gaps are white, the scaled grey tile keeps its value.
        for y in 0..<h { for x in 29..<33 { XCTAssertEqual(panel.sample(x, y, 0), 255) } }
        for y in 0..<h { for x in 33..<38 { XCTAssertEqual(panel.sample(x, y, 1), 200) } }
        func dark(_ xs: Range<Int>, _ ys: Range<Int>) -> Int {
            var n = 0
            for y in ys { for x in xs where (0..<3).allSatisfy({ panel.sample(x, y, $0) == 0 }) { n += 1 } }
            return n
        }
        let captionRows = 17..<panel.height
        XCTAssertGreaterThan(dark(0..<29, captionRows), 10, "'cat' draws ink")
        XCTAssertGreaterThan(dark(33..<38, 17..<(17 + 2 + 7)), 3, "first line of tile 2")
        XCTAssertGreaterThan(dark(33..<38, (17 + 2 + 8)..<panel.height), 3, "second line (cut at the tile edge)")
        XCTAssertEqual(dark(42..<panel.width, captionRows), 0, "empty caption draws nothing")
        XCTAssertEqual(dark(29..<33, captionRows), 0, "text stays inside its tile")
        XCTAssertEqual(dark(38..<42, captionRows), 0, "text stays inside its tile")
    }

    func testGlyphsAndNonASCII() throws {
        let tile = try PixelImage(width: 5, height: 5, channels: 1, depth: 8, samples: .init(repeating: 255, count: 25))
        func ink(_ caption: String) throws -> [[Bool]] {
            let p = try Panel.compose([(tile, caption)])
            return (7..<14).map { y in (0..<5).map { x in p.sample(x, y, 0) == 0 } }
        }
        let l = try ink("L")
        XCTAssertEqual(l.map { $0[0] }, Array(repeating: true, count: 7), "L's stem")
        XCTAssertEqual(l[6], Array(repeating: true, count: 5), "L's foot")
        XCTAssertEqual(l[0].filter { $0 }.count, 1)
        XCTAssertEqual(try ink("é"), try ink("?"))
        XCTAssertEqual(try ink("\u{7}"), try ink("?"))
        XCTAssertNotEqual(try ink("A"), try ink("?"))
        XCTAssertNotEqual(try ink("a"), try ink("e"))
        XCTAssertEqual([17, 199, 200, 224, 399, 400, 600, 5000].map { Panel.textScale(tileHeight: $0) }, [1, 1, 2, 2, 2, 3, 4, 4])
        // A 224-high tile gets 2x text: strip = 2 * (2 * 2) margins + 8 * 2 - 2.
        let big = try PixelImage(width: 224, height: 224, channels: 1, depth: 16, samples: .init(repeating: 65535, count: 224 * 224))
        let p = try Panel.compose([(big, "Grad-CAM")])
        XCTAssertEqual([p.width, p.height], [224, 224 + 8 + 14])
        XCTAssertEqual(p.sample(100, 100, 0), 255, "16-bit white scales to 255")
    }

    func testPanelErrors() throws {
        XCTAssertThrowsError(try Panel.compose([])) { e in XCTAssertTrue("\(e)".contains("needs at least one tile"), "\(e)") }
        let thin = try PixelImage(width: 1, height: 100, channels: 1, depth: 8, samples: .init(repeating: 0, count: 100))
        let wide = try PixelImage(width: 1 << 20, height: 1, channels: 1, depth: 8, samples: .init(repeating: 0, count: 1 << 20))
        XCTAssertThrowsError(try Panel.compose([(thin, ""), (wide, "")])) { e in
            XCTAssertTrue("\(e)".contains("pixel limit"), "\(e)")
        }
    }
}
