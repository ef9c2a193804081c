/* log.c - see log.h.
 *
 * The whole line is formatted into one stack buffer and written with a single fwrite, so a line is
 * never interleaved with another writer's output (stderr is unbuffered: one fwrite, one write). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define LINE_MAX_BYTES 4096

/* Process-wide, set once at start-up; the loop only reads it. */
static enum hub_log_level threshold = HUB_LOG_INFO;

static const char *const level_words[] = {
    [HUB_LOG_ERROR] = "ERROR",
    [HUB_LOG_WARN] = "WARN ",
    [HUB_LOG_INFO] = "INFO ",
    [HUB_LOG_DEBUG] = "DEBUG",
};

void hub_log_set_level(enum hub_log_level lvl)
{
    threshold = lvl > HUB_LOG_DEBUG ? HUB_LOG_DEBUG : lvl;
}

int hub_log_enabled(enum hub_log_level lvl)
{
    return lvl == HUB_LOG_ERROR || lvl <= threshold;
}

static size_t format_time(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    size_t n;

    if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || !gmtime_r(&ts.tv_sec, &tm))
        return 0;
    n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    if (n == 0)
        return 0;
    int m = snprintf(buf + n, len - n, ".%03ldZ ", (long)(ts.tv_nsec / 1000000));
    return m > 0 && (size_t)m < len - n ? n + (size_t)m : 0;
}

void hub_log(enum hub_log_level lvl, const char *fmt, ...)
{
    char line[LINE_MAX_BYTES];
    size_t n, room;
    va_list ap;
    int m;

    if (!hub_log_enabled(lvl))
        return;
    if (lvl > HUB_LOG_DEBUG)
        lvl = HUB_LOG_DEBUG;

    n = format_time(line, sizeof(line));
    n += (size_t)snprintf(line + n, sizeof(line) - n, "%s ", level_words[lvl]);

    /* Keep two bytes for "\n" and the NUL that vsnprintf always writes. */
    room = sizeof(line) - n - 1;
    va_start(ap, fmt);
    m = vsnprintf(line + n, room, fmt, ap);
    va_end(ap);
    if (m < 0) {
        m = snprintf(line + n, room, "(bad log format: %s)", fmt);
        if (m < 0)
            m = 0;
    }
    if ((size_t)m >= room) {
        n += room - 1;
        memcpy(line + n - 3, "...", 3);
    } else {
        n += (size_t)m;
        if (m > 0 && line[n - 1] == '\n')
            n--;
    }
    line[n++] = '\n';
    fwrite(line, 1, n, stderr);
}
