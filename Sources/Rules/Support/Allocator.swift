import CShims
import Graph

/// Makes glibc keep freed large blocks for reuse instead of returning them to the kernel.
///
/// glibc serves blocks above 32 MiB (one batch-32 resnet18 activation is 100 MiB) with a fresh
/// `mmap` each time and unmaps them on free, so every forward pass page-faults (and the kernel
/// zero-fills) each large activation again: ~37,000 faults per batch-32 resnet18 forward.
/// Serving them from the heap, and not trimming it, removes those faults (docs/performance.md).
/// The process keeps its peak heap. The `cfcam` CLI calls it at start; embedders may call it
/// once, early. No effect outside glibc, or when `CFCAM_MALLOC=system` is set.
public func reuseLargeAllocations() {
    guard getenvString("CFCAM_MALLOC") != "system" else { return }
    cfcam_reuse_large_allocations()
}
