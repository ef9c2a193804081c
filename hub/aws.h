/* aws.h - Hubbub's queues and topics over the AWS wire protocols: SQS over AWS JSON 1.0 and over
 * the Query protocol, SNS over the Query protocol, so the AWS SDKs and the AWS CLI work against
 * the hub with only an endpoint override (docs/AWS.md).
 *
 * Every POST outside Engine.IO and more specific routes is taken as an AWS request (plus GET under
 * /<account>/, the legacy queue-URL form). A request carrying "X-Amz-Target: AmazonSQS.<Action>"
 * is SQS JSON; a form (Action=...) is SQS Query (Version=2012-11-05) or SNS (Version=2010-03-31),
 * told apart by the Version, then by the SigV4 credential scope (.../sqs/aws4_request), then by
 * which service has the action. Answers, errors included, are shaped as the services shape them.
 * The work itself is the bus's (bus.h): the same queues and topics are reachable from sockets,
 * bridges and the AWS APIs.
 *
 * Lifetime: create the API with the config, add its routes before the listener starts, give it the
 * bus once the bus exists (hub_aws_set_bus), take the bus away before the bus is freed, and free
 * the API after the loop ran dry. aws_run.h wires this into hub_run's hooks. Loop thread only. */
#ifndef HUB_AWS_H
#define HUB_AWS_H

#include "bus.h"
#include "config.h"
#include "httpx.h"

typedef struct hub_aws hub_aws;

/* The largest request body taken (a 1 MiB batch, url-encoded, fits). */
#define HUB_AWS_MAX_BODY (8u << 20)

/* Returns a new API for cfg (borrowed; it must outlive the API), or NULL when out of memory. It
 * serves nothing until it has a bus. */
hub_aws *hub_aws_new(const struct hub_config *cfg);
/* 1 when cfg has "aws" with "enabled" true (the daemon then adds the routes). */
int hub_aws_config_enabled(const struct hub_config *cfg);

/* Adds the API's routes to routes: POST "/" (prefix) and GET "/<account>/" (prefix). Returns 0,
 * HUB_EEXISTS or HUB_ENOMEM. */
int hub_aws_add_routes(hub_aws *aws, hub_routes *routes);

/* Serves bus (borrowed) from now on. NULL takes it away: long polls in progress are ended (they
 * answer with no messages, as a poll that timed out), other requests still waiting for the bus are
 * answered when its callbacks come (HUB_ECLOSED: ServiceUnavailable), and new requests are answered
 * ServiceUnavailable. Take the bus away before freeing it. */
void hub_aws_set_bus(hub_aws *aws, hub_bus *bus);

/* Frees the API. Call it after the bus was taken away and the loop ran dry (no request pending).
 * NULL is a no-op. */
void hub_aws_free(hub_aws *aws);

#endif
