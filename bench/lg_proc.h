/* Reading another process's CPU time and memory from /proc, for hubbub-loadgen. */
#ifndef LG_PROC_H
#define LG_PROC_H

#include <stdint.h>
#include <sys/types.h>

/* CPU time used so far by process pid, in nanoseconds: the sum of its live threads' schedstat run
 * time (ns resolution), or, where schedstat is missing, utime + stime from /proc/PID/stat (clock
 * ticks, usually 10 ms). Returns -1 if pid is 0 or nothing can be read. */
int64_t lg_proc_cpu_ns(pid_t pid);

/* VmRSS of process pid in kB, or -1 if pid is 0 or the file cannot be read. */
long lg_proc_rss_kb(pid_t pid);

/* CPU time (user + system) of this process so far, in nanoseconds. */
int64_t lg_self_cpu_ns(void);

#endif
