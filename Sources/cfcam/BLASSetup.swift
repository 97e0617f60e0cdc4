#if canImport(Glibc)
import Glibc
#endif

/// OpenBLAS picks its kernels when the library loads, before `main`. Debian's 0.3.21 treats
/// AVX-512 CPUs as Haswell (and machines often pin OPENBLAS_CORETYPE=Haswell); its SkylakeX
/// kernels run sgemm ~1.8x faster there (217 vs 389 GFLOPS, 1024^3, 2 threads, measured on the
/// project's CI machine). So cfcam chooses the core type itself and re-executes once with it:
/// `CFCAM_OPENBLAS_CORETYPE` names one explicitly, `keep` leaves the environment alone, and the
/// default is SkylakeX on CPUs with AVX-512F (otherwise nothing changes).
enum BLASSetup {
    static func preferFastKernels() {
        guard getenv("CFCAM_BLAS_REEXEC") == nil else { return }
        let choice = getenv("CFCAM_OPENBLAS_CORETYPE").map { String(cString: $0) } ?? (cpuHasAVX512() ? "SkylakeX" : "keep")
        guard choice != "keep" else { return }
        let current = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }
        guard current != choice else { return }
        setenv("OPENBLAS_CORETYPE", choice, 1)
        setenv("CFCAM_BLAS_REEXEC", "1", 1)
        var args = CommandLine.arguments.map { strdup($0) }
        args.append(nil)
        execv("/proc/self/exe", &args)
        // execv only returns on failure: carry on with the kernels already loaded.
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
            if s.hasPrefix("flags") { return s.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).contains("avx512f") }
        }
        return false
    }
}
