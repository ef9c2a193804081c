/* aws_sns_mobile.h - the rest of the SNS API over Hubbub's own state (aws_internal.h): mobile push
 * (platform applications and endpoints), SMS (attributes, opt-outs, the SMS sandbox, origination
 * numbers), data protection policies of topics, and Publish to an endpoint or a phone number.
 *
 * Hubbub does not talk to APNs, FCM or phone carriers. As LocalStack does, what SNS would deliver
 * to an endpoint or a phone (a direct Publish, or a topic's fan-out to an "application" or "sms"
 * subscription through the bus's mobile hook) is recorded instead, in one bounded ring per kind,
 * and served at LocalStack's retrospection paths:
 *     GET|DELETE /_aws/sns/platform-endpoint-messages[?endpointArn=&accountId=&region=]
 *     GET|DELETE /_aws/sns/sms-messages[?phoneNumber=&accountId=&region=]
 *     POST /_aws/sns/phone-opt-outs {"phoneNumber": "+1...", "accountId": "..."}
 * (docs/AWS.md). The state belongs to one API object (one event loop), lives as long as it and is
 * node-local: with the Redis store, other nodes do not see it.
 *
 * Loop thread only, as everything in aws_*.c. */
#ifndef HUB_AWS_SNS_MOBILE_H
#define HUB_AWS_SNS_MOBILE_H

#include "aws_internal.h"

/* The recording caps: the newest messages are kept, per ring (endpoints, SMS). */
#define HUB_AWS_SNS_RECORDED_MAX 1000
#define HUB_AWS_SNS_RECORDED_BYTES (16u << 20)

/* Returns new, empty state for aws (borrowed; it must outlive the state), or NULL. */
struct aws_mobile *aws_mobile_new(hub_aws *aws);
/* Frees the state and what it recorded. NULL is a no-op. */
void aws_mobile_free(struct aws_mobile *m);
/* Adds the retrospection routes above. Returns 0, HUB_EEXISTS or HUB_ENOMEM. */
int aws_mobile_add_routes(hub_aws *aws, hub_routes *routes);
/* Moves the mobile hook from aws's current bus (if any) to bus (NULL: none). Call before aws->bus
 * changes. */
void aws_mobile_set_bus(hub_aws *aws, hub_bus *bus);

/* 1 when r is a Publish that goes to no topic: with a PhoneNumber, or with a TargetArn naming a
 * platform endpoint (and no TopicArn). */
int aws_mobile_publish_direct(const struct aws_req *r);
/* Publishes e (r's message) to r's phone number or platform endpoint: validates, records (or, for
 * an opted-out number, drops) and answers with the MessageId. */
void aws_mobile_publish(struct aws_req *r, const struct hub_publish_entry *e);
/* CreateTopic's DataProtectionPolicy: 0 when policy (JSON text) is acceptable, else -1 after
 * answering InvalidParameter. */
int aws_mobile_policy_check(struct aws_req *r, const char *policy);
/* Keeps policy for the topic name created at created_ms (replacing an earlier one). Returns 0 or
 * HUB_ENOMEM. */
int aws_mobile_policy_put(hub_aws *aws, const char *topic, uint64_t created_ms, const char *policy);
/* Forgets the policy of topic (DeleteTopic). A topic deleted through another door and made again
 * is told apart by its creation time. */
void aws_mobile_policy_drop(hub_aws *aws, const char *topic);

/* ---- the actions (aws_sns.c's table) ---- */

void aws_sns_create_platform_application(struct aws_req *r);
void aws_sns_delete_platform_application(struct aws_req *r);
void aws_sns_list_platform_applications(struct aws_req *r);
void aws_sns_get_platform_application_attributes(struct aws_req *r);
void aws_sns_set_platform_application_attributes(struct aws_req *r);
void aws_sns_create_platform_endpoint(struct aws_req *r);
void aws_sns_delete_endpoint(struct aws_req *r);
void aws_sns_list_endpoints_by_platform_application(struct aws_req *r);
void aws_sns_get_endpoint_attributes(struct aws_req *r);
void aws_sns_set_endpoint_attributes(struct aws_req *r);

void aws_sns_check_if_phone_number_is_opted_out(struct aws_req *r);
void aws_sns_list_phone_numbers_opted_out(struct aws_req *r);
void aws_sns_opt_in_phone_number(struct aws_req *r);
void aws_sns_get_sms_attributes(struct aws_req *r);
void aws_sns_set_sms_attributes(struct aws_req *r);
void aws_sns_create_sms_sandbox_phone_number(struct aws_req *r);
void aws_sns_delete_sms_sandbox_phone_number(struct aws_req *r);
void aws_sns_get_sms_sandbox_account_status(struct aws_req *r);
void aws_sns_list_sms_sandbox_phone_numbers(struct aws_req *r);
void aws_sns_verify_sms_sandbox_phone_number(struct aws_req *r);
void aws_sns_list_origination_numbers(struct aws_req *r);

void aws_sns_get_data_protection_policy(struct aws_req *r);
void aws_sns_put_data_protection_policy(struct aws_req *r);

#endif
