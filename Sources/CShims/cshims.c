#include "include/cshims.h"

#include <stdlib.h>  /* defines __GLIBC__ */
#if defined(__GLIBC__)
#include <malloc.h>
void cfcam_reuse_large_allocations(void) {
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, 0x7fffffff);
}
#else
void cfcam_reuse_large_allocations(void) {}
#endif
