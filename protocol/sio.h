/* sio.h - Socket.IO v5 packet codec.
 *
 * Text layout: <type digit>[<attachments>-][<nsp>,][<ack id>][<JSON payload>]. A namespace starts with '/'
 * and runs to ',' or the end of the string ("40/custom" is valid). BINARY_EVENT / BINARY_ACK packets are
 * followed by <attachments> binary Engine.IO messages; the payload refers to them with placeholders
 * {"_placeholder":true,"num":N}. Hubbub keeps binary data in that wire form end to end: a decoded packet is
 * the JSON with its placeholders plus the array of attachment buffers, and an encoded packet is the same,
 * so relaying binary never rebuilds the JSON.
 *
 * sio_header_parse() is pure (no allocation, results point into the input). The decoder allocates, within
 * the bounds of struct sio_limits, to hold a packet while its attachments arrive. */
#ifndef HUB_SIO_H
#define HUB_SIO_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

enum sio_type {
    SIO_CONNECT = 0,
    SIO_DISCONNECT = 1,
    SIO_EVENT = 2,
    SIO_ACK = 3,
    SIO_CONNECT_ERROR = 4,
    SIO_BINARY_EVENT = 5,
    SIO_BINARY_ACK = 6,
};

#define SIO_NO_ID (-1)
/* Largest ack id accepted: the largest integer a JavaScript number holds exactly. */
#define SIO_MAX_ID 9007199254740991LL

struct sio_limits {
    size_t max_attachments; /* per packet; default 256 */
    size_t max_bytes;       /* text packet plus all its attachments; default 1000000 (maxPayload) */
};
#define SIO_LIMITS_DEFAULT {256, 1000000}

struct sio_header {
    enum sio_type type;
    size_t attachments; /* 0 unless a binary type */
    const char *nsp;    /* "/" (a static string) when the packet names none */
    size_t nsp_len;
    int64_t id;         /* SIO_NO_ID when absent */
    const char *data;   /* JSON text, possibly empty (data_len 0) */
    size_t data_len;
};

/* Parses the text layout without looking inside the JSON. Returns 0 or HUB_EPARSE (bad type, bad
 * attachment count, attachments on a non-binary type, ack id over SIO_MAX_ID or not followed by valid
 * data) or HUB_ELIMIT (more attachments than limits allow). */
int sio_header_parse(const char *s, size_t len, const struct sio_limits *lim, struct sio_header *h);

/* One attachment (owned by the packet that holds it). */
struct sio_buf {
    uint8_t *data;
    size_t len;
};

/* A whole decoded packet. Everything is owned by the packet: free with sio_packet_clear(). */
struct sio_packet {
    enum sio_type type;
    char *nsp;        /* NUL-terminated, never NULL after a successful decode */
    int64_t id;       /* SIO_NO_ID when absent */
    json_t *data;     /* new reference; NULL when the packet carried no payload */
    struct sio_buf *bufs;
    size_t nbufs;
};
void sio_packet_clear(struct sio_packet *p);

/* Checks the payload of a packet as the reference server does: CONNECT: absent or an object; DISCONNECT:
 * absent; EVENT/BINARY_EVENT: a non-empty array whose first element is a string (the event name), not
 * one the reference reserves (connect, connect_error, disconnect, disconnecting, newListener,
 * removeListener); ACK/BINARY_ACK: an array; CONNECT_ERROR: an object or a string. Returns 0 or
 * HUB_EPARSE. */
int sio_payload_check(enum sio_type type, const json_t *data);

/* Checks that every placeholder in data has a num below nbufs and that data holds no other object with
 * "_placeholder". Returns 0 or HUB_EPARSE. */
int sio_placeholders_check(const json_t *data, size_t nbufs);
/* Returns a new placeholder object {"_placeholder":true,"num":num}. */
json_t *sio_placeholder_new(size_t num);

/* Socket.IO protocol v4 (socket.io-client 2.x, over Engine.IO v3) names a namespace with its query:
 * "/nsp?a=b". sio_v3_nsp_split() returns the length of the path part (up to '?' or '#'), as the
 * reference's url.parse(nsp).pathname. sio_v3_query_new() parses the query (the text after '?', up to
 * '#'; NULL when there is none) as Node's querystring.parse(): '&'-separated name=value pairs, '+' as
 * space, %XX escapes (a bad one kept as is), a repeated name collecting an array, at most 1000 pairs;
 * a pair that does not decode to UTF-8 is skipped. Returns a new object (empty without a query), or
 * NULL on allocation failure. */
size_t sio_v3_nsp_split(const char *nsp, size_t len);
json_t *sio_v3_query_new(const char *nsp, size_t len);

typedef struct sio_decoder sio_decoder;

/* Returns a new decoder, or NULL on allocation failure. lim may be NULL for the defaults. */
sio_decoder *sio_decoder_new(const struct sio_limits *lim);
void sio_decoder_free(sio_decoder *d);

/* Feeds one text message. Returns 1 with *out filled (the caller owns it), 0 when the packet waits for
 * attachments, or a negative HUB_E* (HUB_EPARSE for bad packets and for text arriving while attachments
 * are awaited, HUB_ELIMIT over the limits, HUB_ENOMEM). After an error the decoder is reset. *out is
 * written only when 1 is returned. Placeholders are checked only in binary packets: in an EVENT or ACK
 * an object with "_placeholder" is plain data, as in the reference. */
int sio_decoder_feed_text(sio_decoder *d, const char *s, size_t len, struct sio_packet *out);
/* Feeds one binary message (an attachment). Returns 1 with *out filled when it was the last one, 0 when
 * more are awaited, or a negative HUB_E* (HUB_EPARSE when no packet awaits attachments). */
int sio_decoder_feed_binary(sio_decoder *d, const uint8_t *data, size_t len, struct sio_packet *out);

/* Encodes the text part of a packet. nsp NULL or "/" writes no namespace; id SIO_NO_ID writes none; data
 * may be NULL. For binary types, attachments is the count written before '-'. JSON is compact with key
 * order kept. Returns a new string (hub_free) with *len set, or NULL on allocation failure. */
char *sio_encode(enum sio_type type, const char *nsp, int64_t id, const json_t *data, size_t attachments,
                 size_t *len);

#endif
