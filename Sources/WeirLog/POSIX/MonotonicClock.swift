import Glibc

/// Monotonic milliseconds (`CLOCK_MONOTONIC`), for timeouts and deadlines: never moved
/// by a change of the wall clock.
package func monotonicMillis() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
}
