/* aws_query.h - requests of the AWS Query protocol: form decoding, and flattening into the shape
 * the AWS JSON 1.0 protocol carries, so one set of handlers serves both protocols.
 *
 * A Query request is a url-encoded form (Action=SendMessage&Version=2012-11-05&QueueUrl=...). Its
 * structured members are spread over dotted names, differently per service (docs/AWS.md, aws-wire
 * §3.3/§3.4):
 *   SQS (flattened):  Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=60
 *                     MessageAttribute.1.Name=n&MessageAttribute.1.Value.DataType=String&...
 *                     SendMessageBatchRequestEntry.2.MessageBody=...   AttributeName.1=All
 *   SNS (wrapped):    Attributes.entry.1.key=RawMessageDelivery&Attributes.entry.1.value=true
 *                     Tags.member.1.Key=team   PublishBatchRequestEntries.member.1.Message=...
 * aws_query_to_json() turns such a form into {"Attributes":{"VisibilityTimeout":"60"}, ...} by a
 * table of members per action (struct aws_member), the JSON member names being those the JSON
 * protocol uses. Scalars stay strings ("WaitTimeSeconds":"20"); the handlers accept a number or
 * its text.
 *
 * Pure: no I/O; allocates through hub_alloc. */
#ifndef HUB_AWS_QUERY_H
#define HUB_AWS_QUERY_H

#include <jansson.h>
#include <stddef.h>

/* One decoded name=value pair. Both are NUL-terminated; the value may hold NUL bytes (value_len).
 */
struct aws_form_pair {
    char *name;
    char *value;
    size_t value_len;
    size_t order; /* position in the form (duplicates: the first wins) */
};

/* A decoded form, its pairs sorted by name (byte order) for lookups. */
struct aws_form {
    struct aws_form_pair *pairs;
    size_t n;
};

/* Decodes a url-encoded form ('+' is a space, %XX a byte; an empty part is skipped; a part without
 * '=' has an empty value) and adds its pairs to *f, which must be zeroed or hold an earlier parse
 * (a query string then a body). Returns 0, HUB_EPARSE (a '%' not followed by two hex digits) or
 * HUB_ENOMEM; on failure *f keeps what it held. */
int aws_form_parse(struct aws_form *f, const char *s, size_t len);
/* Frees the pairs; *f is zeroed. */
void aws_form_clear(struct aws_form *f);
/* The value of name (borrowed from f), its length in *len (may be NULL), or NULL when absent. */
const char *aws_form_get(const struct aws_form *f, const char *name, size_t *len);

enum aws_member_kind {
    AWS_M_SCALAR,      /* loc=value -> "json":"value" */
    AWS_M_LIST,        /* loc[.wrap].N=value -> "json":["value", ...] (by N) */
    AWS_M_MAP,         /* loc[.wrap].N.<key>=k, loc[.wrap].N.<value>[...]=v -> "json":{"k":v} */
    AWS_M_STRUCT_LIST, /* loc[.wrap].N.<member>=... -> "json":[{...}, ...] */
};

/* One member of a request shape; a table ends with a member whose json is NULL. */
struct aws_member {
    const char *json; /* the JSON protocol's member name */
    const char *loc;  /* the Query name (for lists and maps: the prefix before the index) */
    enum aws_member_kind kind;
    const char *wrap;  /* NULL: flattened (loc.N); "member" or "entry": loc.wrap.N */
    const char *key;   /* AWS_M_MAP: the name of the key under loc.N ("Name", "Key", "key") */
    const char *value; /* AWS_M_MAP: the name of the value under loc.N ("Value", "value") */
    /* AWS_M_STRUCT_LIST: the members of each item; AWS_M_MAP: the members of a structured value
     * (message attributes), NULL for a string value. */
    const struct aws_member *members;
    const char *alt_loc; /* another accepted spelling of loc, or NULL */
};

/* Builds the JSON request of form f described by members into a new object *out. Names that no
 * member describes (Action, Version, ...) are ignored; indexes are ordered numerically, need not
 * be contiguous; a map entry without its key is skipped, one without its value gets "". Returns 0,
 * HUB_EINVAL when a value is not valid UTF-8 (*bad, when not NULL, then names it, borrowed from f)
 * or HUB_ENOMEM. */
int aws_query_to_json(const struct aws_form *f, const struct aws_member *members, json_t **out,
                      const char **bad);

#endif
