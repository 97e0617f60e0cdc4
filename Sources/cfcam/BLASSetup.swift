#if canImport(Glibc)
import Glibc
#endif

/// OpenBLAS picks its kernels when the library loads, before `main`. Debian's 0.3.21 detects
/// AVX-512 CPUs as Haswell; the SkylakeX kernels are ~1.8x faster here (see scripts/openblas-env.sh).
/// So when the variable is unset on an AVX-512 CPU, set it and re-execute once.
enum BLASSetup {
    static func preferFastKernels() {
        guard getenv("OPENBLAS_CORETYPE") == nil, getenv("CFCAM_NO_REEXEC") == nil, cpuHasAVX512() else { return }
        setenv("OPENBLAS_CORETYPE", "SkylakeX", 1)
        setenv("CFCAM_NO_REEXEC", "1", 1)
        var args = CommandLine.arguments.map { strdup($0) }
        args.append(nil)
        execv("/proc/self/exe", &args)
        // execv only returns on failure: carry on with the default kernels.
    }

    private static func cpuHasAVX512() -> Bool {
        guard let f = fopen("/proc/cpuinfo", "r") else { return false }
        defer { fclose(f) }
        var line: UnsafeMutablePointer<CChar>? = nil
        var cap = 0
        defer { free(line) }
        while getline(&line, &cap, f) > 0 {
            guard let l = line else { break }
            let s = String(cString: l)
            if s.hasPrefix("flags") { return s.split(separator: " ").contains("avx512f") }
        }
        return false
    }
}
