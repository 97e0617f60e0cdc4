#ifndef CFCAM_CSHIMS_H
#define CFCAM_CSHIMS_H
/// CPU hint for spin-wait loops (x86 `pause`), so a spinning worker yields execution resources.
static inline void cfcam_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/// glibc: serve large blocks from the heap and never trim it (see Allocator.swift). No-op elsewhere.
void cfcam_reuse_large_allocations(void);
#endif
