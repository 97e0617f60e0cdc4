// libFuzzer harness for the ONNX importer.
//
// With `-Xswiftc -sanitize=fuzzer`, libFuzzer supplies `main` and calls `LLVMFuzzerTestOneInput`.
// Without it (plain `swift build`), this file's top-level code replays the files given as
// arguments through the same function, which is how a crashing input is reproduced.
import Importers

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // No base directory: external data is refused, so the fuzzer never reads other files.
    _ = try? ONNXImporter.load(data: bytes, path: "<fuzz>", baseDirectory: nil)
    return 0
}

#if !FUZZING
import Foundation

for path in CommandLine.arguments.dropFirst() {
    guard let d = FileManager.default.contents(atPath: path) else {
        print("cannot read \(path)")
        continue
    }
    let bytes = [UInt8](d)
    let rc = bytes.withUnsafeBufferPointer { buf -> CInt in
        let p = buf.baseAddress ?? UnsafePointer<UInt8>(bitPattern: 1)!
        return fuzz(p, buf.count)
    }
    do {
        _ = try ONNXImporter.load(data: bytes, path: path, baseDirectory: nil)
        print("\(path): loaded")
    } catch {
        print("\(path): \(error)")
    }
    _ = rc
}
#endif
