/* aws_attr.h - the byte string SQS hashes into MD5OfMessageAttributes (and
 * MD5OfMessageSystemAttributes), built from attributes in the SQS shape.
 *
 * The algorithm (aws-wire §3.5; what the SDKs that verify it compute): the attributes sorted by
 * name (byte order); for each, the 4-byte big-endian length and bytes of the name, the same for
 * the DataType as sent (custom suffix included), one transport byte (1 for String and Number
 * types, 2 for Binary), then the 4-byte length and bytes of the value: the StringValue's UTF-8, or
 * the BinaryValue decoded from base64. The MD5 itself is the caller's (hub/aws_md5.h), as protocol/
 * links no crypto library.
 *
 * Pure: no I/O; allocates through hub_alloc. */
#ifndef HUB_AWS_ATTR_H
#define HUB_AWS_ATTR_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Writes the digest input of attrs ({"Name":{"DataType":..,"StringValue"|"BinaryValue":..}}) into
 * a new buffer *out (hub_free) of *len bytes. attrs NULL or empty: 0 with *out NULL, *len 0 (SQS
 * then sends no MD5 at all). Returns 0, HUB_EINVAL (not that shape: a value without DataType, a
 * type that is not String/Number/Binary[.x], a missing value, bad base64) or HUB_ENOMEM. */
int aws_attr_digest_input(const json_t *attrs, uint8_t **out, size_t *len);

#endif
