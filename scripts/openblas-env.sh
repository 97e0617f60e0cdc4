# Sourced by scripts: OpenBLAS 0.3.21 treats AVX-512 CPUs as Haswell (AVX2), and machines may pin
# OPENBLAS_CORETYPE=Haswell; the SkylakeX kernels are ~1.8x faster for sgemm there (measured:
# 217 vs 389 GFLOPS, 1024^3, 2 threads). The cfcam CLI makes the same choice by itself
# (CFCAM_OPENBLAS_CORETYPE=keep disables it); this covers `swift test` and library users.
if [ "${CFCAM_OPENBLAS_CORETYPE:-}" != keep ] && grep -qw avx512f /proc/cpuinfo 2>/dev/null; then
  export OPENBLAS_CORETYPE="${CFCAM_OPENBLAS_CORETYPE:-SkylakeX}"
fi
