/* wsframe.h - server-to-client WebSocket frame headers (RFC 6455), so that Hubbub can build whole frames
 * once, share them between recipients and write many in one system call. Server frames are never masked. */
#ifndef HUB_WSFRAME_H
#define HUB_WSFRAME_H

#include <stddef.h>
#include <stdint.h>

#define WSFRAME_MAX_HEADER 10
#define WSFRAME_OP_TEXT 0x1
#define WSFRAME_OP_BINARY 0x2

/* Length of the header of a final, unmasked frame carrying len payload bytes (2, 4 or 10). */
size_t wsframe_header_len(size_t len);
/* Writes that header (FIN set, given opcode) into dst (WSFRAME_MAX_HEADER bytes). Returns its length. */
size_t wsframe_header_write(uint8_t *dst, int opcode, size_t len);

#endif
