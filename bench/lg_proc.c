/* /proc readers for hubbub-loadgen. */
#include "lg_proc.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* utime + stime from /proc/PID/stat, in clock ticks converted to ns (10 ms resolution). */
static int64_t stat_cpu_ns(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    /* The command name may contain spaces and parentheses; fields resume after the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    p++;
    /* After ')': field 3 (state) is the first; utime and stime are fields 14 and 15. */
    unsigned long long utime = 0, stime = 0;
    int field = 2;
    char *save = NULL;
    for (char *tok = strtok_r(p, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        field++;
        if (field == 14)
            utime = strtoull(tok, NULL, 10);
        else if (field == 15) {
            stime = strtoull(tok, NULL, 10);
            break;
        }
    }
    if (field != 15) return -1;
    long hz = sysconf(_SC_CLK_TCK);
    if (hz <= 0) hz = 100;
    return (int64_t)((utime + stime) * (1000000000ULL / (unsigned long long)hz));
}

/* Sum of the on-CPU time of every live thread from /proc/PID/task/TID/schedstat (ns resolution;
 * time of threads that already exited is missing, so this is for processes with long-lived
 * threads). */
static int64_t schedstat_cpu_ns(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d) return -1;
    int64_t sum = 0;
    int found = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] < '0' || de->d_name[0] > '9') continue;
        char p2[96];
        snprintf(p2, sizeof p2, "/proc/%d/task/%.16s/schedstat", (int)pid, de->d_name);
        FILE *f = fopen(p2, "r");
        if (!f) continue;
        unsigned long long run = 0;
        if (fscanf(f, "%llu", &run) == 1) {
            sum += (int64_t)run;
            found++;
        }
        fclose(f);
    }
    closedir(d);
    return found ? sum : -1;
}

int64_t lg_proc_cpu_ns(pid_t pid)
{
    if (pid <= 0) return -1;
    int64_t ns = schedstat_cpu_ns(pid);
    return ns >= 0 ? ns : stat_cpu_ns(pid);
}

long lg_proc_rss_kb(pid_t pid)
{
    if (pid <= 0) return -1;
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long kb = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

int64_t lg_self_cpu_ns(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
    return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
           (int64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
}
