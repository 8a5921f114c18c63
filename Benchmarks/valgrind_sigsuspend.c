// Preloaded into weir under valgrind by `Benchmarks/pipeline --instructions`.
//
// Valgrind 3.19 (Debian 12's) deletes its own signal from the mask that rt_sigsuspend is
// given, in place. libdispatch's main thread, parked by dispatchMain, calls sigsuspend with
// a `static const sigset_t` in read-only memory, so valgrind's write faults and valgrind
// dies ("Valgrind received a signal 11", thread 1 in _dispatch_sigsuspend). This sigsuspend
// hands the kernel a writable copy of the mask instead; the program's behaviour is unchanged.
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

int sigsuspend(const sigset_t *mask) {
    sigset_t copy = *mask;
    return (int)syscall(SYS_rt_sigsuspend, &copy, _NSIG / 8);
}
