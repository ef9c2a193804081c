/* fuzz_filter.c - SNS filter policies: compile any input in both scopes; when it compiles, match it
 * against a few fixed messages. Input: "<policy>\x1e<attributes JSON>\x1e<body JSON>", the last two
 * optional. */
#include <stdint.h>
#include <string.h>

#include "filter_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *sep1 = memchr(s, 0x1e, size);
    size_t plen = sep1 ? (size_t)(sep1 - s) : size;
    json_t *attrs = NULL, *body = NULL;
    if (sep1) {
        const char *rest = sep1 + 1;
        size_t rlen = size - plen - 1;
        const char *sep2 = memchr(rest, 0x1e, rlen);
        size_t alen = sep2 ? (size_t)(sep2 - rest) : rlen;
        attrs = json_loadb(rest, alen, JSON_DECODE_ANY, NULL);
        if (sep2)
            body = json_loadb(sep2 + 1, rlen - alen - 1, JSON_DECODE_ANY, NULL);
    }
    char err[256];
    for (int scope = 0; scope < 2; scope++) {
        hub_filter *f = NULL;
        if (hub_filter_compile_scoped(s, plen, scope, &f, err, sizeof err) == 0) {
            hub_filter_match(f, attrs, body, scope);
            hub_filter_match(f, NULL, NULL, scope);
            hub_filter_free(f);
        }
    }
    json_decref(attrs);
    json_decref(body);
    return 0;
}
