// Fuzz target for the .npy / .npz readers.
//
// Fuzzing:  swift build -Xswiftc -sanitize=fuzzer --product FuzzNPY --scratch-path .build-fuzz
//           .build-fuzz/debug/FuzzNPY CORPUS_DIR fixtures/npz/... (libFuzzer options apply)
// Replay:   a plain `swift build --product FuzzNPY` gives a program that runs the same checks on the
//           files given as arguments (e.g. the regression inputs in fixtures/fuzz/npy/).
#if canImport(Glibc)
import Glibc
#endif
import Importers

/// Feeds `data` to both parsers; errors are expected, crashes are bugs.
func fuzzOne(_ data: [UInt8]) {
    _ = try? NPY.read(data: data, name: "fuzz.npy")
    _ = try? NPZ.read(data: data, name: "fuzz.npz")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    guard let bytes, count > 0 else { fuzzOne([]); return 0 }
    fuzzOne(Array(UnsafeBufferPointer(start: bytes, count: count)))
    return 0
}

// Built with -sanitize=fuzzer, libFuzzer's driver is linked in: hand control to it.
typealias Driver = @convention(c) (UnsafeMutablePointer<Int32>, UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                                   @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32
let testOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32 = { fuzzerTestOneInput($0, $1) }
let anchor: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32 = fuzzerTestOneInput
if let sym = findLibFuzzerDriver(anchorName: "LLVMFuzzerTestOneInput", anchor: unsafeBitCast(anchor, to: UnsafeRawPointer.self)) {
    let driver = unsafeBitCast(sym, to: Driver.self)
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(driver(&argc, &argv, testOneInput))
}

// Otherwise replay the files given as arguments.
var failures = 0
for path in CommandLine.arguments.dropFirst() {
    guard let f = fopen(path, "rb") else { print("cannot open \(path)"); failures += 1; continue }
    var data: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buf, 1, buf.count, f)
        if n <= 0 { break }
        data += buf[0..<n]
    }
    fclose(f)
    fuzzOne(data)
    print("ok \(path) (\(data.count) bytes)")
}
exit(failures == 0 ? 0 : 1)
