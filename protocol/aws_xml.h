/* aws_xml.h - replies of the AWS Query protocol: a growable buffer, XML text with escaping, and the
 * rendering of a JSON-protocol result object as the XML the Query protocol carries.
 *
 * The handlers build their result once, in the JSON protocol's shape ({"QueueUrls":[...]}); for a
 * Query client aws_xml_response() writes
 *     <ActionResponse xmlns="..."><ActionResult>...</ActionResult>
 *     <ResponseMetadata><RequestId>...</RequestId></ResponseMetadata></ActionResponse>
 * where lists and maps follow the service's rules (struct aws_xml_style): SQS flattens them
 * (<QueueUrl>a</QueueUrl><QueueUrl>b</QueueUrl>, <Attribute><Name/><Value/></Attribute>...), SNS
 * wraps them (<Topics><member>...</member></Topics>, <Attributes><entry><key/><value/></entry>).
 * Key order is the object's insertion order.
 *
 * Pure: no I/O; allocates through hub_alloc. */
#ifndef HUB_AWS_XML_H
#define HUB_AWS_XML_H

#include <jansson.h>
#include <stddef.h>

/* A growable byte buffer. A failed allocation sets failed and makes later additions no-ops, so a
 * writer checks once at the end. */
struct aws_buf {
    char *data; /* NUL-terminated when not failed */
    size_t len, cap;
    int failed;
};

void aws_buf_init(struct aws_buf *b);
/* Frees the data; b is zeroed. */
void aws_buf_free(struct aws_buf *b);
void aws_buf_add(struct aws_buf *b, const void *s, size_t n);
void aws_buf_adds(struct aws_buf *b, const char *s);
/* printf-style; a formatted piece is bounded to 1024 bytes. */
void aws_buf_addf(struct aws_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends s[0..n) as XML character data: & < > " ' escaped as entities and \r as &#xD; (so a
 * parser keeps it); other bytes as they are. */
void aws_xml_text(struct aws_buf *b, const char *s, size_t n);
/* Appends <name>text</name> (text escaped). */
void aws_xml_elem(struct aws_buf *b, const char *name, const char *text);

enum aws_xml_kind {
    AWS_XML_LIST, /* an array: each item as elem (flattened) or <json><member>...</member></json> */
    AWS_XML_MAP,  /* an object of entries: elem/entry with key and value elements */
};

/* How one member of a result is written; a table ends with a rule whose json is NULL. */
struct aws_xml_rule {
    const char *json; /* the member's name in the JSON result */
    enum aws_xml_kind kind;
    const char *elem;  /* flattened: the element of each item/entry; NULL: "<Action>ResultEntry" */
    const char *key;   /* maps: the key's element ("Name", "Key", "key") */
    const char *value; /* maps: the value's element ("Value", "value") */
};

struct aws_xml_style {
    const char *xmlns;
    int flattened;                    /* SQS 1; SNS 0 (member/entry wrappers) */
    const struct aws_xml_rule *rules; /* members with special rules */
};

/* Writes the whole response of action: result (an object, or NULL for an action without output:
 * no <ActionResult>) rendered by style, and request_id. Strings are written as they are, integers
 * in decimal, true/false as "true"/"false"; an object member without a rule is a nested element, an
 * array without a rule follows style->flattened with its own name. */
void aws_xml_response(struct aws_buf *b, const struct aws_xml_style *style, const char *action,
                      const json_t *result, const char *request_id);
/* Writes <ErrorResponse xmlns=...><Error><Type>type</Type><Code>code</Code><Message>message
 * </Message><Detail/></Error><RequestId>request_id</RequestId></ErrorResponse>. */
void aws_xml_error(struct aws_buf *b, const char *xmlns, const char *type, const char *code,
                   const char *message, const char *request_id);

#endif
