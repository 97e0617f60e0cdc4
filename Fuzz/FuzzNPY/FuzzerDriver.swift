#if canImport(Glibc)
import Glibc
#endif

/// libFuzzer's `LLVMFuzzerRunDriver`, when this program was linked with `-sanitize=fuzzer`.
///
/// SwiftPM links executables with `--defsym main=<module>_main`, so our top-level code runs instead
/// of libFuzzer's `main`; the driver is linked in but not exported to the dynamic symbol table, so
/// `dlsym` cannot see it. It is found in the executable's own ELF symbol table instead, relocated by
/// the load offset measured on `anchor` (a function whose symbol name and runtime address we know).
/// Returns nil in a normal build (no such symbol), and on any parsing problem.
func findLibFuzzerDriver(anchorName: String, anchor: UnsafeRawPointer) -> UnsafeRawPointer? {
    guard let f = fopen("/proc/self/exe", "rb") else { return nil }
    defer { fclose(f) }
    func read(_ offset: Int, _ count: Int) -> [UInt8]? {
        guard count >= 0, count < 1 << 30, fseek(f, offset, SEEK_SET) == 0 else { return nil }
        var b = [UInt8](repeating: 0, count: count)
        return fread(&b, 1, count, f) == count ? b : nil
    }
    func u(_ b: [UInt8], _ at: Int, _ size: Int) -> Int {
        guard at >= 0, at + size <= b.count else { return -1 }
        var v = 0
        for k in (0..<size).reversed() { v = v << 8 | Int(b[at + k]) }
        return v
    }
    // ELF64 little-endian header: section header table offset, entry size and count.
    guard let eh = read(0, 64), eh[0..<4] == [0x7F, 0x45, 0x4C, 0x46], eh[4] == 2, eh[5] == 1 else { return nil }
    let shoff = u(eh, 0x28, 8), shentsize = u(eh, 0x3A, 2), shnum = u(eh, 0x3C, 2)
    guard shentsize == 64, let sh = read(shoff, shnum * 64) else { return nil }
    for i in 0..<shnum where u(sh, i * 64 + 4, 4) == 2 { // SHT_SYMTAB
        let off = u(sh, i * 64 + 0x18, 8), size = u(sh, i * 64 + 0x20, 8), link = u(sh, i * 64 + 0x28, 4)
        guard link >= 0, link < shnum, let syms = read(off, size),
              let strs = read(u(sh, link * 64 + 0x18, 8), u(sh, link * 64 + 0x20, 8)) else { return nil }
        var driver = 0, anchorValue = 0
        for s in stride(from: 0, to: syms.count - 23, by: 24) {
            let nameOff = u(syms, s, 4), value = u(syms, s + 8, 8)
            guard nameOff > 0, nameOff < strs.count, value > 0 else { continue }
            var end = nameOff
            while end < strs.count, strs[end] != 0 { end += 1 }
            let name = String(decoding: strs[nameOff..<end], as: UTF8.self)
            if name == "LLVMFuzzerRunDriver" { driver = value }
            if name == anchorName { anchorValue = value }
        }
        guard driver > 0, anchorValue > 0 else { return nil }
        return UnsafeRawPointer(bitPattern: Int(bitPattern: anchor) - anchorValue + driver)
    }
    return nil
}
