/* aws_bench.c - SQS SendMessage / ReceiveMessage / DeleteMessage per second through Hubbub's AWS
 * JSON 1.0 protocol (docs/AWS.md, docs/BENCHMARKS.md "AWS SQS API").
 *
 *   aws_bench --port P [--conns N] [--seconds S] [--batch 1|10] [--body BYTES] [--queue NAME]
 *             [--max-messages M]
 *
 * Creates the queue (VisibilityTimeout 600, so received messages stay in flight), then runs three
 * phases with N keep-alive connections, one thread each, plain HTTP/1.1 requests as the SDKs send
 * them (unsigned: the hub does not verify signatures unless access keys are configured):
 *   send     SendMessage (batch 1) or SendMessageBatch of 10, for S seconds or M messages
 *            (default 100,000: SQS's in-flight limit is 120,000)
 *   receive  ReceiveMessage (MaxNumberOfMessages = batch, WaitTimeSeconds 0) until the queue is
 *            empty or S seconds passed; receipt handles are kept
 *   delete   DeleteMessage / DeleteMessageBatch of every handle received
 * and prints one JSON line per phase: requests/s, messages/s, latency percentiles (us). Every
 * answer must be 200 with the expected members; any other answer counts as an error and makes the
 * exit status 1. Only libc and pthreads. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 256
#define RESP_MAX (1 << 20)
#define HANDLE_MAX 128

static int port, conns = 16, seconds = 5, batch = 1, body_len = 100;
/* SQS answers OverLimit past 120,000 in-flight messages per standard queue: the send phase stops
 * below that, so the receive phase can take every message. */
static long max_messages = 100000;
static atomic_long sent_total;
static const char *queue = "bench";
static char queue_url[256];
static char *payload;

struct handles {
    pthread_mutex_t lock;
    char (*v)[HANDLE_MAX];
    size_t n, cap, next;
};
static struct handles handles = {.lock = PTHREAD_MUTEX_INITIALIZER};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct conn {
    int fd;
    char *resp;
    size_t len;  /* bytes in resp */
    size_t body; /* offset of the body */
    size_t blen;
};

static int conn_open(struct conn *c)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int one = 1;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) return -1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->resp = malloc(RESP_MAX);
    c->len = 0;
    return c->resp ? 0 : -1;
}

static void conn_close(struct conn *c)
{
    if (c->fd >= 0) close(c->fd);
    free(c->resp);
}

/* Sends one request and reads its response; returns the HTTP status, or -1. The body is at
 * c->resp + c->body (NUL-terminated), c->blen bytes. */
static int call(struct conn *c, const char *target, const char *json, size_t jlen)
{
    char head[512];
    int hn = snprintf(head, sizeof head,
                      "POST / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: "
                      "application/x-amz-json-1.0\r\nX-Amz-Target: AmazonSQS.%s\r\n"
                      "Content-Length: %zu\r\n\r\n",
                      port, target, jlen);
    struct part {
        const void *b;
        size_t n;
    } parts[2] = {{head, (size_t)hn}, {json, jlen}};
    for (int i = 0; i < 2; i++) {
        size_t off = 0;
        while (off < parts[i].n) {
            ssize_t w = send(c->fd, (const char *)parts[i].b + off, parts[i].n - off, MSG_NOSIGNAL);
            if (w <= 0) return -1;
            off += (size_t)w;
        }
    }
    /* response: head, then content-length bytes (the hub always sends content-length) */
    size_t want = 0;
    c->len = 0;
    for (;;) {
        ssize_t r = recv(c->fd, c->resp + c->len, RESP_MAX - 1 - c->len, 0);
        if (r <= 0) return -1;
        c->len += (size_t)r;
        c->resp[c->len] = '\0';
        if (!want) {
            char *end = strstr(c->resp, "\r\n\r\n");
            if (!end) continue;
            char *cl = strcasestr(c->resp, "content-length:");
            if (!cl || cl > end) return -1;
            c->body = (size_t)(end + 4 - c->resp);
            c->blen = strtoul(cl + 15, NULL, 10);
            want = c->body + c->blen;
        }
        if (c->len >= want) break;
    }
    c->resp[want] = '\0';
    return atoi(c->resp + 9);
}

/* ---- statistics ---- */

struct stats {
    uint64_t requests, messages, errors;
    uint32_t *lat; /* microseconds */
    size_t nlat, cap;
};

static void lat_add(struct stats *s, double us)
{
    if (s->nlat == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4096;
        s->lat = realloc(s->lat, s->cap * sizeof *s->lat);
        if (!s->lat) abort();
    }
    s->lat[s->nlat++] = (uint32_t)us;
}

static int u32cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* ---- phases ---- */

enum phase { SEND, RECEIVE, DELETE };
static enum phase phase;
static double deadline;
static atomic_int stop_all;

static void handle_put(const char *h, size_t n)
{
    pthread_mutex_lock(&handles.lock);
    if (handles.n == handles.cap) {
        handles.cap = handles.cap ? handles.cap * 2 : 65536;
        handles.v = realloc(handles.v, handles.cap * sizeof *handles.v);
        if (!handles.v) abort();
    }
    if (n >= HANDLE_MAX) n = HANDLE_MAX - 1;
    memcpy(handles.v[handles.n], h, n);
    handles.v[handles.n][n] = '\0';
    handles.n++;
    pthread_mutex_unlock(&handles.lock);
}

/* Takes up to max handles; returns the first index and the count in *n. */
static size_t handles_take(size_t max, size_t *n)
{
    pthread_mutex_lock(&handles.lock);
    size_t first = handles.next;
    *n = handles.n - first < max ? handles.n - first : max;
    handles.next += *n;
    pthread_mutex_unlock(&handles.lock);
    return first;
}

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void *worker(void *arg)
{
    struct stats *st = arg;
    struct conn c = {.fd = -1};
    char *req = malloc(64 + (size_t)batch * ((size_t)body_len + 1200));
    if (!req || conn_open(&c)) {
        st->errors++;
        free(req);
        conn_close(&c);
        return NULL;
    }
    while (!atomic_load(&stop_all) && now_s() < deadline) {
        const char *target;
        size_t n = 0, take = 0, first = 0;
        if (phase == SEND) {
            if (atomic_fetch_add(&sent_total, batch) + batch > max_messages) break;
            if (batch == 1) {
                target = "SendMessage";
                n = (size_t)sprintf(req, "{\"QueueUrl\":\"%s\",\"MessageBody\":\"%s\"}", queue_url,
                                    payload);
            } else {
                target = "SendMessageBatch";
                n = (size_t)sprintf(req, "{\"QueueUrl\":\"%s\",\"Entries\":[", queue_url);
                for (int i = 0; i < batch; i++)
                    n += (size_t)sprintf(req + n, "%s{\"Id\":\"e%d\",\"MessageBody\":\"%s\"}",
                                         i ? "," : "", i, payload);
                n += (size_t)sprintf(req + n, "]}");
            }
        } else if (phase == RECEIVE) {
            target = "ReceiveMessage";
            n = (size_t)sprintf(req, "{\"QueueUrl\":\"%s\",\"MaxNumberOfMessages\":%d}", queue_url,
                                batch);
        } else {
            first = handles_take((size_t)batch, &take);
            if (!take) break;
            if (batch == 1) {
                target = "DeleteMessage";
                n = (size_t)sprintf(req, "{\"QueueUrl\":\"%s\",\"ReceiptHandle\":\"%s\"}",
                                    queue_url, handles.v[first]);
            } else {
                target = "DeleteMessageBatch";
                n = (size_t)sprintf(req, "{\"QueueUrl\":\"%s\",\"Entries\":[", queue_url);
                for (size_t i = 0; i < take; i++)
                    n += (size_t)sprintf(req + n, "%s{\"Id\":\"d%zu\",\"ReceiptHandle\":\"%s\"}",
                                         i ? "," : "", i, handles.v[first + i]);
                n += (size_t)sprintf(req + n, "]}");
            }
        }
        double t0 = now_s();
        int status = call(&c, target, req, n);
        lat_add(st, (now_s() - t0) * 1e6);
        st->requests++;
        const char *body = c.resp + c.body;
        if (status != 200) {
            st->errors++;
            if (status < 0) break;
            continue;
        }
        if (phase == SEND) {
            size_t got = count(body, "\"MessageId\"");
            if (got != (size_t)batch) st->errors++;
            st->messages += got;
        } else if (phase == RECEIVE) {
            size_t got = 0;
            for (const char *p = strstr(body, "\"ReceiptHandle\":\""); p;
                 p = strstr(p + 1, "\"ReceiptHandle\":\"")) {
                const char *h = p + 17, *e = strchr(h, '"');
                if (!e) break;
                handle_put(h, (size_t)(e - h));
                got++;
            }
            st->messages += got;
            if (!got) { /* empty: the phase is over for everyone */
                atomic_store(&stop_all, 1);
                st->requests--; /* the empty answer is not a receive */
                st->nlat--;
            }
        } else {
            if (batch > 1 && count(body, "\"Failed\":[]") != 1) st->errors++;
            st->messages += take;
        }
    }
    free(req);
    conn_close(&c);
    return NULL;
}

static int run_phase(enum phase p, const char *name)
{
    pthread_t th[MAX_CONNS];
    struct stats st[MAX_CONNS];
    memset(st, 0, sizeof st);
    phase = p;
    atomic_store(&stop_all, 0);
    double t0 = now_s();
    deadline = t0 + seconds;
    for (int i = 0; i < conns; i++)
        pthread_create(&th[i], NULL, worker, &st[i]);
    for (int i = 0; i < conns; i++)
        pthread_join(th[i], NULL);
    double el = now_s() - t0;
    struct stats all = {0};
    for (int i = 0; i < conns; i++) {
        all.requests += st[i].requests;
        all.messages += st[i].messages;
        all.errors += st[i].errors;
        for (size_t k = 0; k < st[i].nlat; k++)
            lat_add(&all, st[i].lat[k]);
        free(st[i].lat);
    }
    qsort(all.lat, all.nlat, sizeof *all.lat, u32cmp);
#define PCT(q) (all.nlat ? all.lat[(size_t)((double)(all.nlat - 1) * (q))] : 0)
    printf("{\"phase\":\"%s\",\"batch\":%d,\"conns\":%d,\"seconds\":%.3f,\"requests\":%llu,"
           "\"messages\":%llu,\"errors\":%llu,\"requests_per_s\":%.0f,\"messages_per_s\":%.0f,"
           "\"p50_us\":%u,\"p99_us\":%u,\"max_us\":%u}\n",
           name, batch, conns, el, (unsigned long long)all.requests,
           (unsigned long long)all.messages, (unsigned long long)all.errors,
           (double)all.requests / el, (double)all.messages / el, PCT(0.5), PCT(0.99),
           all.nlat ? all.lat[all.nlat - 1] : 0);
    fflush(stdout);
    free(all.lat);
    return all.errors ? 1 : 0;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--port") == 0 && v)
            port = atoi(v), i++;
        else if (strcmp(argv[i], "--conns") == 0 && v)
            conns = atoi(v), i++;
        else if (strcmp(argv[i], "--seconds") == 0 && v)
            seconds = atoi(v), i++;
        else if (strcmp(argv[i], "--batch") == 0 && v)
            batch = atoi(v), i++;
        else if (strcmp(argv[i], "--body") == 0 && v)
            body_len = atoi(v), i++;
        else if (strcmp(argv[i], "--queue") == 0 && v)
            queue = v, i++;
        else if (strcmp(argv[i], "--max-messages") == 0 && v)
            max_messages = atol(v), i++;
        else {
            fprintf(stderr,
                    "usage: %s --port P [--conns N] [--seconds S] [--batch 1|10] "
                    "[--body BYTES] [--queue NAME]\n",
                    argv[0]);
            return 64;
        }
    }
    if (port <= 0 || conns < 1 || conns > MAX_CONNS || seconds < 1 || (batch != 1 && batch != 10) ||
        body_len < 1 || body_len > 200000) {
        fprintf(stderr, "aws_bench: bad arguments\n");
        return 64;
    }
    payload = malloc((size_t)body_len + 1);
    for (int i = 0; i < body_len; i++)
        payload[i] = (char)('a' + i % 26);
    payload[body_len] = '\0';

    struct conn c = {.fd = -1};
    char req[512];
    if (conn_open(&c)) {
        fprintf(stderr, "aws_bench: cannot connect to 127.0.0.1:%d\n", port);
        return 1;
    }
    int n =
        snprintf(req, sizeof req,
                 "{\"QueueName\":\"%s\",\"Attributes\":{\"VisibilityTimeout\":\"600\"}}", queue);
    if (call(&c, "CreateQueue", req, (size_t)n) != 200) {
        fprintf(stderr, "aws_bench: CreateQueue failed: %s\n", c.resp);
        return 1;
    }
    char *u = strstr(c.resp + c.body, "\"QueueUrl\":\"");
    if (!u) return 1;
    u += 12;
    snprintf(queue_url, sizeof queue_url, "%.*s", (int)(strchr(u, '"') - u), u);
    n = snprintf(req, sizeof req, "{\"QueueUrl\":\"%s\"}", queue_url);
    call(&c, "PurgeQueue", req, (size_t)n); /* a re-run starts empty (a 403 within 60 s is fine) */
    conn_close(&c);

    int bad = run_phase(SEND, "send");
    bad |= run_phase(RECEIVE, "receive");
    bad |= run_phase(DELETE, "delete");
    free(payload);
    free(handles.v);
    return bad;
}
