/* random.h - randomness from the kernel (getrandom): ids, receipt handles, hash seeds. */
#ifndef HUB_RANDOM_H
#define HUB_RANDOM_H

#include <stddef.h>

#define HUB_RANDOM_ID_LEN 20

/* Fills buf with n random bytes. Never fails: short reads and interruptions are retried. */
void hub_random_bytes(void *buf, size_t n);
/* Writes a new id: HUB_RANDOM_ID_LEN URL-safe base64 characters from 15 random bytes (the reference
 * server's base64id, used for Engine.IO sids and Socket.IO socket ids) and a NUL. */
void hub_random_id(char out[HUB_RANDOM_ID_LEN + 1]);

#endif
