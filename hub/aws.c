/* aws.c - see aws.h: the HTTP side of the AWS APIs - telling the protocols and services apart,
 * SigV4, decoding requests into one shape, and writing replies and errors as SQS and SNS do.
 * The actions are aws_sqs.c's and aws_sns.c's. */
#include "aws.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aws_crypto.h"
#include "aws_internal.h"
#include "aws_sns_mobile.h"
#include "aws_sigv4.h"
#include "aws_xml.h"
#include "bus_config.h"
#include "hub_alloc.h"
#include "hub_err.h"
#include "log.h"

#define SQS_XMLNS "http://queue.amazonaws.com/doc/2012-11-05/"
#define SNS_XMLNS "http://sns.amazonaws.com/doc/2010-03-31/"
#define SQS_VERSION "2012-11-05"
#define SNS_VERSION "2010-03-31"
#define JSON_CTYPE "application/x-amz-json-1.0"
#define XML_CTYPE "text/xml"
#define SIGV4_SKEW_S (15 * 60)

/* SQS's Query replies flatten lists and maps (aws_xml.h). */
static const struct aws_xml_rule sqs_rules[] = {
    {"QueueUrls", AWS_XML_LIST, "QueueUrl", NULL, NULL},
    {"queueUrls", AWS_XML_LIST, "QueueUrl", NULL, NULL},
    {"Messages", AWS_XML_LIST, "Message", NULL, NULL},
    {"Attributes", AWS_XML_MAP, "Attribute", "Name", "Value"},
    {"MessageAttributes", AWS_XML_MAP, "MessageAttribute", "Name", "Value"},
    {"Tags", AWS_XML_MAP, "Tag", "Key", "Value"},
    {"Successful", AWS_XML_LIST, NULL, NULL, NULL},
    {"Failed", AWS_XML_LIST, "BatchResultErrorEntry", NULL, NULL},
    {"Results", AWS_XML_LIST, "ListMessageMoveTasksResultEntry", NULL, NULL},
    {NULL, 0, NULL, NULL, NULL},
};
static const struct aws_xml_style sqs_style = {SQS_XMLNS, 1, sqs_rules};

/* SNS's wrap them in <member> and <entry>. */
static const struct aws_xml_rule sns_rules[] = {
    {"Attributes", AWS_XML_MAP, NULL, "key", "value"},
    {"attributes", AWS_XML_MAP, NULL, "key", "value"}, /* GetSMSAttributes */
    {NULL, 0, NULL, NULL, NULL},
};
static const struct aws_xml_style sns_style = {SNS_XMLNS, 0, sns_rules};

/* ---- requests ---- */

void aws_req_free(struct aws_req *r)
{
    hub_aws *aws = r->aws;
    if (r->prev)
        r->prev->next = r->next;
    else
        aws->reqs = r->next;
    if (r->next) r->next->prev = r->prev;
    json_decref(r->in);
    json_decref(r->out);
    hub_free(r);
}

int aws_gone(const struct aws_req *r)
{
    return r->x == NULL;
}

static void on_abort(void *ud)
{
    struct aws_req *r = ud;
    r->x = NULL;
    if (r->polling && r->aws->bus) hub_bus_receive_cancel(r->aws->bus, r->ticket);
}

hub_bus *aws_bus(struct aws_req *r)
{
    if (!r->aws->bus) aws_fail(r, HUB_ECLOSED, NULL);
    return r->aws->bus;
}

static void send_reply(struct aws_req *r, int status, const char *ctype, const char *extra,
                       const char *body, size_t len)
{
    char rid[80];
    const char *headers[3] = {rid, extra, NULL};
    snprintf(rid, sizeof rid, "x-amzn-RequestId: %s", r->id);
    if (r->x) hub_httpx_reply(r->x, status, ctype, headers, body, len);
    r->x = NULL;
}

void aws_reply(struct aws_req *r, json_t *result)
{
    if (r->x) {
        if (r->json) {
            char *s = result ? json_dumps(result, JSON_COMPACT) : hub_strdup("{}");
            if (s) {
                send_reply(r, 200, JSON_CTYPE, NULL, s, strlen(s));
                hub_free(s);
            } else {
                json_decref(result);
                aws_fail(r, HUB_ENOMEM, NULL);
                return;
            }
        } else {
            struct aws_buf b;
            aws_buf_init(&b);
            json_t *empty = !result && !r->action->no_result ? json_object() : NULL;
            aws_xml_response(&b, r->service == AWS_SQS ? &sqs_style : &sns_style, r->action->name,
                             r->action->no_result ? NULL
                             : result             ? result
                                                  : empty,
                             r->id);
            json_decref(empty);
            if (b.failed) {
                aws_buf_free(&b);
                json_decref(result);
                aws_fail(r, HUB_ENOMEM, NULL);
                return;
            }
            send_reply(r, 200, XML_CTYPE, NULL, b.data, b.len);
            aws_buf_free(&b);
        }
    }
    json_decref(result);
    aws_req_free(r);
}

void aws_fail_raw(struct aws_req *r, int status, const char *shape, const char *code,
                  const char *message)
{
    const char *type = status >= 500 ? "Receiver" : "Sender";
    if (r->x) {
        if (r->json) {
            char qe[200];
            json_t *o = json_pack("{s:s,s:s}", "__type", shape, "message", message);
            char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
            snprintf(qe, sizeof qe, "x-amzn-query-error: %s;%s", code, type);
            if (s)
                send_reply(r, status, JSON_CTYPE, qe, s, strlen(s));
            else
                send_reply(r, 500, "text/plain", NULL, "out of memory", 13);
            hub_free(s);
            json_decref(o);
        } else {
            struct aws_buf b;
            aws_buf_init(&b);
            aws_xml_error(&b, r->service == AWS_SQS ? SQS_XMLNS : SNS_XMLNS, type, code, message,
                          r->id);
            if (b.failed)
                send_reply(r, 500, "text/plain", NULL, "out of memory", 13);
            else
                send_reply(r, status, XML_CTYPE, NULL, b.data, b.len);
            aws_buf_free(&b);
        }
    }
    aws_req_free(r);
}

/* SNS's names for the bus's conditions. */
static void sns_error(int err, const char **code, int *status)
{
    switch (err) {
    case HUB_BUS_ENOT_FOUND:
    case HUB_BUS_EQUEUE_DOES_NOT_EXIST:
        *code = "NotFound", *status = 404;
        break;
    case HUB_BUS_ERESOURCE_NOT_FOUND:
        *code = "ResourceNotFound", *status = 404;
        break;
    case HUB_BUS_EINVALID_PARAMETER_VALUE:
        *code = "ParameterValueInvalid", *status = 400;
        break;
    case HUB_BUS_EEMPTY_BATCH_REQUEST:
    case HUB_BUS_ETOO_MANY_ENTRIES_IN_BATCH_REQUEST:
    case HUB_BUS_EBATCH_ENTRY_IDS_NOT_DISTINCT:
    case HUB_BUS_EINVALID_BATCH_ENTRY_ID:
    case HUB_BUS_EBATCH_REQUEST_TOO_LONG:
        *code = hub_bus_error_name(err), *status = 400;
        break;
    case HUB_ECLOSED:
        *code = "ServiceUnavailable", *status = 503;
        break;
    case HUB_ENOMEM:
    case HUB_EINVAL:
        *code = "InternalError", *status = 500;
        break;
    default:
        if (err <= -100)
            *code = "InvalidParameter", *status = 400;
        else
            *code = "InternalError", *status = 500;
    }
}

void aws_fail(struct aws_req *r, int err, const char *fmt, ...)
{
    char msg[512];
    const char *code, *shape;
    int status;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
    } else {
        snprintf(msg, sizeof msg, "%s", hub_bus_strerror(err));
    }
    if (r->service == AWS_SNS) {
        sns_error(err, &code, &status);
        aws_fail_raw(r, status, code, code, msg);
        return;
    }
    char full[160];
    if (err == HUB_ECLOSED) {
        code = shape = "ServiceUnavailable";
        status = 503;
    } else if (err == HUB_EUNSUPPORTED || err <= -100) {
        shape = hub_bus_error_name(err);
        code = hub_bus_error_query_code(err);
        status = hub_bus_error_status(err);
    } else {
        code = shape = "InternalFailure";
        status = 500;
    }
    snprintf(full, sizeof full, "com.amazonaws.sqs#%s", shape);
    aws_fail_raw(r, status, full, code, msg);
}

/* ---- request members ---- */

const char *aws_in_str(const struct aws_req *r, const char *name)
{
    return json_string_value(json_object_get(r->in, name));
}

const char *aws_need_str(struct aws_req *r, const char *name)
{
    const char *s = aws_in_str(r, name);
    if (!s) {
        if (r->service == AWS_SNS)
            aws_fail(r, HUB_BUS_EINVALID_PARAMETER, "Invalid parameter: %s", name);
        else
            aws_fail(r, HUB_BUS_EMISSING_PARAMETER, "The request must contain the parameter %s.",
                     name);
    }
    return s;
}

int aws_in_int(struct aws_req *r, const char *name, int64_t min, int64_t max, int64_t *out)
{
    json_t *v = json_object_get(r->in, name);
    char text[64];
    long long n = 0;
    int ok = 0;
    if (!v || json_is_null(v)) return 0;
    if (json_is_integer(v)) {
        n = json_integer_value(v);
        ok = 1;
        snprintf(text, sizeof text, "%lld", n);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        snprintf(text, sizeof text, "%s", s);
        if (*s && ((*s >= '0' && *s <= '9') || *s == '-')) {
            n = strtoll(s, &end, 10);
            ok = *end == '\0';
        }
    } else {
        snprintf(text, sizeof text, "%s", json_is_real(v) ? "a number" : "that value");
    }
    if (!ok || n < min || n > max) {
        aws_fail(r,
                 r->service == AWS_SNS ? HUB_BUS_EINVALID_PARAMETER
                                       : HUB_BUS_EINVALID_PARAMETER_VALUE,
                 "Value %s for parameter %s is invalid. Reason: Must be between %lld and %lld, "
                 "if provided.",
                 text, name, (long long)min, (long long)max);
        return -1;
    }
    *out = n;
    return 1;
}

int aws_in_bool(struct aws_req *r, const char *name, int *out)
{
    json_t *v = json_object_get(r->in, name);
    if (!v || json_is_null(v)) return 0;
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return 1;
    }
    const char *s = json_string_value(v);
    if (s && (strcasecmp(s, "true") == 0 || strcasecmp(s, "false") == 0)) {
        *out = strcasecmp(s, "true") == 0;
        return 1;
    }
    aws_fail(r,
             r->service == AWS_SNS ? HUB_BUS_EINVALID_PARAMETER : HUB_BUS_EINVALID_PARAMETER_VALUE,
             "Invalid value for the parameter %s (true or false).", name);
    return -1;
}

int aws_in_strings(struct aws_req *r, const char *name, const char ***out, size_t *n)
{
    json_t *v = json_object_get(r->in, name);
    *out = NULL;
    *n = 0;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_array(v)) goto bad;
    size_t k = json_array_size(v);
    if (k == 0) return 0;
    const char **a = hub_calloc(k, sizeof *a);
    if (!a) {
        aws_fail(r, HUB_ENOMEM, NULL);
        return -1;
    }
    for (size_t i = 0; i < k; i++) {
        if (!(a[i] = json_string_value(json_array_get(v, i)))) {
            hub_free(a);
            goto bad;
        }
    }
    *out = a;
    *n = k;
    return 0;
bad:
    aws_fail(r,
             r->service == AWS_SNS ? HUB_BUS_EINVALID_PARAMETER : HUB_BUS_EINVALID_PARAMETER_VALUE,
             "The parameter %s must be a list of strings.", name);
    return -1;
}

/* ---- names ---- */

/* The queue name in a queue URL or path: /<account>/<name>, /queue/<name>, /<name> (also as the
 * path of a full URL). Returns the name (borrowed), or NULL. */
static const char *url_queue_name(const char *url)
{
    const char *p = strstr(url, "://");
    if (p) {
        p = strchr(p + 3, '/');
        if (!p) return NULL;
    } else {
        p = url;
    }
    if (*p != '/') return hub_bus_name_valid(p, 0) ? p : NULL; /* a bare name */
    const char *last = strrchr(p, '/') + 1;
    if (!*last || !hub_bus_name_valid(last, 0)) return NULL;
    /* at most two segments */
    int segs = 0;
    for (const char *q = p; *q; q++)
        if (*q == '/') segs++;
    return segs <= 2 ? last : NULL;
}

int aws_queue_from_request(struct aws_req *r)
{
    const char *url = aws_in_str(r, "QueueUrl");
    const char *name;
    if (!url || !*url) {
        if (!r->path_queue[0]) {
            aws_fail(r, HUB_BUS_EMISSING_PARAMETER,
                     "The request must contain the parameter QueueUrl.");
            return -1;
        }
        name = r->path_queue;
    } else if (!(name = url_queue_name(url))) {
        aws_fail(r, HUB_BUS_EQUEUE_DOES_NOT_EXIST, "The specified queue does not exist.");
        return -1;
    }
    snprintf(r->queue, sizeof r->queue, "%s", name);
    return 0;
}

void aws_queue_url(const struct aws_req *r, const char *queue, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s/%s", r->base_url, r->aws->account, queue);
}

void aws_arn(const hub_aws *aws, const char *service, const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "arn:aws:%s:%s:%s:%s", service, aws->region, aws->account, name);
}

/* Splits "arn:aws:<service>:<region>:<account>:<rest>" and checks service, region and account;
 * returns rest (borrowed) or NULL. */
static const char *arn_rest(const hub_aws *aws, const char *arn, const char *service)
{
    char prefix[128];
    if (!arn) return NULL;
    snprintf(prefix, sizeof prefix, "arn:aws:%s:%s:%s:", service, aws->region, aws->account);
    size_t n = strlen(prefix);
    return strncmp(arn, prefix, n) == 0 && arn[n] ? arn + n : NULL;
}

const char *aws_queue_arn_name(const hub_aws *aws, const char *arn)
{
    const char *rest = arn_rest(aws, arn, "sqs");
    return rest && hub_bus_name_valid(rest, 0) ? rest : NULL;
}

const char *aws_topic_arn_name(const hub_aws *aws, const char *arn, char *buf, size_t len)
{
    const char *rest = arn_rest(aws, arn, "sns");
    if (!rest || strchr(rest, ':') || !hub_bus_name_valid(rest, 1)) return NULL;
    snprintf(buf, len, "%s", rest);
    return buf;
}

int aws_sub_arn_parse(const hub_aws *aws, const char *arn, char *topic, size_t tlen,
                      char id[HUB_BUS_UUID_LEN + 1])
{
    const char *rest = arn_rest(aws, arn, "sns");
    const char *colon = rest ? strchr(rest, ':') : NULL;
    if (!colon || (size_t)(colon - rest) >= tlen || strlen(colon + 1) != HUB_BUS_UUID_LEN ||
        strchr(colon + 1, ':'))
        return -1;
    memcpy(topic, rest, (size_t)(colon - rest));
    topic[colon - rest] = '\0';
    if (!hub_bus_name_valid(topic, 1)) return -1;
    memcpy(id, colon + 1, HUB_BUS_UUID_LEN + 1);
    return 0;
}

/* ---- SigV4 ---- */

static const char *secret_of(const hub_aws *aws, const char *akid)
{
    const struct hub_aws_config *c = aws->acfg;
    for (size_t i = 0; c && i < c->naccess_keys; i++)
        if (strcmp(c->access_keys[2 * i], akid) == 0) return c->access_keys[2 * i + 1];
    return NULL;
}

static time_t amz_time(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!s || strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z') return (time_t)-1;
    if (sscanf(s, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec) != 6)
        return (time_t)-1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
}

/* How a request authenticates: an Authorization header, a presigned query (X-Amz-Algorithm and
 * the other X-Amz-* parameters), both, or neither. */
struct aws_auth {
    struct aws_sigv4_auth a; /* the header's, else the query's; valid when ok */
    int header, query;       /* an Authorization header / an X-Amz-Algorithm parameter is there */
    int ok;
    char why[320]; /* !ok: what is malformed, or "" when nothing usable was there */
};

static void read_auth(hub_httpx *x, struct aws_auth *au)
{
    char hdr[2048];
    struct aws_sigv4_auth qa;
    memset(au, 0, sizeof *au);
    int q = aws_sigv4_parse_query(hub_httpx_query(x), &qa, au->why, sizeof au->why);
    au->query = q != 1;
    if (hub_httpx_header(x, "authorization", hdr, sizeof hdr) > 0) {
        const char *h = hdr + strspn(hdr, " ");
        au->header = 1;
        au->ok = aws_sigv4_parse(h, &au->a) == 0;
        if (!au->ok && strncmp(h, "AWS4-", 5) == 0)
            snprintf(au->why, sizeof au->why,
                     "Authorization header requires 'Credential' (AKID/yyyymmdd/region/service/"
                     "aws4_request), 'SignedHeaders' and 'Signature' (64 hex digits) parameters.");
        else
            au->why[0] = '\0'; /* parsed, or another scheme: as if there were none */
    }
    if (!au->ok && q == 0) { /* without keys, the query's scope and key still route and name */
        au->a = qa;
        au->ok = 1;
    }
}

/* Answers with an authentication error: code is the Query code (and x-amzn-query-error's), coral
 * the name in SQS JSON's __type. Returns -1. */
static int auth_fail(struct aws_req *r, int status, const char *code, const char *coral,
                     const char *message)
{
    char shape[96];
    snprintf(shape, sizeof shape, "com.amazon.coral.service#%s", coral);
    aws_fail_raw(r, status, r->service == AWS_SQS && r->json ? shape : code, code, message);
    return -1;
}

static int bad_signature(struct aws_req *r, const char *message)
{
    return auth_fail(r, 403, "SignatureDoesNotMatch", "SignatureDoesNotMatch", message);
}

/* Verifies the request's signature when access keys are configured. Returns 0, or -1 after
 * answering with the service's error. */
static int check_signature(struct aws_req *r, const struct aws_auth *au)
{
    hub_httpx *x = r->x;
    const struct aws_sigv4_auth *a = &au->a;
    if (!r->aws->acfg || r->aws->acfg->naccess_keys == 0) return 0;
    if (au->header && au->query)
        return bad_signature(r, "Found both 'X-Amz-Algorithm' as a query-string param and "
                                "'Authorization' as HTTP header.");
    if (!au->ok && au->why[0])
        return auth_fail(r, 403, "IncompleteSignature", "IncompleteSignatureException", au->why);
    if (!au->ok)
        return auth_fail(r, 403, "MissingAuthenticationToken",
                         "MissingAuthenticationTokenException",
                         "Request is missing Authentication Token");
    const char *secret = secret_of(r->aws, a->access_key);
    if (!secret)
        return auth_fail(r, 403, "InvalidClientTokenId", "InvalidClientTokenId",
                         "The security token included in the request is invalid.");
    char names[AWS_SIGV4_MAX_HEADERS][64], date[32], sha[80];
    char *vals[AWS_SIGV4_MAX_HEADERS] = {0};
    int n = aws_sigv4_header_names(a->signed_headers, names, AWS_SIGV4_MAX_HEADERS), rc = 0;
    int has_date = !a->presigned && hub_httpx_header(x, "x-amz-date", date, sizeof date) > 0;
    int has_sha = hub_httpx_header(x, "x-amz-content-sha256", sha, sizeof sha) > 0;
    time_t t = a->presigned ? amz_time(a->amz_date) : has_date ? amz_time(date) : (time_t)-1;
    time_t now = time(NULL);
    int host = 0;
    for (int i = 0; i < n; i++)
        host |= strcmp(names[i], "host") == 0;
    if (a->presigned && !host)
        return bad_signature(r, "'Host' must be a 'SignedHeader' in the AWS Authorization.");
    /* A presigned URL lives X-Amz-Expires seconds; without one, and for a header, the request
     * time must be within 15 minutes of ours. A time further ahead fails either way. */
    if (n >= 0 && t != (time_t)-1 &&
        (t - now > SIGV4_SKEW_S || (!a->expires && now - t > SIGV4_SKEW_S)))
        return bad_signature(r, "Signature expired: the request time is more than 15 minutes "
                                "away from the server's time.");
    if (t != (time_t)-1 && a->expires && now - t > a->expires) {
        char msg[160];
        snprintf(msg, sizeof msg, "Request has expired: X-Amz-Date %s plus X-Amz-Expires %ld s.",
                 a->amz_date, a->expires);
        return auth_fail(r, 400, "RequestExpired", "RequestExpired", msg);
    }
    for (int i = 0; i < n && rc == 0; i++) {
        char buf[2048];
        int len = hub_httpx_header(x, names[i], buf, sizeof buf);
        if (len >= 0 && !(vals[i] = hub_strndup(buf, (size_t)len))) rc = HUB_ENOMEM;
    }
    if (rc == 0 && n >= 0) {
        size_t blen;
        const char *body = hub_httpx_body(x, &blen);
        struct hub_aws_sigv4_request q = {
            .method = hub_httpx_method(x),
            .path = hub_httpx_path(x),
            .query = hub_httpx_query(x),
            .amz_date = has_date ? date : NULL,
            .values = (const char *const *)vals,
            .nvalues = (size_t)n,
            .body = body,
            .body_len = blen,
            .content_sha256 = has_sha ? sha : NULL,
        };
        rc = hub_aws_sigv4_verify(a, secret, &q);
    } else if (rc == 0) {
        rc = HUB_EINVAL;
    }
    for (int i = 0; i < n; i++)
        hub_free(vals[i]);
    if (rc == HUB_ENOMEM) {
        aws_fail(r, HUB_ENOMEM, NULL);
        return -1;
    }
    if (rc)
        return bad_signature(r, "The request signature we calculated does not match the signature "
                                "you provided. Check your AWS Secret Access Key and signing "
                                "method. Consult the service documentation for details.");
    return 0;
}

/* ---- the route ---- */

static int is_form(hub_httpx *x)
{
    char ct[128];
    if (hub_httpx_header(x, "content-type", ct, sizeof ct) <= 0) return 1;
    return strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0;
}

static void base_url(struct aws_req *r)
{
    char host[256], proto[16];
    if (r->aws->acfg && r->aws->acfg->advertised_url) {
        snprintf(r->base_url, sizeof r->base_url, "%s", r->aws->acfg->advertised_url);
        return;
    }
    if (hub_httpx_header(r->x, "host", host, sizeof host) <= 0)
        snprintf(host, sizeof host, "localhost:%d", r->aws->cfg->port);
    int https = hub_httpx_header(r->x, "x-forwarded-proto", proto, sizeof proto) > 0 &&
                strcasecmp(proto, "https") == 0;
    snprintf(r->base_url, sizeof r->base_url, "%s://%s", https ? "https" : "http", host);
}

static void path_queue(struct aws_req *r)
{
    const char *path = hub_httpx_path(r->x);
    const char *name = path && strcmp(path, "/") != 0 ? url_queue_name(path) : NULL;
    if (name) snprintf(r->path_queue, sizeof r->path_queue, "%s", name);
}

/* The JSON protocol: the target names the action, the body holds the members. */
static int start_json(struct aws_req *r, const char *target)
{
    static const char prefix[] = "AmazonSQS.";
    r->service = AWS_SQS;
    r->json = 1;
    if (strncmp(target, prefix, sizeof prefix - 1) != 0 ||
        !(r->action = aws_sqs_action(target + sizeof prefix - 1))) {
        aws_fail_raw(r, 400, "com.amazonaws.sqs#InvalidAction", "InvalidAction",
                     "The action or operation requested is invalid. Verify that the action is "
                     "typed correctly.");
        return -1;
    }
    size_t len;
    const char *body = hub_httpx_body(r->x, &len);
    json_error_t e;
    r->in = len ? json_loadb(body, len, 0, &e) : json_object();
    if (!json_is_object(r->in)) {
        aws_fail_raw(r, 400, "com.amazon.coral.service#SerializationException",
                     "SerializationException", "The request body is not a JSON object.");
        return -1;
    }
    return 0;
}

/* The Query protocol: Action, Version and the members in the query string and/or the form body. */
static int start_query(struct aws_req *r, struct aws_form *f, const struct aws_sigv4_auth *a,
                       int have_auth)
{
    size_t len;
    const char *body = hub_httpx_body(r->x, &len);
    const char *q = hub_httpx_query(r->x);
    r->service = AWS_SQS;
    if ((q && *q && aws_form_parse(f, q, strlen(q))) ||
        (len && is_form(r->x) && aws_form_parse(f, body, len))) {
        aws_fail_raw(r, 400, "MalformedQueryString", "MalformedQueryString",
                     "The query string or form is not well-formed.");
        return -1;
    }
    const char *action = aws_form_get(f, "Action", NULL);
    const char *version = aws_form_get(f, "Version", NULL);
    const struct aws_action *sqs = action ? aws_sqs_action(action) : NULL;
    const struct aws_action *sns = action ? aws_sns_action(action) : NULL;
    if (version && strcmp(version, SNS_VERSION) == 0)
        r->service = AWS_SNS;
    else if (version && strcmp(version, SQS_VERSION) == 0)
        r->service = AWS_SQS;
    else if (have_auth && strcmp(a->service, "sns") == 0)
        r->service = AWS_SNS;
    else if (have_auth && strcmp(a->service, "sqs") == 0)
        r->service = AWS_SQS;
    else if (sns && !sqs)
        r->service = AWS_SNS;
    else if (sns && sqs &&
             (aws_form_get(f, "TopicArn", NULL) || aws_form_get(f, "ResourceArn", NULL)))
        r->service = AWS_SNS;
    if (!action) {
        aws_fail_raw(r, 400, "MissingAction", "MissingAction",
                     "The request must contain the parameter Action.");
        return -1;
    }
    r->action = r->service == AWS_SNS ? sns : sqs;
    if (!r->action) {
        char msg[200];
        snprintf(msg, sizeof msg, "The action %.80s is not valid for this endpoint.", action);
        aws_fail_raw(r, 400, "InvalidAction", "InvalidAction", msg);
        return -1;
    }
    return 0;
}

static int convert_query(struct aws_req *r, struct aws_form *f)
{
    const char *bad = NULL;
    int rc = aws_query_to_json(f, r->action->query, &r->in, &bad);
    if (rc == HUB_EINVAL) {
        if (r->service == AWS_SNS)
            aws_fail(r, HUB_BUS_EINVALID_PARAMETER, "Invalid parameter: %.100s", bad);
        else if (bad && strstr(bad, "MessageBody"))
            aws_fail(r, HUB_BUS_EINVALID_MESSAGE_CONTENTS,
                     "Invalid binary character in the "
                     "message body.");
        else
            aws_fail(r, HUB_BUS_EINVALID_PARAMETER_VALUE,
                     "Value for parameter %.100s is invalid (not UTF-8).", bad ? bad : "?");
        return -1;
    }
    if (rc) {
        aws_fail(r, rc, NULL);
        return -1;
    }
    return 0;
}

/* Request ids in the UUID v4 shape from a random prefix and a counter: unique within the process
 * without a getrandom() per request. */
static void request_id(hub_aws *aws, char out[HUB_BUS_UUID_LEN + 1])
{
    uint64_t n = ++aws->rid_counter, p = aws->rid_prefix;
    snprintf(out, HUB_BUS_UUID_LEN + 1, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(p >> 32),
             (unsigned)(p >> 16) & 0xffffu, (unsigned)p & 0xfffu,
             0x8000u | ((unsigned)(n >> 48) & 0x3fffu),
             (unsigned long long)(n & 0xffffffffffffULL));
}

static void on_request(void *ud, hub_httpx *x)
{
    hub_aws *aws = ud;
    struct aws_req *r = hub_calloc(1, sizeof *r);
    struct aws_form form = {0};
    struct aws_auth auth;
    char target[128];
    if (!r) {
        hub_httpx_reply(x, 500, "text/plain", NULL, "out of memory", 13);
        return;
    }
    r->aws = aws;
    r->x = x;
    r->next = aws->reqs;
    if (aws->reqs) aws->reqs->prev = r;
    aws->reqs = r;
    request_id(aws, r->id);
    hub_httpx_on_abort(x, on_abort, r);
    base_url(r);
    path_queue(r);
    read_auth(x, &auth);
    if (auth.ok) snprintf(r->sender, sizeof r->sender, "%s", auth.a.access_key);
    int rc = hub_httpx_header(x, "x-amz-target", target, sizeof target) > 0
                 ? start_json(r, target)
                 : start_query(r, &form, &auth.a, auth.ok);
    if (rc == 0) rc = check_signature(r, &auth);
    if (rc == 0 && !r->json) rc = convert_query(r, &form);
    aws_form_clear(&form);
    if (rc) return;
    if (!aws->bus) {
        aws_fail(r, HUB_ECLOSED, "The service is not available yet.");
        return;
    }
    hub_log(HUB_LOG_DEBUG, "aws: %s %s.%s", r->json ? "json" : "query",
            r->service == AWS_SQS ? "sqs" : "sns", r->action->name);
    r->action->run(r);
}

/* ---- the API object ---- */

int hub_aws_config_enabled(const struct hub_config *cfg)
{
    return cfg && cfg->aws && cfg->aws->enabled;
}

hub_aws *hub_aws_new(const struct hub_config *cfg)
{
    hub_aws *aws = hub_calloc(1, sizeof *aws);
    if (!aws) return NULL;
    aws->cfg = cfg;
    aws->acfg = cfg->aws;
    const char *bus_account = cfg->bus ? cfg->bus->account : NULL;
    const char *bus_region = cfg->bus ? cfg->bus->region : NULL;
    snprintf(aws->account, sizeof aws->account, "%s",
             hub_aws_config_account(cfg->aws, bus_account));
    snprintf(aws->region, sizeof aws->region, "%s", hub_aws_config_region(cfg->aws, bus_region));
    char seed[HUB_BUS_UUID_LEN + 1];
    hub_bus_uuid(seed);
    aws->rid_prefix = hub_map_hash(1, 2, seed, HUB_BUS_UUID_LEN);
    hub_bus_uuid(seed);
    hub_map_init(&aws->attempts, hub_map_hash(3, 4, seed, HUB_BUS_UUID_LEN),
                 hub_map_hash(5, 6, seed, HUB_BUS_UUID_LEN));
    if (!(aws->mobile = aws_mobile_new(aws))) {
        hub_free(aws);
        return NULL;
    }
    return aws;
}

int hub_aws_add_routes(hub_aws *aws, hub_routes *routes)
{
    char path[32];
    snprintf(path, sizeof path, "/%s/", aws->account);
    int rc = hub_routes_add_method(routes, "POST", "/", HUB_ROUTE_PREFIX | HUB_ROUTE_BODY,
                                   HUB_AWS_MAX_BODY, on_request, aws);
    if (rc == 0)
        rc = hub_routes_add_method(routes, "GET", path, HUB_ROUTE_PREFIX, 0, on_request, aws);
    if (rc == 0) rc = aws_mobile_add_routes(aws, routes);
    return rc;
}

void hub_aws_set_bus(hub_aws *aws, hub_bus *bus)
{
    if (aws->bus && aws->bus != bus) {
        for (struct aws_req *r = aws->reqs; r; r = r->next)
            if (r->polling) hub_bus_receive_cancel(aws->bus, r->ticket);
    }
    aws_mobile_set_bus(aws, bus);
    aws->bus = bus;
}

void hub_aws_free(hub_aws *aws)
{
    if (!aws) return;
    while (aws->reqs)
        aws_req_free(aws->reqs); /* none once the loop ran dry */
    aws_sqs_attempts_clear(aws);
    hub_map_clear(&aws->attempts);
    aws_mobile_free(aws->mobile);
    hub_free(aws);
}
