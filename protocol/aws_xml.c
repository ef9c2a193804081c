/* aws_xml.c - see aws_xml.h. */
#include "aws_xml.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hub_alloc.h"

void aws_buf_init(struct aws_buf *b)
{
    memset(b, 0, sizeof *b);
}

void aws_buf_free(struct aws_buf *b)
{
    hub_free(b->data);
    memset(b, 0, sizeof *b);
}

static int reserve(struct aws_buf *b, size_t more)
{
    if (b->failed) return -1;
    if (b->len + more + 1 <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1) {
        if (cap > ((size_t)-1) / 2) {
            b->failed = 1;
            return -1;
        }
        cap *= 2;
    }
    char *d = hub_realloc(b->data, cap);
    if (!d) {
        b->failed = 1;
        return -1;
    }
    b->data = d;
    b->cap = cap;
    return 0;
}

void aws_buf_add(struct aws_buf *b, const void *s, size_t n)
{
    if (reserve(b, n)) return;
    if (n) memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void aws_buf_adds(struct aws_buf *b, const char *s)
{
    aws_buf_add(b, s, strlen(s));
}

void aws_buf_addf(struct aws_buf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    aws_buf_add(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

void aws_xml_text(struct aws_buf *b, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const char *ent = NULL;
        switch (s[i]) {
        case '&':
            ent = "&amp;";
            break;
        case '<':
            ent = "&lt;";
            break;
        case '>':
            ent = "&gt;";
            break;
        case '"':
            ent = "&quot;";
            break;
        case '\'':
            ent = "&apos;";
            break;
        case '\r':
            ent = "&#xD;";
            break;
        default:
            continue;
        }
        aws_buf_add(b, s + run, i - run);
        aws_buf_adds(b, ent);
        run = i + 1;
    }
    aws_buf_add(b, s + run, n - run);
}

static void open_tag(struct aws_buf *b, const char *name)
{
    aws_buf_add(b, "<", 1);
    aws_buf_adds(b, name);
    aws_buf_add(b, ">", 1);
}

static void close_tag(struct aws_buf *b, const char *name)
{
    aws_buf_add(b, "</", 2);
    aws_buf_adds(b, name);
    aws_buf_add(b, ">", 1);
}

void aws_xml_elem(struct aws_buf *b, const char *name, const char *text)
{
    open_tag(b, name);
    aws_xml_text(b, text, strlen(text));
    close_tag(b, name);
}

struct render {
    struct aws_buf *b;
    const struct aws_xml_style *style;
    const char *action;
};

static void value(struct render *r, const char *name, const json_t *v);

static const struct aws_xml_rule *rule_for(const struct render *r, const char *name)
{
    for (const struct aws_xml_rule *x = r->style->rules; x && x->json; x++)
        if (strcmp(x->json, name) == 0) return x;
    return NULL;
}

/* The contents of v (no enclosing element). */
static void contents(struct render *r, const json_t *v)
{
    char num[64];
    switch (json_typeof(v)) {
    case JSON_STRING:
        aws_xml_text(r->b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        aws_buf_adds(r->b, num);
        break;
    case JSON_REAL:
        snprintf(num, sizeof num, "%.17g", json_real_value(v));
        aws_buf_adds(r->b, num);
        break;
    case JSON_TRUE:
        aws_buf_adds(r->b, "true");
        break;
    case JSON_FALSE:
        aws_buf_adds(r->b, "false");
        break;
    case JSON_OBJECT: {
        const char *k;
        json_t *m;
        json_object_foreach((json_t *)v, k, m) value(r, k, m);
        break;
    }
    case JSON_ARRAY: /* an array inside an array: items as <member> */
        for (size_t i = 0; i < json_array_size(v); i++)
            value(r, "member", json_array_get(v, i));
        break;
    case JSON_NULL:
        break;
    }
}

static void list(struct render *r, const char *name, const json_t *v, const char *elem)
{
    char entry[160];
    if (!elem) {
        snprintf(entry, sizeof entry, "%sResultEntry", r->action);
        elem = entry;
    }
    if (r->style->flattened) {
        for (size_t i = 0; i < json_array_size(v); i++)
            value(r, elem, json_array_get(v, i));
        return;
    }
    open_tag(r->b, name);
    for (size_t i = 0; i < json_array_size(v); i++)
        value(r, "member", json_array_get(v, i));
    close_tag(r->b, name);
}

static void map(struct render *r, const char *name, const json_t *v, const struct aws_xml_rule *x)
{
    const char *k;
    json_t *m;
    const char *entry = r->style->flattened ? x->elem : "entry";
    if (!r->style->flattened) open_tag(r->b, name);
    json_object_foreach((json_t *)v, k, m)
    {
        open_tag(r->b, entry);
        aws_xml_elem(r->b, x->key, k);
        value(r, x->value, m);
        close_tag(r->b, entry);
    }
    if (!r->style->flattened) close_tag(r->b, name);
}

static void value(struct render *r, const char *name, const json_t *v)
{
    const struct aws_xml_rule *x = rule_for(r, name);
    if (json_is_null(v)) return;
    if (json_is_array(v)) {
        list(r, name, v, x && x->kind == AWS_XML_LIST ? x->elem : name);
        return;
    }
    if (json_is_object(v) && x && x->kind == AWS_XML_MAP) {
        map(r, name, v, x);
        return;
    }
    open_tag(r->b, name);
    contents(r, v);
    close_tag(r->b, name);
}

void aws_xml_response(struct aws_buf *b, const struct aws_xml_style *style, const char *action,
                      const json_t *result, const char *request_id)
{
    struct render r = {.b = b, .style = style, .action = action};
    aws_buf_addf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<%sResponse xmlns=\"%s\">", action,
                 style->xmlns);
    if (result) {
        aws_buf_addf(b, "<%sResult>", action);
        contents(&r, result);
        aws_buf_addf(b, "</%sResult>", action);
    }
    aws_buf_adds(b, "<ResponseMetadata>");
    aws_xml_elem(b, "RequestId", request_id);
    aws_buf_addf(b, "</ResponseMetadata></%sResponse>", action);
}

void aws_xml_error(struct aws_buf *b, const char *xmlns, const char *type, const char *code,
                   const char *message, const char *request_id)
{
    aws_buf_addf(b,
                 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"%s\">"
                 "<Error>",
                 xmlns);
    aws_xml_elem(b, "Type", type);
    aws_xml_elem(b, "Code", code);
    aws_xml_elem(b, "Message", message);
    aws_buf_adds(b, "<Detail/></Error>");
    aws_xml_elem(b, "RequestId", request_id);
    aws_buf_adds(b, "</ErrorResponse>");
}
