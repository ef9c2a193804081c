/* aws_attr.c - see aws_attr.h. */
#include "aws_attr.h"

#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "hub_alloc.h"
#include "hub_err.h"

struct item {
    const char *name;
    const json_t *v;
};

static int item_cmp(const void *a, const void *b)
{
    return strcmp(((const struct item *)a)->name, ((const struct item *)b)->name);
}

static void put_len(uint8_t *p, size_t n)
{
    p[0] = (uint8_t)(n >> 24);
    p[1] = (uint8_t)(n >> 16);
    p[2] = (uint8_t)(n >> 8);
    p[3] = (uint8_t)n;
}

/* Appends a length-prefixed field at *o. */
static uint8_t *put_field(uint8_t *o, const void *s, size_t n)
{
    put_len(o, n);
    if (n) memcpy(o + 4, s, n);
    return o + 4 + n;
}

int aws_attr_digest_input(const json_t *attrs, uint8_t **out, size_t *len)
{
    size_t n = json_is_object(attrs) ? json_object_size(attrs) : 0, total = 0, k = 0;
    *out = NULL;
    *len = 0;
    if (attrs && !json_is_null(attrs) && !json_is_object(attrs)) return HUB_EINVAL;
    if (n == 0) return 0;
    struct item *items = hub_calloc(n, sizeof *items);
    if (!items) return HUB_ENOMEM;
    const char *name;
    json_t *v;
    int rc = 0;
    json_object_foreach((json_t *)attrs, name, v)
    {
        const char *dt = json_string_value(json_object_get(v, "DataType"));
        json_t *sv = json_object_get(v, "StringValue"), *bv = json_object_get(v, "BinaryValue");
        if (!dt || !json_is_object(v)) {
            rc = HUB_EINVAL;
            break;
        }
        int binary = strncmp(dt, "Binary", 6) == 0;
        if (!binary && strncmp(dt, "String", 6) != 0 && strncmp(dt, "Number", 6) != 0) {
            rc = HUB_EINVAL;
            break;
        }
        const json_t *val = binary ? bv : sv;
        if (!json_is_string(val)) {
            rc = HUB_EINVAL;
            break;
        }
        size_t vlen = json_string_length(val);
        total +=
            4 + strlen(name) + 4 + strlen(dt) + 1 + 4 + (binary ? b64_decoded_max(vlen) : vlen);
        items[k++] = (struct item){name, v};
    }
    if (rc) {
        hub_free(items);
        return rc;
    }
    qsort(items, k, sizeof *items, item_cmp);
    uint8_t *buf = hub_malloc(total ? total : 1), *o = buf;
    if (!buf) {
        hub_free(items);
        return HUB_ENOMEM;
    }
    for (size_t i = 0; i < k && rc == 0; i++) {
        const char *dt = json_string_value(json_object_get(items[i].v, "DataType"));
        int binary = strncmp(dt, "Binary", 6) == 0;
        o = put_field(o, items[i].name, strlen(items[i].name));
        o = put_field(o, dt, strlen(dt));
        *o++ = binary ? 2 : 1;
        if (binary) {
            const json_t *bv = json_object_get(items[i].v, "BinaryValue");
            size_t blen = json_string_length(bv);
            long got = b64_decode(json_string_value(bv), blen, o + 4);
            if (got < 0) {
                rc = HUB_EINVAL;
                break;
            }
            put_len(o, (size_t)got);
            o += 4 + (size_t)got;
        } else {
            const json_t *sv = json_object_get(items[i].v, "StringValue");
            o = put_field(o, json_string_value(sv), json_string_length(sv));
        }
    }
    hub_free(items);
    if (rc) {
        hub_free(buf);
        return rc;
    }
    *out = buf;
    *len = (size_t)(o - buf);
    return 0;
}
