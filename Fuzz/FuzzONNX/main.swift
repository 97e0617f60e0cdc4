// libFuzzer harness for the ONNX importer.
//
// Fuzzing build:  swift build -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING --product FuzzONNX \
//                   --scratch-path .build-fuzz
//   then:         .build-fuzz/debug/FuzzONNX -max_total_time=180 <corpus dir> fixtures/onnx-small
// SwiftPM gives executable targets their own `main`, which shadows libFuzzer's, so under FUZZING
// the top-level code hands control to libFuzzer through its public `LLVMFuzzerRunDriver`.
// Plain build (no FUZZING): replays the files given as arguments through the same function and
// prints each one's outcome, which is how a crashing input is reproduced.
import Importers

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // No base directory: external data is refused, so the fuzzer never reads other files.
    _ = try? ONNXImporter.load(data: bytes, path: "<fuzz>", baseDirectory: nil)
    return 0
}

#if FUZZING
#if canImport(Glibc)
import Glibc
#endif
typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: FuzzCallback) -> CInt

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, { data, size in fuzz(data, size) }))
#else
import Foundation

for path in CommandLine.arguments.dropFirst() {
    guard let d = FileManager.default.contents(atPath: path) else {
        print("\(path): cannot read")
        continue
    }
    do {
        _ = try ONNXImporter.load(data: [UInt8](d), path: path, baseDirectory: nil)
        print("\(path): loaded")
    } catch {
        print("\(path): \(error)")
    }
}
#endif
