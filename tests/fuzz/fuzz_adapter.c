/* fuzz_adapter.c - the Redis adapter codec (protocol/adapter_msg.c): the input as a broadcast, a
 * request and a response. Whatever decodes is encoded again, and that must decode to the same
 * message (numbers compared by value: an integral float64 comes back as an integer, as in notepack;
 * the second decode may hit a limit the first did not, since an ext value grows into [type, bin]).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adapter_msg.h"
#include "hub_err.h"

#define REQUIRE(c)                                                                                 \
    do {                                                                                           \
        if (!(c)) abort();                                                                         \
    } while (0)

static int same(const json_t *a, const json_t *b)
{
    size_t i, klen;
    const char *key;
    json_t *v;

    if (json_is_number(a) && json_is_number(b)) return json_number_value(a) == json_number_value(b);
    if (json_typeof(a) != json_typeof(b)) return 0;
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b)) return 0;
        for (i = 0; i < json_array_size(a); i++)
            if (!same(json_array_get(a, i), json_array_get(b, i))) return 0;
        return 1;
    }
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b)) return 0;
        json_object_keylen_foreach((json_t *)a, key, klen, v)
        {
            const json_t *w = json_object_getn(b, key, klen);
            if (!w || !same(v, w)) return 0;
        }
        return 1;
    }
    return json_equal(a, b);
}

static int same_strv(const struct adapter_strv *a, const struct adapter_strv *b)
{
    size_t i;

    if (a->n != b->n) return 0;
    for (i = 0; i < a->n; i++)
        if (strcmp(a->v[i], b->v[i]) != 0) return 0;
    return 1;
}

/* A user object that looks like a placeholder next to real attachments is ambiguous (as in
 * Socket.IO): such messages only have to survive, not round-trip. */
static int comparable(const struct adapter_msg *m)
{
    return m->nbufs == 0;
}

static void round_trip(const struct adapter_msg *m, int kind, const struct adapter_limits *lim)
{
    struct adapter_out out = {0};
    struct adapter_msg q;
    int rc;

    rc = kind == 0   ? adapter_broadcast_encode(m, &out)
         : kind == 1 ? adapter_request_encode(m, &out)
                     : adapter_response_encode(m, &out);
    REQUIRE(rc == 0 || rc == HUB_EINVAL);
    if (rc == 0) {
        rc = kind == 0   ? adapter_broadcast_decode(out.data, out.len, lim, &q)
             : kind == 1 ? adapter_request_decode(out.data, out.len, lim, &q)
                         : adapter_response_decode(out.data, out.len, lim, &q);
        REQUIRE(rc == 0 || rc == HUB_ELIMIT || !comparable(m));
        if (rc == 0 && comparable(m)) {
            REQUIRE((q.data == NULL) == (m->data == NULL));
            REQUIRE(!q.data || same(q.data, m->data));
            REQUIRE(same_strv(&q.rooms, &m->rooms) && same_strv(&q.except, &m->except));
            if (kind == 0) {
                REQUIRE(strcmp(q.uid, m->uid) == 0 && strcmp(q.nsp, m->nsp) == 0);
                REQUIRE(q.flags.is_volatile == m->flags.is_volatile);
                REQUIRE(q.flags.timeout_ms == m->flags.timeout_ms);
            } else {
                REQUIRE(q.type == m->type || (kind == 2 && q.type == ADAPTER_NO_TYPE));
                REQUIRE((q.request_id == NULL) == (m->request_id == NULL));
                REQUIRE(!q.request_id || strcmp(q.request_id, m->request_id) == 0);
            }
        }
        if (rc == 0) adapter_msg_clear(&q);
    }
    adapter_out_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct adapter_limits lims[2] = {ADAPTER_LIMITS_DEFAULT, {8, 2}};
    struct adapter_msg m;
    int i, rc;

    for (i = 0; i < 2; i++) {
        rc = adapter_broadcast_decode(data, size, &lims[i], &m);
        REQUIRE(rc == 0 || rc == HUB_EPARSE || rc == HUB_ELIMIT);
        if (rc == 0) {
            if (m.uid) round_trip(&m, 0, &lims[i]);
            adapter_msg_clear(&m);
        }
        rc = adapter_request_decode(data, size, &lims[i], &m);
        REQUIRE(rc == 0 || rc == HUB_EPARSE || rc == HUB_ELIMIT);
        if (rc == 0) {
            round_trip(&m, 1, &lims[i]);
            adapter_msg_clear(&m);
        }
        rc = adapter_response_decode(data, size, &lims[i], &m);
        REQUIRE(rc == 0 || rc == HUB_EPARSE || rc == HUB_ELIMIT);
        if (rc == 0) {
            /* an untyped answer is encoded as the answer to each request that has no type field */
            int types[] = {ADAPTER_SOCKETS, ADAPTER_ALL_ROOMS, ADAPTER_REMOTE_FETCH};
            size_t k;
            if (m.type != ADAPTER_NO_TYPE) {
                round_trip(&m, 2, &lims[i]);
            } else {
                for (k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
                    m.type = types[k];
                    round_trip(&m, 2, &lims[i]);
                }
            }
            adapter_msg_clear(&m);
        }
    }
    return 0;
}
