/* Preloaded only under valgrind by `visdrop-bench --instructions`, never into the agent otherwise.
 *
 * libdispatch's main thread waits in sigsuspend() with a mask in read-only memory, and
 * valgrind 3.19 (Debian 12) edits the mask in place before the system call: it dies of its own
 * SIGSEGV. This sigsuspend passes the kernel a copy on the stack; nothing else changes. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

int sigsuspend(const sigset_t *mask) {
    sigset_t copy = *mask;
    return (int)syscall(SYS_rt_sigsuspend, &copy, (size_t)8);
}
