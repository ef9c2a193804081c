/* hubbub-loadgen: a load generator for Socket.IO servers (Engine.IO v4 over WebSocket only).
 *
 * One thread, one epoll loop, non-blocking sockets. Each connection does the HTTP upgrade on
 * /socket.io/?EIO=4&transport=websocket (checking 101 and Sec-WebSocket-Accept), reads the
 * Engine.IO open packet, connects the "/" namespace, answers every ping "2" with "3", and from then
 * on speaks what the mode needs. Messages carry their send time (CLOCK_MONOTONIC ns), so latency is
 * measured at the receiver with no bookkeeping on the sender.
 *
 * Modes (see usage()): fanout (relay app: burst and paced fan-out to one room), ack (echo app:
 * message-with-ack round trips), idle (N idle connections, server RSS per connection).
 * Results are JSON lines on stdout; progress and problems go to stderr. Every phase has a bound and
 * --timeout bounds the whole run (plus an alarm() as a last resort).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "lg_proc.h"

#define RX_CAP (1u << 20)
#define MAX_FRAME (RX_CAP / 2)
#define MAX_HTTP_HEAD 8192
#define TIMER_TAG UINT64_MAX
#define NS 1000000000LL

enum mode { MODE_FANOUT, MODE_ACK, MODE_IDLE };
enum cstate { C_FREE, C_CONNECTING, C_HTTP, C_EIO_OPEN, C_SIO_CONNECT, C_READY, C_DEAD };

struct conn {
    int fd;
    uint32_t idx;
    uint8_t st;
    bool out_armed;
    bool joined;
    char *rbuf; /* unparsed tail of the last read (at most one partial frame) */
    uint32_t rlen, rcap;
    char *wbuf; /* pending output, from woff to wlen */
    uint32_t wlen, woff, wcap;
    char accept[32];      /* expected Sec-WebSocket-Accept */
    uint64_t next_seq;    /* fanout: next sequence number expected */
    uint64_t ack_next_id; /* ack: next id to send */
    uint64_t ack_expect;  /* ack: next id expected back */
};

static struct {
    /* options */
    enum mode mode;
    const char *host;
    int port, sender_port; /* sender_port: fanout sender (conn 0) on another node, 0 = port */
    pid_t server_pid;
    double timeout_s;
    int receivers, burst, bursts, gap_ms, payload;
    double burst_timeout_s, rate, duration_s, warmup_s, drain_s;
    const char *room;
    int sockets;
    int conns_n, concurrency;
    double settle_s, hold_s;
    bool verbose;

    /* state */
    int ep, tfd;
    struct sockaddr_in addr, sender_addr;
    struct conn *conns;
    int nconns, next_open, target_open, inflight;
    int ready, failed, closed, joined;
    int64_t hard_deadline;
    int64_t now_rx; /* time of the read being parsed */
    char *rx;
    uint32_t rng;
    int reported;
    void (*tick)(void);

    /* fanout / ack accounting */
    uint64_t sent, delivered, dups, gaps, missing_in_gaps, sender_echo, bad_payload;
    uint64_t pings, proto_errors, unexpected;
    uint64_t acks, ack_bad_id;
    int64_t last_delivery, phase_t0, phase_end_send, lat_from;
    bool sending, record_lat, closed_loop;
    uint64_t phase_sent;
    uint32_t *lat;
    size_t nlat, caplat;
} g;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static uint32_t rnd(void)
{
    uint32_t x = g.rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return g.rng = x;
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q) {
        fprintf(stderr, "loadgen: out of memory (%zu bytes)\n", n);
        exit(3);
    }
    return q;
}

/* ---------------------------------------------------------------------------------------------- */
/* WebSocket key / accept */

static void b64(const unsigned char *in, size_t n, char *out)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n) v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n) v |= in[i + 2];
        out[o++] = t[(v >> 18) & 63];
        out[o++] = t[(v >> 12) & 63];
        out[o++] = i + 1 < n ? t[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? t[v & 63] : '=';
    }
    out[o] = 0;
}

static void make_key(char key[25], char accept[32])
{
    unsigned char raw[16];
    for (int i = 0; i < 16; i += 4) {
        uint32_t r = rnd();
        memcpy(raw + i, &r, 4);
    }
    b64(raw, 16, key);
    char cat[64];
    int n = snprintf(cat, sizeof cat, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(cat, (size_t)n, md, &mdlen, EVP_sha1(), NULL);
    b64(md, mdlen, accept);
}

/* ---------------------------------------------------------------------------------------------- */
/* connections: output */

static void conn_dead(struct conn *c, const char *why);

static void set_events(struct conn *c, uint32_t ev)
{
    struct epoll_event e = {.events = ev, .data.u64 = c->idx};
    if (epoll_ctl(g.ep, EPOLL_CTL_MOD, c->fd, &e) != 0) conn_dead(c, "epoll_ctl");
}

static void wreserve(struct conn *c, size_t extra)
{
    if (c->woff > 0 && c->woff == c->wlen) c->woff = c->wlen = 0;
    if ((size_t)c->wlen + extra <= c->wcap) return;
    if (c->woff > 0) {
        memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
        c->wlen -= c->woff;
        c->woff = 0;
        if ((size_t)c->wlen + extra <= c->wcap) return;
    }
    size_t cap = c->wcap ? c->wcap : 256;
    while (cap < (size_t)c->wlen + extra)
        cap *= 2;
    c->wbuf = xrealloc(c->wbuf, cap);
    c->wcap = (uint32_t)cap;
}

/* Appends one masked client frame (FIN set) with the given opcode. */
static void queue_frame(struct conn *c, int opcode, const char *p, size_t n)
{
    wreserve(c, n + 14);
    unsigned char *f = (unsigned char *)c->wbuf + c->wlen;
    size_t h;
    f[0] = (unsigned char)(0x80 | opcode);
    if (n < 126) {
        f[1] = (unsigned char)(0x80 | n);
        h = 2;
    } else if (n < 65536) {
        f[1] = 0x80 | 126;
        f[2] = (unsigned char)(n >> 8);
        f[3] = (unsigned char)n;
        h = 4;
    } else {
        f[1] = 0x80 | 127;
        for (int i = 0; i < 8; i++)
            f[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
        h = 10;
    }
    uint32_t mk = rnd();
    unsigned char m[4];
    memcpy(m, &mk, 4);
    memcpy(f + h, m, 4);
    h += 4;
    for (size_t i = 0; i < n; i++)
        f[h + i] = (unsigned char)p[i] ^ m[i & 3];
    c->wlen += (uint32_t)(h + n);
}

static void queue_text(struct conn *c, const char *p, size_t n)
{
    queue_frame(c, 1, p, n);
}

static void conn_flush(struct conn *c)
{
    while (c->woff < c->wlen) {
        ssize_t w = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
        if (w > 0) {
            c->woff += (uint32_t)w;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!c->out_armed) {
                c->out_armed = true;
                set_events(c, EPOLLIN | EPOLLOUT);
            }
            return;
        } else {
            conn_dead(c, "send failed");
            return;
        }
    }
    c->woff = c->wlen = 0;
    if (c->out_armed) {
        c->out_armed = false;
        set_events(c, EPOLLIN);
    }
}

static void send_text(struct conn *c, const char *p, size_t n)
{
    if (c->st == C_DEAD || c->st == C_FREE) return;
    queue_text(c, p, n);
    conn_flush(c);
}

/* ---------------------------------------------------------------------------------------------- */
/* connections: set-up and teardown */

static void conn_dead(struct conn *c, const char *why)
{
    if (c->st == C_DEAD || c->st == C_FREE) return;
    if (c->st == C_READY) {
        g.closed++;
    } else {
        g.failed++;
        g.inflight--;
    }
    if (g.reported++ < 8)
        fprintf(stderr, "loadgen: connection %u %s: %s (errno %d)\n", c->idx,
                c->st == C_READY ? "closed" : "failed", why, errno);
    epoll_ctl(g.ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    c->st = C_DEAD;
    free(c->rbuf);
    free(c->wbuf);
    c->rbuf = c->wbuf = NULL;
    c->rlen = c->rcap = c->wlen = c->woff = c->wcap = 0;
}

static void conn_open(struct conn *c)
{
    c->st = C_CONNECTING;
    g.inflight++;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        c->st = C_HTTP; /* so conn_dead counts a failure; fd -1 is harmless to close */
        conn_dead(c, "socket");
        return;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct epoll_event e = {.events = EPOLLOUT, .data.u64 = c->idx};
    if (epoll_ctl(g.ep, EPOLL_CTL_ADD, c->fd, &e) != 0) {
        conn_dead(c, "epoll_ctl add");
        return;
    }
    const struct sockaddr_in *to = c->idx == 0 && g.sender_port ? &g.sender_addr : &g.addr;
    if (connect(c->fd, (const struct sockaddr *)to, sizeof *to) != 0 && errno != EINPROGRESS)
        conn_dead(c, "connect");
}

static void conn_connected(struct conn *c)
{
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
        errno = err;
        conn_dead(c, "connect");
        return;
    }
    char key[25], req[512];
    make_key(key, c->accept);
    int n = snprintf(req, sizeof req,
                     "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
                     "Host: %s:%d\r\n"
                     "Upgrade: websocket\r\n"
                     "Connection: Upgrade\r\n"
                     "Sec-WebSocket-Key: %s\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n",
                     g.host, c->idx == 0 && g.sender_port ? g.sender_port : g.port, key);
    c->st = C_HTTP;
    set_events(c, EPOLLIN);
    wreserve(c, (size_t)n);
    memcpy(c->wbuf + c->wlen, req, (size_t)n);
    c->wlen += (uint32_t)n;
    conn_flush(c);
}

static void pump_connect(void)
{
    while (g.inflight < g.concurrency && g.next_open < g.target_open)
        conn_open(&g.conns[g.next_open++]);
}

/* ---------------------------------------------------------------------------------------------- */
/* Socket.IO traffic of the modes */

static void lat_push(int64_t ns)
{
    if (g.nlat == g.caplat) {
        g.caplat = g.caplat ? g.caplat * 2 : 65536;
        g.lat = xrealloc(g.lat, g.caplat * sizeof *g.lat);
    }
    if (ns < 0) ns = 0;
    g.lat[g.nlat++] = ns > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

/* Parses decimal digits at *p (bounded by end); returns false if there are none. */
static bool parse_u64(const char **p, const char *end, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    while (s < end && *s >= '0' && *s <= '9')
        v = v * 10 + (uint64_t)(*s++ - '0');
    if (s == *p) return false;
    *p = s;
    *out = v;
    return true;
}

static void send_ack_request(struct conn *c)
{
    char buf[96];
    int n = snprintf(buf, sizeof buf, "42%llu[\"message-with-ack\",%lld]",
                     (unsigned long long)c->ack_next_id++, (long long)now_ns());
    send_text(c, buf, (size_t)n);
    g.sent++;
    g.phase_sent++;
}

/* Socket.IO EVENT (p points after the type digit '2'). */
static void on_sio_event(struct conn *c, const char *p, size_t n)
{
    const char *end = p + n;
    if (g.mode != MODE_FANOUT) return; /* e.g. the echo app's "auth" event on connect */
    if (c->idx == 0) {
        g.sender_echo++;
        return;
    }
    uint64_t seq, ts;
    if (n < 6 || memcmp(p, "[\"m\",", 5) != 0) {
        g.bad_payload++;
        return;
    }
    p += 5;
    if (!parse_u64(&p, end, &seq) || p >= end || *p != ',') {
        g.bad_payload++;
        return;
    }
    p++;
    if (!parse_u64(&p, end, &ts)) {
        g.bad_payload++;
        return;
    }
    if (seq == c->next_seq) {
        c->next_seq++;
    } else if (seq > c->next_seq) {
        g.gaps++;
        g.missing_in_gaps += seq - c->next_seq;
        c->next_seq = seq + 1;
    } else {
        g.dups++;
        return;
    }
    g.delivered++;
    g.last_delivery = g.now_rx;
    if (g.record_lat && (int64_t)ts >= g.lat_from) lat_push(g.now_rx - (int64_t)ts);
}

/* Socket.IO ACK (p points after the type digit '3'). */
static void on_sio_ack(struct conn *c, const char *p, size_t n)
{
    const char *end = p + n;
    uint64_t id, ts;
    if (!parse_u64(&p, end, &id)) {
        g.bad_payload++;
        return;
    }
    if (g.mode == MODE_FANOUT) {
        if (id == 1 && !c->joined && memmem(p, (size_t)(end - p), "\"ok\":true", 9)) {
            c->joined = true;
            g.joined++;
        } else {
            g.unexpected++;
        }
        return;
    }
    if (g.mode != MODE_ACK) {
        g.unexpected++;
        return;
    }
    if (p >= end || *p != '[') {
        g.bad_payload++;
        return;
    }
    p++;
    if (!parse_u64(&p, end, &ts) || p >= end || *p != ']') {
        g.bad_payload++;
        return;
    }
    if (id != c->ack_expect) g.ack_bad_id++;
    c->ack_expect = id + 1;
    g.acks++;
    g.last_delivery = g.now_rx;
    if (g.record_lat && (int64_t)ts >= g.lat_from) lat_push(g.now_rx - (int64_t)ts);
    if (g.closed_loop && g.sending) send_ack_request(c);
}

static void on_ready(struct conn *c)
{
    c->st = C_READY;
    g.ready++;
    g.inflight--;
    if (g.mode == MODE_FANOUT) {
        char buf[128];
        int n = snprintf(buf, sizeof buf, "421[\"join\",\"%s\"]", g.room);
        send_text(c, buf, (size_t)n);
    }
}

static void on_sio(struct conn *c, const char *p, size_t n)
{
    if (n == 0) {
        g.proto_errors++;
        return;
    }
    switch (p[0]) {
    case '0':
        if (c->st == C_SIO_CONNECT && memmem(p, n, "\"sid\"", 5))
            on_ready(c);
        else
            g.unexpected++;
        return;
    case '2':
        if (c->st == C_READY)
            on_sio_event(c, p + 1, n - 1);
        else
            g.unexpected++;
        return;
    case '3':
        if (c->st == C_READY)
            on_sio_ack(c, p + 1, n - 1);
        else
            g.unexpected++;
        return;
    case '1':
        conn_dead(c, "socket.io disconnect from server");
        return;
    case '4':
        conn_dead(c, "socket.io connect_error");
        return;
    default:
        g.unexpected++;
        return;
    }
}

static void on_eio(struct conn *c, const char *p, size_t n)
{
    if (n == 0) {
        g.proto_errors++;
        return;
    }
    switch (p[0]) {
    case '4':
        on_sio(c, p + 1, n - 1);
        return;
    case '2':
        g.pings++;
        send_text(c, "3", 1);
        return;
    case '0':
        if (c->st != C_EIO_OPEN) {
            g.unexpected++;
            return;
        }
        c->st = C_SIO_CONNECT;
        send_text(c, "40", 2);
        return;
    case '6':
        return;
    case '1':
        conn_dead(c, "engine.io close");
        return;
    default:
        g.proto_errors++;
        return;
    }
}

/* ---------------------------------------------------------------------------------------------- */
/* connections: input */

static void on_frame(struct conn *c, unsigned b0, const char *p, size_t n)
{
    unsigned opcode = b0 & 0x0f;
    if (!(b0 & 0x80) || opcode == 0) {
        conn_dead(c, "fragmented frame (not supported by the load generator)");
        return;
    }
    switch (opcode) {
    case 1:
        on_eio(c, p, n);
        return;
    case 2:
        g.unexpected++;
        return;
    case 8:
        conn_dead(c, "websocket close frame");
        return;
    case 9:
        queue_frame(c, 10, p, n);
        conn_flush(c);
        return;
    case 10:
        return;
    default:
        conn_dead(c, "bad opcode");
        return;
    }
}

/* Parses whole frames from p[0..n); returns the bytes consumed. */
static size_t parse_frames(struct conn *c, const char *p, size_t n)
{
    size_t off = 0;
    while (n - off >= 2) {
        const unsigned char *u = (const unsigned char *)p + off;
        if (u[1] & 0x80) {
            conn_dead(c, "masked frame from server");
            return n;
        }
        uint64_t len = u[1] & 0x7f;
        size_t h = 2;
        if (len == 126) {
            if (n - off < 4) break;
            len = ((uint64_t)u[2] << 8) | u[3];
            h = 4;
        } else if (len == 127) {
            if (n - off < 10) break;
            len = 0;
            for (int i = 0; i < 8; i++)
                len = (len << 8) | u[2 + i];
            h = 10;
        }
        if (len > MAX_FRAME) {
            conn_dead(c, "frame too large");
            return n;
        }
        if (n - off < h + len) break;
        on_frame(c, u[0], p + off + h, (size_t)len);
        if (c->st == C_DEAD) return n;
        off += h + (size_t)len;
    }
    return off;
}

static size_t parse_http(struct conn *c, const char *p, size_t n)
{
    const char *e = memmem(p, n, "\r\n\r\n", 4);
    if (!e) {
        if (n > MAX_HTTP_HEAD) conn_dead(c, "http response head too long");
        return 0;
    }
    size_t head = (size_t)(e - p) + 4;
    if (head < 12 || memcmp(p, "HTTP/1.1 101", 12) != 0) {
        if (g.reported < 8)
            fprintf(stderr, "loadgen: upgrade refused: %.*s\n", (int)(head < 200 ? head : 200), p);
        conn_dead(c, "no 101");
        return n;
    }
    static const char name[] = "\r\nsec-websocket-accept:";
    const char *a = NULL;
    for (const char *s = p; s + sizeof name - 1 <= e; s++) {
        if (strncasecmp(s, name, sizeof name - 1) == 0) {
            a = s + sizeof name - 1;
            break;
        }
    }
    while (a && a < e && (*a == ' ' || *a == '\t'))
        a++;
    if (!a || e - a < 28 || memcmp(a, c->accept, 28) != 0) {
        conn_dead(c, "bad Sec-WebSocket-Accept");
        return n;
    }
    c->st = C_EIO_OPEN;
    return head + parse_frames(c, p + head, n - head);
}

static void on_readable(struct conn *c)
{
    char *b = g.rx;
    size_t have = c->rlen;
    if (have) memcpy(b, c->rbuf, have);
    ssize_t r = recv(c->fd, b + have, RX_CAP - have, 0);
    if (r == 0) {
        conn_dead(c, "eof from server");
        return;
    }
    if (r < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) conn_dead(c, "recv");
        return;
    }
    g.now_rx = now_ns();
    size_t total = have + (size_t)r;
    size_t used = c->st == C_HTTP ? parse_http(c, b, total) : parse_frames(c, b, total);
    if (c->st == C_DEAD) return;
    size_t rest = total - used;
    if (rest > c->rcap) {
        c->rbuf = xrealloc(c->rbuf, rest);
        c->rcap = (uint32_t)rest;
    }
    if (rest) memmove(c->rbuf, b + used, rest);
    c->rlen = (uint32_t)rest;
}

/* ---------------------------------------------------------------------------------------------- */
/* event loop */

static void fail_timeout(const char *where)
{
    printf("{\"mode\":\"%s\",\"error\":\"timeout\",\"where\":\"%s\",\"ready\":%d,\"failed\":%d,"
           "\"closed\":%d}\n",
           g.mode == MODE_FANOUT ? "fanout"
           : g.mode == MODE_ACK  ? "ack"
                                 : "idle",
           where, g.ready, g.failed, g.closed);
    fflush(stdout);
    exit(2);
}

static void loop_once(int timeout_ms)
{
    struct epoll_event ev[256];
    pump_connect();
    int n = epoll_wait(g.ep, ev, 256, timeout_ms);
    for (int i = 0; i < n; i++) {
        if (ev[i].data.u64 == TIMER_TAG) {
            uint64_t exp;
            if (read(g.tfd, &exp, sizeof exp) == (ssize_t)sizeof exp && g.tick) g.tick();
            continue;
        }
        struct conn *c = &g.conns[ev[i].data.u64];
        if (c->st == C_DEAD || c->st == C_FREE) continue;
        if (c->st == C_CONNECTING) {
            conn_connected(c);
            continue;
        }
        if (ev[i].events & EPOLLOUT) conn_flush(c);
        if (c->st != C_DEAD && (ev[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) on_readable(c);
    }
}

/* Runs the loop until done() is true (returns true) or until the deadline (returns false). */
static bool run_until(bool (*done)(void), int64_t deadline, const char *where)
{
    for (;;) {
        if (done && done()) return true;
        int64_t t = now_ns();
        if (t >= g.hard_deadline) fail_timeout(where);
        if (t >= deadline) return false;
        int64_t left = (deadline < g.hard_deadline ? deadline : g.hard_deadline) - t;
        int ms = (int)(left / 1000000) + 1;
        loop_once(ms > 50 ? 50 : ms);
    }
}

static void timer_set(int64_t interval_ns)
{
    struct itimerspec it = {0};
    if (interval_ns > 0) {
        it.it_interval.tv_sec = interval_ns / NS;
        it.it_interval.tv_nsec = interval_ns % NS;
        it.it_value = it.it_interval;
    }
    timerfd_settime(g.tfd, 0, &it, NULL);
}

static bool all_settled(void)
{
    return g.ready + g.failed >= g.target_open;
}

/* Opens conns [0, n) with at most --concurrency handshakes in flight; returns elapsed ns. */
static int64_t connect_all(int n)
{
    int64_t t0 = now_ns();
    g.target_open = n;
    pump_connect();
    run_until(all_settled, g.hard_deadline, "connect");
    int64_t dt = now_ns() - t0;
    printf("{\"phase\":\"connect\",\"conns\":%d,\"ready\":%d,\"failed\":%d,\"seconds\":%.3f,"
           "\"conns_per_s\":%.0f}\n",
           n, g.ready, g.failed, (double)dt / NS, g.ready / ((double)dt / NS));
    fflush(stdout);
    return dt;
}

/* ---------------------------------------------------------------------------------------------- */
/* statistics */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of the sorted latencies, in microseconds. */
static double pct_us(double q)
{
    if (g.nlat == 0) return -1;
    size_t k = (size_t)(q * (double)g.nlat + 0.999999);
    if (k < 1) k = 1;
    if (k > g.nlat) k = g.nlat;
    return g.lat[k - 1] / 1000.0;
}

static void print_cpu(int64_t srv0, int64_t srv1, int64_t self0, int64_t self1, double wall_s,
                      uint64_t units)
{
    if (srv0 >= 0 && srv1 >= 0) {
        double ms = (double)(srv1 - srv0) / 1e6;
        printf(
            ",\"server_cpu_ms\":%.0f,\"server_cpu_pct\":%.1f,\"server_cpu_ns_per_delivery\":%.1f",
            ms, 100.0 * ms / 1000.0 / wall_s, units ? (double)(srv1 - srv0) / (double)units : -1.0);
    }
    printf(",\"client_cpu_pct\":%.1f", 100.0 * (double)(self1 - self0) / 1e9 / wall_s);
}

/* ---------------------------------------------------------------------------------------------- */
/* mode: fanout */

static bool all_joined(void)
{
    return g.joined + g.failed + g.closed >= g.nconns;
}

static bool fanout_delivered(void)
{
    return g.delivered + g.missing_in_gaps >= g.sent * (uint64_t)g.receivers;
}

static void fanout_send(int k)
{
    struct conn *s = &g.conns[0];
    char buf[256 + 4096];
    static char pad[4096];
    if (!pad[0]) memset(pad, 'x', sizeof pad - 1);
    int plen = g.payload < (int)sizeof pad - 1 ? g.payload : (int)sizeof pad - 1;
    int64_t ts = now_ns();
    for (int i = 0; i < k; i++) {
        int n;
        if (plen > 0)
            n = snprintf(buf, sizeof buf, "42[\"m\",%llu,%lld,\"%.*s\"]",
                         (unsigned long long)g.sent, (long long)ts, plen, pad);
        else
            n = snprintf(buf, sizeof buf, "42[\"m\",%llu,%lld]", (unsigned long long)g.sent,
                         (long long)ts);
        queue_text(s, buf, (size_t)n);
        g.sent++;
        g.phase_sent++;
    }
    conn_flush(s);
}

static void fanout_tick(void)
{
    int64_t t = now_ns();
    if (!g.sending) return;
    if (t >= g.phase_end_send) {
        g.sending = false;
        timer_set(0);
        return;
    }
    uint64_t due = (uint64_t)((double)(t - g.phase_t0) * g.rate / 1e9) + 1;
    if (due > g.phase_sent) {
        uint64_t k = due - g.phase_sent;
        fanout_send(k > 10000 ? 10000 : (int)k);
    }
}

/* Counters at the start of a phase, so each JSON line reports that phase alone. */
struct fanout_snap {
    uint64_t sent, delivered, dups, gaps, sender_echo, bad_payload;
    int closed;
};

static struct fanout_snap fanout_snap(void)
{
    return (struct fanout_snap){g.sent,        g.delivered,   g.dups,  g.gaps,
                                g.sender_echo, g.bad_payload, g.closed};
}

static void fanout_report_errors(const struct fanout_snap *s0)
{
    uint64_t expected = (g.sent - s0->sent) * (uint64_t)g.receivers;
    uint64_t delivered = g.delivered - s0->delivered;
    uint64_t incomplete = 0;
    for (int i = 1; i < g.nconns; i++)
        if (g.conns[i].next_seq != g.sent || g.conns[i].st != C_READY) incomplete++;
    printf(",\"sent\":%llu,\"expected\":%llu,\"delivered\":%llu,\"lost\":%llu,\"dups\":%llu,"
           "\"gaps\":%llu,\"receivers_incomplete\":%llu,\"sender_echo\":%llu,\"bad_payload\":%llu,"
           "\"closed\":%d",
           (unsigned long long)(g.sent - s0->sent), (unsigned long long)expected,
           (unsigned long long)delivered,
           (unsigned long long)(expected > delivered ? expected - delivered : 0),
           (unsigned long long)(g.dups - s0->dups), (unsigned long long)(g.gaps - s0->gaps),
           (unsigned long long)incomplete, (unsigned long long)(g.sender_echo - s0->sender_echo),
           (unsigned long long)(g.bad_payload - s0->bad_payload), g.closed - s0->closed);
}

static int run_fanout(void)
{
    g.nconns = g.receivers + 1;
    connect_all(g.nconns);
    if (g.ready < g.nconns) {
        printf("{\"mode\":\"fanout\",\"error\":\"connect\",\"ready\":%d,\"wanted\":%d}\n", g.ready,
               g.nconns);
        return 1;
    }
    run_until(all_joined, now_ns() + 30 * NS, "join");
    if (g.joined < g.nconns) {
        printf("{\"mode\":\"fanout\",\"error\":\"join\",\"joined\":%d,\"wanted\":%d}\n", g.joined,
               g.nconns);
        return 1;
    }
    int rc = 0;

    /* Burst phase: M messages in one write, wait for all N*M deliveries, pause, repeat. */
    if (g.bursts > 0 && g.burst > 0) {
        double *rates = calloc((size_t)g.bursts, sizeof *rates);
        int done = 0;
        double busy = 0;
        uint64_t d0 = g.delivered;
        struct fanout_snap s0 = fanout_snap();
        int64_t srv0 = lg_proc_cpu_ns(g.server_pid), self0 = lg_self_cpu_ns(), w0 = now_ns();
        int64_t self_busy = 0, srv_busy = 0;
        for (int b = 0; b < g.bursts; b++) {
            int64_t t0 = now_ns(), sb0 = lg_self_cpu_ns(), vb0 = lg_proc_cpu_ns(g.server_pid);
            fanout_send(g.burst);
            bool ok = run_until(fanout_delivered, t0 + (int64_t)(g.burst_timeout_s * NS), "burst");
            if (!ok) {
                fprintf(stderr, "loadgen: burst %d incomplete after %.1f s\n", b,
                        g.burst_timeout_s);
                rc = 1;
                break;
            }
            double dt = (double)(g.last_delivery - t0) / NS;
            rates[done++] = (double)g.burst * g.receivers / dt;
            busy += dt;
            self_busy += lg_self_cpu_ns() - sb0;
            srv_busy += lg_proc_cpu_ns(g.server_pid) - vb0;
            run_until(NULL, now_ns() + (int64_t)g.gap_ms * 1000000, "burst gap");
        }
        int64_t srv1 = lg_proc_cpu_ns(g.server_pid), self1 = lg_self_cpu_ns();
        double wall = (double)(now_ns() - w0) / NS;
        qsort(rates, (size_t)done, sizeof *rates, cmp_dbl);
        printf(
            "{\"mode\":\"fanout\",\"phase\":\"burst\",\"receivers\":%d,\"burst\":%d,\"bursts\":%d,"
            "\"bursts_done\":%d,\"deliveries_per_s_median\":%.0f,\"deliveries_per_s_min\":%.0f,"
            "\"deliveries_per_s_max\":%.0f,\"deliveries_per_s_overall\":%.0f",
            g.receivers, g.burst, g.bursts, done, done ? rates[done / 2] : 0, done ? rates[0] : 0,
            done ? rates[done - 1] : 0, busy > 0 ? (double)(g.delivered - d0) / busy : 0);
        print_cpu(srv0, srv1, self0, self1, wall, g.delivered - d0);
        /* CPU use while a burst was in flight (gaps excluded): near 100 % for the load generator
         * would mean it, not the server, limits the rate. */
        if (busy > 0)
            printf(",\"server_cpu_pct_busy\":%.1f,\"client_cpu_pct_busy\":%.1f",
                   srv0 >= 0 ? 100.0 * (double)srv_busy / 1e9 / busy : -1.0,
                   100.0 * (double)self_busy / 1e9 / busy);
        fanout_report_errors(&s0);
        printf("}\n");
        fflush(stdout);
        free(rates);
    }

    /* Paced phase: --rate messages/s for --duration s; latency of deliveries sent after warmup. */
    if (rc == 0 && g.rate > 0 && g.duration_s > 0) {
        uint64_t d0 = g.delivered;
        struct fanout_snap s0 = fanout_snap();
        g.nlat = 0;
        g.phase_sent = 0;
        g.phase_t0 = now_ns();
        g.phase_end_send = g.phase_t0 + (int64_t)(g.duration_s * NS);
        g.lat_from = g.phase_t0 + (int64_t)(g.warmup_s * NS);
        g.record_lat = true;
        g.sending = true;
        g.tick = fanout_tick;
        int64_t srv0 = lg_proc_cpu_ns(g.server_pid), self0 = lg_self_cpu_ns();
        int64_t iv = (int64_t)(1e9 / g.rate);
        timer_set(iv < 100000 ? 100000 : iv);
        fanout_tick();
        run_until(NULL, g.phase_end_send, "paced");
        g.sending = false;
        timer_set(0);
        bool ok = run_until(fanout_delivered, now_ns() + (int64_t)(g.drain_s * NS), "paced drain");
        int64_t srv1 = lg_proc_cpu_ns(g.server_pid), self1 = lg_self_cpu_ns();
        double wall = (double)(now_ns() - g.phase_t0) / NS;
        qsort(g.lat, g.nlat, sizeof *g.lat, cmp_u32);
        printf("{\"mode\":\"fanout\",\"phase\":\"paced\",\"receivers\":%d,\"rate\":%.0f,"
               "\"duration_s\":%.1f,\"deliveries_per_s\":%.0f,\"samples\":%zu,\"lat_p50_us\":%.1f,"
               "\"lat_p90_us\":%.1f,\"lat_p99_us\":%.1f,\"lat_p999_us\":%.1f,\"lat_max_us\":%.1f",
               g.receivers, g.rate, g.duration_s, (double)(g.delivered - d0) / wall, g.nlat,
               pct_us(0.5), pct_us(0.9), pct_us(0.99), pct_us(0.999), pct_us(1.0));
        print_cpu(srv0, srv1, self0, self1, wall, g.delivered - d0);
        fanout_report_errors(&s0);
        printf("}\n");
        fflush(stdout);
        if (!ok) rc = 1;
    }
    if (g.delivered != g.sent * (uint64_t)g.receivers || g.dups || g.sender_echo || g.closed)
        rc = 1;
    return rc;
}

/* ---------------------------------------------------------------------------------------------- */
/* mode: ack */

static bool acks_done(void)
{
    return g.acks >= g.sent;
}

static void ack_tick(void)
{
    int64_t t = now_ns();
    if (!g.sending) return;
    if (t >= g.phase_end_send) {
        g.sending = false;
        timer_set(0);
        return;
    }
    uint64_t due = (uint64_t)((double)(t - g.phase_t0) * g.rate / 1e9) + 1;
    static int rr;
    for (uint64_t k = g.phase_sent; k < due && k < g.phase_sent + 10000;) {
        struct conn *c = &g.conns[rr++ % g.nconns];
        if (c->st == C_READY) {
            send_ack_request(c);
            k++;
        } else if (g.ready - g.closed <= 0) {
            break;
        }
    }
}

static int run_ack(void)
{
    g.nconns = g.sockets;
    connect_all(g.nconns);
    if (g.ready < g.nconns) {
        printf("{\"mode\":\"ack\",\"error\":\"connect\",\"ready\":%d,\"wanted\":%d}\n", g.ready,
               g.nconns);
        return 1;
    }
    g.phase_t0 = now_ns();
    g.phase_end_send = g.phase_t0 + (int64_t)(g.duration_s * NS);
    g.lat_from = g.phase_t0 + (int64_t)(g.warmup_s * NS);
    g.record_lat = true;
    g.sending = true;
    int64_t srv0 = lg_proc_cpu_ns(g.server_pid), self0 = lg_self_cpu_ns();
    g.closed_loop = g.rate <= 0;
    if (g.closed_loop) {
        for (int i = 0; i < g.nconns; i++)
            send_ack_request(&g.conns[i]);
    } else {
        g.tick = ack_tick;
        int64_t iv = (int64_t)(1e9 / g.rate);
        timer_set(iv < 100000 ? 100000 : iv);
        ack_tick();
    }
    run_until(NULL, g.phase_end_send, "ack");
    g.sending = false;
    timer_set(0);
    bool ok = run_until(acks_done, now_ns() + (int64_t)(g.drain_s * NS), "ack drain");
    int64_t srv1 = lg_proc_cpu_ns(g.server_pid), self1 = lg_self_cpu_ns();
    double wall = (double)(now_ns() - g.phase_t0) / NS;
    qsort(g.lat, g.nlat, sizeof *g.lat, cmp_u32);
    printf("{\"mode\":\"ack\",\"phase\":\"%s\",\"sockets\":%d,\"rate\":%.0f,\"duration_s\":%.1f,"
           "\"acks_per_s\":%.0f,\"samples\":%zu,\"rtt_p50_us\":%.1f,\"rtt_p90_us\":%.1f,"
           "\"rtt_p99_us\":%.1f,\"rtt_p999_us\":%.1f,\"rtt_max_us\":%.1f",
           g.closed_loop ? "closed" : "paced", g.sockets, g.rate, g.duration_s,
           (double)g.acks / wall, g.nlat, pct_us(0.5), pct_us(0.9), pct_us(0.99), pct_us(0.999),
           pct_us(1.0));
    print_cpu(srv0, srv1, self0, self1, wall, g.acks);
    printf(",\"sent\":%llu,\"acks\":%llu,\"lost\":%llu,\"bad_id\":%llu,\"bad_payload\":%llu,"
           "\"closed\":%d}\n",
           (unsigned long long)g.sent, (unsigned long long)g.acks,
           (unsigned long long)(g.sent > g.acks ? g.sent - g.acks : 0),
           (unsigned long long)g.ack_bad_id, (unsigned long long)g.bad_payload, g.closed);
    fflush(stdout);
    return ok && g.ack_bad_id == 0 && g.closed == 0 ? 0 : 1;
}

/* ---------------------------------------------------------------------------------------------- */
/* mode: idle */

static int run_idle(void)
{
    g.nconns = g.conns_n;
    long rss0 = lg_proc_rss_kb(g.server_pid);
    int64_t srv0 = lg_proc_cpu_ns(g.server_pid);
    int64_t dt = connect_all(g.nconns);
    int64_t srv1 = lg_proc_cpu_ns(g.server_pid);
    run_until(NULL, now_ns() + (int64_t)(g.settle_s * NS), "settle");
    long rss1 = lg_proc_rss_kb(g.server_pid);
    int ready_at_sample = g.ready - g.closed;
    run_until(NULL, now_ns() + (int64_t)(g.hold_s * NS), "hold");
    long rss2 = lg_proc_rss_kb(g.server_pid);
    printf("{\"mode\":\"idle\",\"conns\":%d,\"ready\":%d,\"failed\":%d,\"closed\":%d,"
           "\"connect_s\":%.3f,\"pings\":%llu,\"rss_before_kb\":%ld,\"rss_after_kb\":%ld,"
           "\"rss_end_kb\":%ld,\"bytes_per_conn\":%.0f",
           g.nconns, g.ready, g.failed, g.closed, (double)dt / NS, (unsigned long long)g.pings,
           rss0, rss1, rss2,
           rss0 >= 0 && rss1 >= 0 && ready_at_sample > 0
               ? (double)(rss1 - rss0) * 1024.0 / ready_at_sample
               : -1.0);
    if (srv0 >= 0 && srv1 >= 0 && g.ready > 0)
        printf(",\"server_cpu_us_per_connect\":%.1f", (double)(srv1 - srv0) / 1e3 / g.ready);
    printf("}\n");
    fflush(stdout);
    return g.ready == g.nconns && g.closed == 0 ? 0 : 1;
}

/* ---------------------------------------------------------------------------------------------- */

static void usage(void)
{
    fprintf(
        stderr,
        "usage: hubbub-loadgen MODE --port P [options]\n"
        "common:  --host 127.0.0.1  --server-pid PID (CPU and RSS from /proc)  --timeout 120 (s)\n"
        "         --concurrency 200 (handshakes in flight)  --drain 10 (s)\n"
        "fanout:  relay app. --receivers 1000 --burst 100 --bursts 10 --gap-ms 200\n"
        "         --burst-timeout 20 --rate 100 (msgs/s, 0 = no paced phase) --duration 5\n"
        "         --warmup 1 --payload 0 (padding bytes) --room room\n"
        "         --sender-port P2 (the sender connects to P2, e.g. another node of a cluster;\n"
        "         receivers stay on --port; --server-pid is then the receivers' node)\n"
        "ack:     echo app. --sockets 10 --rate 2000 (acks/s in total; 0 = closed loop, one\n"
        "         outstanding per socket) --duration 5 --warmup 1\n"
        "idle:    --conns 10000 --settle 3 --hold 0\n");
    exit(64);
}

static void parse_args(int argc, char **argv)
{
    if (argc < 2) usage();
    if (strcmp(argv[1], "fanout") == 0)
        g.mode = MODE_FANOUT;
    else if (strcmp(argv[1], "ack") == 0)
        g.mode = MODE_ACK;
    else if (strcmp(argv[1], "idle") == 0)
        g.mode = MODE_IDLE;
    else
        usage();
    g.host = "127.0.0.1";
    g.timeout_s = 120;
    g.concurrency = 200;
    g.drain_s = 10;
    g.receivers = 1000;
    g.burst = 100;
    g.bursts = 10;
    g.gap_ms = 200;
    g.burst_timeout_s = 20;
    g.rate = g.mode == MODE_ACK ? 2000 : 100;
    g.duration_s = 5;
    g.warmup_s = 1;
    g.room = "room";
    g.sockets = 10;
    g.conns_n = 10000;
    g.settle_s = 3;
    for (int i = 2; i < argc; i++) {
        const char *k = argv[i];
        if (strcmp(k, "--verbose") == 0) {
            g.verbose = true;
            continue;
        }
        if (i + 1 >= argc) usage();
        const char *v = argv[++i];
        double d = atof(v);
        if (strcmp(k, "--host") == 0)
            g.host = v;
        else if (strcmp(k, "--port") == 0)
            g.port = atoi(v);
        else if (strcmp(k, "--sender-port") == 0)
            g.sender_port = atoi(v);
        else if (strcmp(k, "--server-pid") == 0)
            g.server_pid = (pid_t)atoi(v);
        else if (strcmp(k, "--timeout") == 0)
            g.timeout_s = d;
        else if (strcmp(k, "--concurrency") == 0)
            g.concurrency = atoi(v);
        else if (strcmp(k, "--drain") == 0)
            g.drain_s = d;
        else if (strcmp(k, "--receivers") == 0)
            g.receivers = atoi(v);
        else if (strcmp(k, "--burst") == 0)
            g.burst = atoi(v);
        else if (strcmp(k, "--bursts") == 0)
            g.bursts = atoi(v);
        else if (strcmp(k, "--gap-ms") == 0)
            g.gap_ms = atoi(v);
        else if (strcmp(k, "--burst-timeout") == 0)
            g.burst_timeout_s = d;
        else if (strcmp(k, "--rate") == 0)
            g.rate = d;
        else if (strcmp(k, "--duration") == 0)
            g.duration_s = d;
        else if (strcmp(k, "--warmup") == 0)
            g.warmup_s = d;
        else if (strcmp(k, "--payload") == 0)
            g.payload = atoi(v);
        else if (strcmp(k, "--room") == 0)
            g.room = v;
        else if (strcmp(k, "--sockets") == 0)
            g.sockets = atoi(v);
        else if (strcmp(k, "--conns") == 0)
            g.conns_n = atoi(v);
        else if (strcmp(k, "--settle") == 0)
            g.settle_s = d;
        else if (strcmp(k, "--hold") == 0)
            g.hold_s = d;
        else
            usage();
    }
    if (g.port <= 0 || g.port > 65535 || g.sender_port < 0 || g.sender_port > 65535 || g.concurrency < 1 || g.receivers < 1 || g.sockets < 1 ||
        g.conns_n < 1 || strlen(g.room) > 64 || g.timeout_s <= 0)
        usage();
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    signal(SIGPIPE, SIG_IGN);
    alarm((unsigned)g.timeout_s + 15); /* last resort if the loop itself wedges */

    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    int need = (g.mode == MODE_IDLE  ? g.conns_n
                : g.mode == MODE_ACK ? g.sockets
                                     : g.receivers + 1) +
               16;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)need)
        fprintf(stderr, "loadgen: warning: RLIMIT_NOFILE %llu < %d needed\n",
                (unsigned long long)rl.rlim_cur, need);

    g.rng = (uint32_t)now_ns() | 1;
    g.hard_deadline = now_ns() + (int64_t)(g.timeout_s * NS);
    g.rx = malloc(RX_CAP);
    g.ep = epoll_create1(EPOLL_CLOEXEC);
    g.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (!g.rx || g.ep < 0 || g.tfd < 0) {
        perror("loadgen: setup");
        return 3;
    }
    struct epoll_event te = {.events = EPOLLIN, .data.u64 = TIMER_TAG};
    epoll_ctl(g.ep, EPOLL_CTL_ADD, g.tfd, &te);
    g.addr.sin_family = AF_INET;
    g.addr.sin_port = htons((uint16_t)g.port);
    if (inet_pton(AF_INET, g.host, &g.addr.sin_addr) != 1) {
        fprintf(stderr, "loadgen: --host must be an IPv4 address\n");
        return 64;
    }
    g.sender_addr = g.addr;
    g.sender_addr.sin_port = htons((uint16_t)(g.sender_port ? g.sender_port : g.port));
    int maxc = need;
    g.conns = calloc((size_t)maxc, sizeof *g.conns);
    for (int i = 0; i < maxc; i++) {
        g.conns[i].idx = (uint32_t)i;
        g.conns[i].fd = -1;
        g.conns[i].ack_next_id = g.conns[i].ack_expect = 1;
    }

    int rc;
    switch (g.mode) {
    case MODE_FANOUT:
        rc = run_fanout();
        break;
    case MODE_ACK:
        rc = run_ack();
        break;
    default:
        rc = run_idle();
        break;
    }
    if (g.proto_errors || g.unexpected)
        fprintf(stderr, "loadgen: %llu protocol errors, %llu unexpected packets\n",
                (unsigned long long)g.proto_errors, (unsigned long long)g.unexpected);

    /* Close with RST (linger 0) so repeated runs do not pile up TIME_WAIT sockets. */
    struct linger lg0 = {1, 0};
    for (int i = 0; i < g.nconns; i++) {
        if (g.conns[i].fd >= 0) {
            setsockopt(g.conns[i].fd, SOL_SOCKET, SO_LINGER, &lg0, sizeof lg0);
            close(g.conns[i].fd);
        }
    }
    return rc;
}
