/* test_wsframe.c - server frame headers (RFC 6455 section 5.2), written into exact-size buffers
 * that end right before an unwritable page. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "testlib.h"
#include "wsframe.h"

struct guard {
    uint8_t *map;
    size_t maplen;
};

static uint8_t *guard_buf(struct guard *g, size_t n)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE), pages = n / pg + 1;

    g->maplen = (pages + 1) * pg;
    g->map = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g->map == MAP_FAILED || mprotect(g->map + pages * pg, pg, PROT_NONE) != 0) abort();
    return g->map + pages * pg - n;
}

static void guard_free(struct guard *g)
{
    munmap(g->map, g->maplen);
}

static void check_header(int opcode, size_t len, const uint8_t *want, size_t want_len)
{
    struct guard g;
    uint8_t *dst;

    CHECK_INT(wsframe_header_len(len), want_len);
    dst = guard_buf(&g, want_len);
    CHECK_INT(wsframe_header_write(dst, opcode, len), want_len);
    CHECK_MEM(dst, want_len, want, want_len);
    guard_free(&g);
}

static void test_short(void)
{
    /* RFC 6455 5.7: a single-frame unmasked text message "Hello" starts 0x81 0x05. */
    check_header(WSFRAME_OP_TEXT, 5, (const uint8_t[]){0x81, 0x05}, 2);
    check_header(WSFRAME_OP_TEXT, 0, (const uint8_t[]){0x81, 0x00}, 2);
    check_header(WSFRAME_OP_BINARY, 125, (const uint8_t[]){0x82, 125}, 2);
}

static void test_medium(void)
{
    /* RFC 6455 5.7: 256 bytes binary in a single unmasked frame: 0x82 0x7E 0x0100. */
    check_header(WSFRAME_OP_BINARY, 256, (const uint8_t[]){0x82, 0x7e, 0x01, 0x00}, 4);
    check_header(WSFRAME_OP_TEXT, 126, (const uint8_t[]){0x81, 0x7e, 0x00, 0x7e}, 4);
    check_header(WSFRAME_OP_TEXT, 65535, (const uint8_t[]){0x81, 0x7e, 0xff, 0xff}, 4);
}

static void test_long(void)
{
    /* RFC 6455 5.7: 64KiB binary in a single unmasked frame: 0x82 0x7F 0x0000000000010000. */
    check_header(WSFRAME_OP_BINARY, 65536,
                 (const uint8_t[]){0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}, 10);
    check_header(WSFRAME_OP_TEXT, 1000000,
                 (const uint8_t[]){0x81, 0x7f, 0, 0, 0, 0, 0, 0x0f, 0x42, 0x40}, 10);
    if (sizeof(size_t) >= 8)
        check_header(WSFRAME_OP_BINARY, (size_t)0x0123456789ull,
                     (const uint8_t[]){0x82, 0x7f, 0, 0, 0, 0x01, 0x23, 0x45, 0x67, 0x89}, 10);
    CHECK(wsframe_header_len(SIZE_MAX) <= WSFRAME_MAX_HEADER);
}

int main(void)
{
    RUN(test_short);
    RUN(test_medium);
    RUN(test_long);
    return TEST_SUMMARY();
}
