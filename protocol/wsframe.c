/* wsframe.c - RFC 6455 server frame headers (FIN, no mask). */
#include "wsframe.h"

size_t wsframe_header_len(size_t len)
{
    if (len < 126) return 2;
    if (len <= 0xffff) return 4;
    return 10;
}

size_t wsframe_header_write(uint8_t *dst, int opcode, size_t len)
{
    size_t i;

    dst[0] = (uint8_t)(0x80 | (opcode & 0x0f));
    if (len < 126) {
        dst[1] = (uint8_t)len;
        return 2;
    }
    if (len <= 0xffff) {
        dst[1] = 126;
        dst[2] = (uint8_t)(len >> 8);
        dst[3] = (uint8_t)len;
        return 4;
    }
    dst[1] = 127;
    /* 64-bit big-endian length; the most significant bit must be 0 (sizes never reach 2^63). */
    for (i = 0; i < 8; i++)
        dst[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
    return 10;
}
