/* log.h - the hub's logging: one line per message on stderr, with a UTC timestamp and a level word.
 *
 *     2024-05-01T12:00:00.123Z INFO  listening on 0.0.0.0:3000
 *
 * The threshold is the one process-wide logging setting: set it once at start-up from the config
 * (hub_log_set_level(cfg.log_level)); messages above it cost only a comparison. */
#ifndef HUB_LOG_H
#define HUB_LOG_H

#include "config.h" /* enum hub_log_level */

#if defined(__GNUC__) || defined(__clang__)
#define HUB_LOG_PRINTF(fmt_index, first_arg) __attribute__((format(printf, fmt_index, first_arg)))
#else
#define HUB_LOG_PRINTF(fmt_index, first_arg)
#endif

/* Formats a message printf-style and writes it as one line to stderr when lvl is at or below the
 * current threshold (HUB_LOG_ERROR is always written). A trailing newline in fmt is not doubled;
 * very long messages are truncated. Nothing is allocated. */
void hub_log(enum hub_log_level lvl, const char *fmt, ...) HUB_LOG_PRINTF(2, 3);

/* Sets the threshold; the default is HUB_LOG_INFO. Values past HUB_LOG_DEBUG count as debug. */
void hub_log_set_level(enum hub_log_level lvl);

/* Returns non-zero when a message at lvl would be written: lets a caller skip building an expensive
 * argument (a hex dump, an encoded packet) that would be thrown away. */
int hub_log_enabled(enum hub_log_level lvl);

#endif
