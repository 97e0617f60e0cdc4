import CKernels
@testable import Rules
import TestSupport
import XCTest

/// The channel-blocked depthwise kernel (`cfcam_depthwise_blocked`) and the direct kernel
/// (`cfcam_depthwise_direct`) against the portable plane-at-a-time loop (`cfcam_depthwise` with
/// simd 0). Blocked: channel counts around the 16-lane blocks, batches, 1x1 to 7x7 kernels,
/// strides 1 to 3, dilation, asymmetric padding (leading pads and output sizes chosen
/// independently), maps up to 63 wide, every fused activation, with and without bias, weights
/// packed once or per block, and the first / last block of a range.
final class DepthwiseKernelTests: XCTestCase {
    func testBlockedKernelMatchesPlaneLoop() throws {
        guard FastGEMM.available else { throw XCTSkip("this CPU has no AVX-512; the blocked kernel never runs") }
        var rng = TestRNG(seed: 11)
        var checked = 0
        for trial in 0..<160 {
            let channels = [1, 5, 15, 16, 17, 31, 33, 37][trial % 8], batch = 1 + trial % 3
            let kh = [1, 3, 5, 7][trial % 4], kw = [3, 1, 5, 3, 7][trial % 5]
            let sh = 1 + trial % 3, sw = 1 + (trial / 3) % 2, dh = 1 + (trial / 7) % 2, dw = 1 + (trial / 5) % 2
            let ih = 1 + rng.below(14), iw = 1 + rng.below(trial % 5 == 0 ? 64 : 30)
            let ph = rng.below(kh), pw = rng.below(kw)
            // Output sizes from the leading pads and a trailing pad of 0 ..< kernel.
            let oh = (ih + ph + rng.below(kh) - ((kh - 1) * dh + 1)) / sh + 1
            let ow = (iw + pw + rng.below(kw) - ((kw - 1) * dw + 1)) / sw + 1
            guard oh > 0, ow > 0 else { continue }
            var win = cfcam_window(ih: ih, iw: iw, oh: oh, ow: ow, kh: kh, kw: kw, sh: sh, sw: sw, ph: ph, pw: pw,
                                   dh: dh, dw: dw)
            let x = (0..<(batch * channels * ih * iw)).map { _ in rng.normal() * 3 }
            let w = (0..<(channels * kh * kw)).map { _ in rng.normal() }
            let bias: [Float]? = trial % 4 == 3 ? nil : (0..<channels).map { _ in rng.normal() }
            let act = Int32(trial % 6)   // CFCAM_ACT_NONE ... CFCAM_ACT_SILU
            let lo: Float = trial % 12 == 2 ? -1 : 0, hi: Float = 6
            let count = batch * channels * oh * ow
            var want = [Float](repeating: 0, count: count), got = [Float](repeating: .nan, count: count)
            var planeScratch = [Float](repeating: 0, count: cfcam_depthwise_scratch(&win))
            var blockScratch = [Float](repeating: .nan, count: cfcam_depthwise_blocked_scratch(&win))
            // Row splits 1 to 4 (more than the output has rows leaves some tasks empty).
            let splits = 1 + (trial / 8) % 4, tasks = batch * ((channels + 15) / 16) * splits, split = tasks / 2
            // Every other trial reads the weights packed once (NaN past the pack's end would show).
            let taps = kh * kw, usePacked = trial % 2 == 1
            var packed = [Float](repeating: .nan, count: cfcam_depthwise_blocked_packed_size(channels, taps) + 16)
            cfcam_depthwise_blocked_pack(w, channels, taps, &packed)
            withOptional(bias) { b in
                cfcam_depthwise(&win, x, w, b, &want, 0, batch * channels, channels, 1, &planeScratch, act, lo, hi, 0)
                packed.withUnsafeBufferPointer { pb in
                    let pp = usePacked ? pb.baseAddress : nil
                    // Two calls (tasks 0 ..< split, split ..< all) as two threads would make them.
                    cfcam_depthwise_blocked(&win, x, w, pp, b, &got, 0, split, channels, splits, &blockScratch, act,
                                            lo, hi)
                    cfcam_depthwise_blocked(&win, x, w, pp, b, &got, split, tasks, channels, splits, &blockScratch,
                                            act, lo, hi)
                }
            }
            let what = "C \(channels) N \(batch) in \(ih)x\(iw) out \(oh)x\(ow) k \(kh)x\(kw) s \(sh),\(sw) d \(dh),\(dw) "
                + "pads \(ph),\(pw) act \(act) bias \(bias != nil) splits \(splits) packed \(usePacked)"
            checked += assertSameOutputs(got, want, what)
        }
        XCTAssertGreaterThan(checked, 20_000)
    }

    /// The direct kernel (wide maps, stride 1 or 2 across, read in place) against the portable loop:
    /// widths around the 16-lane vectors and the four-vector column groups (up to 100), heights
    /// that leave 1 to 3 rows after the row blocks, vertical strides 1 to 3, kernels 1x1 to 7x7,
    /// pads up to the kernel on each side, channel multipliers, every activation, with and
    /// without bias, and a plane range cut in two as two threads would call it. NaN fills the
    /// output and the scratch, so a lane left unwritten or a padding row not zeroed shows.
    func testDirectKernelMatchesPlaneLoop() throws {
        guard FastGEMM.available else { throw XCTSkip("this CPU has no AVX-512; the direct kernel never runs") }
        var rng = TestRNG(seed: 23)
        var checked = 0
        for trial in 0..<200 {
            let inChannels = [1, 3, 5, 8][trial % 4], multiplier = trial % 7 == 6 ? 2 : 1
            let channels = inChannels * multiplier, batch = 1 + trial % 2
            let kh = [1, 3, 5, 7, 3][trial % 5], kw = [3, 5, 1, 7][trial % 4]
            let sh = 1 + trial % 3, sw = 1 + (trial / 3) % 2
            let ih = 1 + rng.below(20), iw = 1 + rng.below(100)
            let ph = rng.below(kh), pw = rng.below(kw)
            let oh = (ih + ph + rng.below(kh) - kh) / sh + 1
            let ow = (iw + pw + rng.below(kw) - kw) / sw + 1
            guard oh > 0, ow > 0 else { continue }
            var win = cfcam_window(ih: ih, iw: iw, oh: oh, ow: ow, kh: kh, kw: kw, sh: sh, sw: sw, ph: ph, pw: pw,
                                   dh: 1, dw: 1)
            XCTAssertEqual(cfcam_depthwise_direct_fits(&win), 1)
            let x = (0..<(batch * inChannels * ih * iw)).map { _ in rng.normal() * 3 }
            let w = (0..<(channels * kh * kw)).map { _ in rng.normal() }
            let bias: [Float]? = trial % 4 == 3 ? nil : (0..<channels).map { _ in rng.normal() }
            let act = Int32(trial % 6)   // CFCAM_ACT_NONE ... CFCAM_ACT_SILU
            let lo: Float = trial % 12 == 2 ? -1 : 0, hi: Float = 6
            let count = batch * channels * oh * ow, planes = batch * channels, split = planes / 2
            var want = [Float](repeating: 0, count: count), got = [Float](repeating: .nan, count: count)
            var planeScratch = [Float](repeating: 0, count: cfcam_depthwise_scratch(&win))
            var directScratch = [Float](repeating: .nan, count: cfcam_depthwise_direct_scratch(&win))
            var ran: [Int32] = []
            withOptional(bias) { b in
                cfcam_depthwise(&win, x, w, b, &want, 0, planes, channels, multiplier, &planeScratch, act, lo, hi, 0)
                ran.append(cfcam_depthwise_direct(&win, x, w, b, &got, 0, split, channels, multiplier, &directScratch,
                                                  act, lo, hi))
                ran.append(cfcam_depthwise_direct(&win, x, w, b, &got, split, planes, channels, multiplier,
                                                  &directScratch, act, lo, hi))
            }
            XCTAssertEqual(ran, [1, 1])
            let what = "C \(channels) (x\(multiplier)) N \(batch) in \(ih)x\(iw) out \(oh)x\(ow) k \(kh)x\(kw) "
                + "s \(sh),\(sw) pads \(ph),\(pw) act \(act) bias \(bias != nil)"
            checked += assertSameOutputs(got, want, what)
        }
        XCTAssertGreaterThan(checked, 50_000)
    }

    func testDirectKernelDeclinesOtherGeometries() {
        func fits(sw: Int = 1, dw: Int = 1, dh: Int = 1, kw: Int = 3, ow: Int = 56) -> Int32 {
            var g = cfcam_window(ih: 56, iw: 56 * sw, oh: 56, ow: ow, kh: 3, kw: kw, sh: 1, sw: sw, ph: 1, pw: 1,
                                 dh: dh, dw: dw)
            return cfcam_depthwise_direct_fits(&g)
        }
        XCTAssertEqual(fits(), 1)
        XCTAssertEqual(fits(sw: 2), 1)
        XCTAssertEqual(fits(sw: 3), 0, "stride 3 across: the padded-copy kernel")
        XCTAssertEqual(fits(dw: 2), 0, "dilation: the padded-copy kernel")
        XCTAssertEqual(fits(dh: 2), 0, "dilation: the padded-copy kernel")
        XCTAssertEqual(fits(kw: 9), 0, "9 taps across")
        XCTAssertEqual(fits(ow: 513), 0, "wider than 32 vectors")
    }

    func testKernelChoice() {
        func problem(channels: Int, multiplier: Int = 1, out: Int, kernel: Int = 3) -> NNConvKernels.Problem {
            let geo = NNWindow(input: [out, out], kernel: [kernel, kernel], strides: [1, 1], dilations: [1, 1],
                               padsBegin: [kernel / 2, kernel / 2], padsEnd: [kernel / 2, kernel / 2], output: [out, out])
            return NNConvKernels.Problem(batch: 1, inChannels: channels, outChannels: channels * multiplier,
                                         group: channels, geo: geo)
        }
        XCTAssertTrue(NNConvKernels.blockedDepthwiseFits(problem(channels: 96, out: 3)))
        XCTAssertTrue(NNConvKernels.blockedDepthwiseFits(problem(channels: 40, out: 19)))
        XCTAssertFalse(NNConvKernels.blockedDepthwiseFits(problem(channels: 40, out: 20)), "3x3, 20 wide: direct")
        XCTAssertTrue(NNConvKernels.directFits(problem(channels: 40, out: 20)))
        XCTAssertTrue(NNConvKernels.blockedDepthwiseFits(problem(channels: 40, out: 56, kernel: 5)), "5x5: blocked")
        XCTAssertFalse(NNConvKernels.blockedDepthwiseFits(problem(channels: 40, out: 57, kernel: 5)))
        XCTAssertFalse(NNConvKernels.blockedDepthwiseFits(problem(channels: 40, out: 28)), "28 wide: direct")
        XCTAssertFalse(NNConvKernels.blockedDepthwiseFits(problem(channels: 8, multiplier: 2, out: 7)),
                       "a channel multiplier: the plane kernel")
        XCTAssertFalse(NNConvKernels.blockedDepthwiseFits(problem(channels: 8, out: 7, kernel: 9)), "81 taps")
    }
}

/// Compares a kernel's output with the portable loop's, element by element; returns the count.
private func assertSameOutputs(_ got: [Float], _ want: [Float], _ what: String,
                               file: StaticString = #filePath, line: UInt = #line) -> Int {
    XCTAssertEqual(got.count, want.count, what, file: file, line: line)
    for i in 0..<min(got.count, want.count) {
        XCTAssertEqual(got[i], want[i], accuracy: 2e-5 * max(1, abs(want[i])), "\(what) at \(i)", file: file, line: line)
    }
    return want.count
}

private func withOptional(_ values: [Float]?, _ body: (UnsafePointer<Float>?) -> Void) {
    guard let values else { body(nil); return }
    values.withUnsafeBufferPointer { body($0.baseAddress) }
}
