/* hub_err.h - the one error table of Hubbub.
 *
 * Every function that can fail returns int: 0 (or a non-negative count) on success and a negative HUB_E*
 * code on failure. hub_strerror() names a code. The table is shared by every layer, so it lives in the
 * lowest one (protocol/). */
#ifndef HUB_ERR_H
#define HUB_ERR_H

#define HUB_ERRNO_MAP(X)                                                   \
    X(NOMEM, -1, "out of memory")                                          \
    X(INVAL, -2, "invalid argument")                                       \
    X(PARSE, -3, "malformed input")                                        \
    X(AGAIN, -4, "need more input")                                        \
    X(TOOBIG, -5, "too large")                                             \
    X(NOTFOUND, -6, "not found")                                           \
    X(EXISTS, -7, "already exists")                                        \
    X(CLOSED, -8, "connection closed")                                     \
    X(FULL, -9, "buffer full")                                             \
    X(TIMEOUT, -10, "timed out")                                           \
    X(IO, -11, "input/output error")                                       \
    X(STATE, -12, "not allowed in this state")                             \
    X(UNSUPPORTED, -13, "unsupported")                                     \
    X(LIMIT, -14, "limit reached")

enum {
#define HUB_ERR_ENUM(name, code, text) HUB_E##name = (code),
    HUB_ERRNO_MAP(HUB_ERR_ENUM)
#undef HUB_ERR_ENUM
};

/* Returns a static, human-readable text for a HUB_E* code (or "unknown error"). */
const char *hub_strerror(int err);

#endif
