import CShims
import Graph
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// cfcam's one thread pool: persistent workers that spin briefly for the next job, then sleep.
///
/// libdispatch's `concurrentPerform` cost ~0.2 ms per call on the 2-core VMs cfcam is measured on
/// (waking a sleeping worker each time), which made 49 ReLUs of resnet50 take 11 ms instead of 1.
/// Kernels call back to back, so a worker that keeps spinning for ~100 µs is almost always there.
///
/// Jobs are claimed through one atomic word holding (generation << 32 | next index), so a worker
/// that wakes late can never run an item of a job that has already finished.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(workers: max(0, activeProcessorCount() - 1))

    private let claim = Atomic<UInt64>(0)
    private let remaining = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let busy = Atomic<Bool>(false)
    private var mutex = pthread_mutex_t()
    private var cond = pthread_cond_t()
    // The current job; written only while no item of a previous job is unclaimed.
    private var total = 0
    private var body: ((Int) -> Void)? = nil
    let workers: Int
    /// Pause-loop iterations a worker spins before sleeping (~30 ns each).
    static let spinLimit = Int(getenvString("CFCAM_SPIN") ?? "") ?? 20_000

    private init(workers: Int) {
        self.workers = workers
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&cond, nil)
        for _ in 0..<workers {
            var tid = pthread_t()
            let me = Unmanaged.passRetained(self).toOpaque()
            pthread_create(&tid, nil, { arg in
                guard let arg else { return nil }
                Unmanaged<WorkerPool>.fromOpaque(arg).takeRetainedValue().workerLoop()
                return nil
            }, me)
            pthread_detach(tid)
        }
    }

    /// Runs `body(0..<count)` across the calling thread and the workers; returns when all are done.
    /// A call made while another job runs (nested parallelism) runs inline on the caller.
    func run(_ count: Int, _ job: (Int) -> Void) {
        guard count > 1, workers > 0, busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for i in 0..<count { job(i) }
            return
        }
        withoutActuallyEscaping(job) { escapable in
            body = escapable
            total = count
            remaining.store(count, ordering: .releasing)
            let gen = (claim.load(ordering: .relaxed) >> 32) &+ 1
            claim.store(gen << 32, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(&mutex); pthread_cond_broadcast(&cond); pthread_mutex_unlock(&mutex)
            }
            work(generation: gen)
            while remaining.load(ordering: .acquiring) > 0 { spinPause() }
            body = nil
        }
        busy.store(false, ordering: .releasing)
    }

    /// Claims and runs items of job `generation` until none are left.
    private func work(generation gen: UInt64) {
        while true {
            let v = claim.load(ordering: .acquiring)
            guard v >> 32 == gen else { return }
            let i = Int(v & 0xFFFF_FFFF)
            guard i < total else { return }
            guard claim.compareExchange(expected: v, desired: v + 1, ordering: .acquiringAndReleasing).exchanged else { continue }
            // The claim succeeded, so this job is live and its fields are stable.
            body?(i)
            remaining.subtract(1, ordering: .releasing)
        }
    }

    private func workerLoop() {
        var seen: UInt64 = 0
        let spinLimit = WorkerPool.spinLimit   // read once (a static's lazy-init check per spin showed in profiles)
        while true {
            var spins = 0
            var gen = claim.load(ordering: .acquiring) >> 32
            while gen == seen {
                spins += 1
                if spins < spinLimit { spinPause(); gen = claim.load(ordering: .acquiring) >> 32; continue }
                pthread_mutex_lock(&mutex)
                sleepers.add(1, ordering: .sequentiallyConsistent)
                while claim.load(ordering: .sequentiallyConsistent) >> 32 == seen { pthread_cond_wait(&cond, &mutex) }
                sleepers.subtract(1, ordering: .sequentiallyConsistent)
                pthread_mutex_unlock(&mutex)
                gen = claim.load(ordering: .acquiring) >> 32
                spins = 0
            }
            seen = gen
            work(generation: gen)
        }
    }

    @inline(__always) private func spinPause() { cfcam_spin_pause() }
}
