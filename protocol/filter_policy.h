/* filter_policy.h - Amazon SNS subscription filter policies: compile once, match many messages.
 *
 * A policy is the JSON text of a subscription's FilterPolicy attribute. hub_filter_compile()
 * validates it the way SNS does at Subscribe / SetSubscriptionAttributes time and returns an
 * immutable matcher; hub_filter_match() evaluates it against one published message. Pure: no I/O,
 * no clock, no globals; a compiled filter may be shared read-only by any number of callers.
 *
 * Semantics (SNS): all keys must match (AND); the values in a key's array are alternatives (OR);
 * "$or" takes an array of sub-policies, any of which may match. A value is a string (exact,
 * case-sensitive), a number (numeric equality), null (matches a JSON null in the body, never an
 * attribute), or an operator object: {"prefix": s}, {"suffix": s}, {"equals-ignore-case": s},
 * {"exists": bool},
 * {"anything-but": value | [values] | {"prefix": s} | {"suffix": s} | {"equals-ignore-case":
 * s|[s]}},
 * {"numeric": ["=", n] | [">", n] | [">=", n, "<", m] ...} and {"cidr": "10.0.0.0/24"} (IPv4 and
 * IPv6).
 *
 * Scopes: HUB_FILTER_SCOPE_ATTRIBUTES (SNS default) matches message attributes in the SNS/SQS shape
 * {"Name": {"DataType": "String"|"Number"|"String.Array"|"Binary"..., "StringValue": "..."}}: a
 * String attribute (and String.<custom>) matches string operators, a Number (Number.<custom>)
 * attribute numeric values and "numeric" ranges (types are strict: ["100"] does not match Number
 * 100, nor [100] String "100"), a String.Array (or Number.Array) attribute, whose StringValue holds
 * a JSON array, matches when any element matches; Binary attributes are ignored as SNS ignores them
 * (as if absent). "exists": false needs at least one attribute on the message (SNS: an empty
 * attribute set matches no policy). Nested policies are rejected here. HUB_FILTER_SCOPE_BODY
 * (FilterPolicyScope=MessageBody) matches the message body parsed as a JSON object; nested policy
 * objects descend into nested body objects, and a body array matches when any element does. */
#ifndef HUB_FILTER_POLICY_H
#define HUB_FILTER_POLICY_H

#include <stddef.h>

#include <jansson.h>

typedef struct hub_filter hub_filter;

enum hub_filter_scope {
    HUB_FILTER_SCOPE_ATTRIBUTES = 0, /* FilterPolicyScope "MessageAttributes" (the default) */
    HUB_FILTER_SCOPE_BODY = 1,       /* FilterPolicyScope "MessageBody" */
};

/* SNS's limits, enforced by compile. */
#define HUB_FILTER_MAX_KEYS 5 /* top-level keys ("$or" counts as one) */
/* Combinations: the product over value arrays of (array length x nesting level), "$or" branches
 * summed - the arithmetic of SNS's documentation (a 4-value array 3 levels deep and a 3-value array
 * 2 levels deep make 3 x 4 x 2 x 3 = 72). */
#define HUB_FILTER_MAX_COMBINATIONS 150
#define HUB_FILTER_MAX_POLICY_BYTES 262144 /* 256 KB */
#define HUB_FILTER_MAX_DEPTH 32            /* nesting of policy objects (body scope) */

/* Compiles policy_json (len bytes, need not be NUL-terminated) for the given scope (enum
 * hub_filter_scope). Returns 0 and a new filter in *out (free with hub_filter_free), HUB_EINVAL for
 * a policy SNS would reject (err gets the text SNS answers SetSubscriptionAttributes with, e.g.
 * "Invalid parameter: FilterPolicy: Empty arrays are not allowed"; for Subscribe SNS writes
 * "Invalid parameter: Attributes Reason: FilterPolicy: ..." - insert "Attributes Reason: " after
 * the first "Invalid parameter: "), HUB_ELIMIT when it exceeds the key, combination or depth limits
 * ("... Filter policy can not have more than 5 keys", "... Filter policy is too complex"; SNS
 * answers those with InvalidParameter too), or HUB_ENOMEM. err (errlen bytes) is always
 * NUL-terminated when errlen > 0; *out is NULL on failure. Compile again when FilterPolicyScope
 * changes: a policy valid for the body scope can be invalid for the attribute scope. */
int hub_filter_compile_scoped(const char *policy_json, size_t len, int scope, hub_filter **out,
                              char *err, size_t errlen);

/* hub_filter_compile_scoped(policy_json, len, HUB_FILTER_SCOPE_ATTRIBUTES, ...) - but nested
 * policies are accepted (so the result can also serve the body scope); use the scoped form to
 * validate a subscription. */
int hub_filter_compile(const char *policy_json, size_t len, hub_filter **out, char *err,
                       size_t errlen);

/* Returns 1 when the message matches, 0 when not. attributes (borrowed, may be NULL = none) is the
 * message attribute object; body (borrowed, may be NULL) is the parsed message body. scope_body !=
 * 0 selects the MessageBody scope: then a NULL or non-object body never matches. The only
 * allocation is the parse of a String.Array attribute's value the policy looks at; if that fails
 * the result is HUB_ENOMEM (test with
 * `> 0`). A malformed String.Array value matches nothing (SNS rejects it at Publish). */
int hub_filter_match(const hub_filter *f, const json_t *attributes, const json_t *body,
                     int scope_body);

/* Frees a compiled filter; NULL is a no-op. */
void hub_filter_free(hub_filter *f);

#endif
