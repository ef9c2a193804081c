/* qs.h - the query-string unescaping Node's querystring module does (pure: no I/O, no allocation). */
#ifndef HUB_QS_H
#define HUB_QS_H

#include <stddef.h>

/* Decodes s[0..n) into dst (n bytes at most): '+' as a space, %XX as its byte; a '%' that starts no
 * %XX stays as it is. Returns the decoded length. */
size_t qs_unescape(const char *s, size_t n, char *dst);

#endif
