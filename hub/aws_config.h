/* aws_config.h - the "aws" key of the configuration: Hubbub's SQS and SNS wire APIs (docs/AWS.md).
 *
 *   "aws": {
 *     "enabled": true,                    default true once "aws" is given
 *     "accountId": "000000000000",        12 digits (queue URLs and ARNs)
 *     "region": "us-east-1",              ARNs
 *     "advertisedUrl": "http://sqs.local:9324",  base of queue URLs; null: the request's Host
 *     "accessKeys": {"AKID": "secret"},   verify SigV4 with these; {} or absent: accept any
 *     "port": null                        null: the hub's listener; N: a listener of their own
 *   }                                     on the hub's host (0: any free port), APIs only
 *
 * accountId and region name the same thing as "bus": {"account", "region"}: when both keys are
 * given they must agree (hub_aws_config_check, after the whole file is read), and the bus takes
 * the "aws" values when "bus" names none. Strings are owned by the struct. */
#ifndef HUB_AWS_CONFIG_H
#define HUB_AWS_CONFIG_H

#include <jansson.h>
#include <stddef.h>

struct hub_aws_config {
    int enabled;
    char *account;        /* NULL: the bus's, else "000000000000" */
    char *region;         /* NULL: the bus's, else "us-east-1" */
    char *advertised_url; /* "http(s)://host[:port]" without a trailing '/', or NULL */
    char **access_keys;   /* id, secret, id, secret, ..., NULL; NULL when none */
    size_t naccess_keys;  /* pairs */
    int port;             /* -1: the hub's listener; else a side listener's port (0: any) */
};

/* Parses the value of "aws" into a new config *out. Returns 0, HUB_EINVAL with the offending key
 * (borrowed from v; NULL for v itself) in *key and a message in msg (len bytes), or HUB_ENOMEM. */
int hub_aws_config_parse(const json_t *v, struct hub_aws_config **out, const char **key, char *msg,
                         size_t len);
/* A deep copy, or NULL (c NULL, or out of memory: *failed set). */
struct hub_aws_config *hub_aws_config_copy(const struct hub_aws_config *c, int *failed);
void hub_aws_config_free(struct hub_aws_config *c);

/* Checks c against the bus's region and account (NULL when "bus" names none). Returns 0, or
 * HUB_EINVAL with the key ("accountId" or "region") in *key and a message in msg. c NULL: 0. */
int hub_aws_config_check(const struct hub_aws_config *c, const char *bus_region,
                         const char *bus_account, const char **key, char *msg, size_t len);

/* The effective account and region (static or borrowed strings). */
const char *hub_aws_config_account(const struct hub_aws_config *c, const char *bus_account);
const char *hub_aws_config_region(const struct hub_aws_config *c, const char *bus_region);

#endif
