/* testlib.h - the unit tests' few macros. A test file defines test functions, lists them in main with
 * RUN(), and ends with TEST_SUMMARY(). Failures print file:line and the expression; the exit status is
 * the number of failed checks (capped at 1). */
#ifndef HUB_TESTLIB_H
#define HUB_TESTLIB_H

#include <stdio.h>
#include <string.h>

static int tl_failed, tl_checks, tl_tests;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        tl_checks++;                                                                               \
        if (!(cond)) {                                                                             \
            tl_failed++;                                                                           \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_INT(a, b)                                                                            \
    do {                                                                                           \
        long long tl_a = (long long)(a), tl_b = (long long)(b);                                    \
        tl_checks++;                                                                               \
        if (tl_a != tl_b) {                                                                        \
            tl_failed++;                                                                           \
            fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, #a,    \
                    tl_a, #b, tl_b);                                                               \
        }                                                                                          \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *tl_a = (a), *tl_b = (b);                                                       \
        tl_checks++;                                                                               \
        if (!tl_a || !tl_b || strcmp(tl_a, tl_b) != 0) {                                           \
            tl_failed++;                                                                           \
            fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a,      \
                    tl_a ? tl_a : "(null)", tl_b ? tl_b : "(null)");                               \
        }                                                                                          \
    } while (0)

#define CHECK_MEM(a, alen, b, blen)                                                                \
    do {                                                                                           \
        size_t tl_al = (alen), tl_bl = (blen);                                                     \
        tl_checks++;                                                                               \
        if (tl_al != tl_bl || memcmp((a), (b), tl_al) != 0) {                                      \
            tl_failed++;                                                                           \
            fprintf(stderr, "%s:%d: %s (%zu bytes) differs from %s (%zu bytes)\n", __FILE__,       \
                    __LINE__, #a, tl_al, #b, tl_bl);                                               \
        }                                                                                          \
    } while (0)

#define RUN(fn)                                                                                    \
    do {                                                                                           \
        int tl_before = tl_failed;                                                                 \
        tl_tests++;                                                                                \
        fn();                                                                                      \
        fprintf(stderr, "%s %s\n", tl_failed == tl_before ? "ok  " : "FAIL", #fn);                 \
    } while (0)

#define TEST_SUMMARY()                                                                             \
    (fprintf(stderr, "%d tests, %d checks, %d failed\n", tl_tests, tl_checks, tl_failed),          \
     tl_failed ? 1 : 0)

#endif
