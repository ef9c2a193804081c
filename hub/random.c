/* random.c - see random.h. */
#include "random.h"

#include <stdint.h>
#include <sys/random.h>

#include "b64.h"

void hub_random_bytes(void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom((uint8_t *)buf + got, n - got, 0);
        if (r > 0)
            got += (size_t)r;
    }
}

void hub_random_id(char out[HUB_RANDOM_ID_LEN + 1])
{
    uint8_t raw[15];
    hub_random_bytes(raw, sizeof raw);
    b64_encode(raw, sizeof raw, out);
    out[HUB_RANDOM_ID_LEN] = '\0';
    for (char *p = out; *p; p++) {
        if (*p == '+')
            *p = '-';
        else if (*p == '/')
            *p = '_';
    }
}
