/* metrics.c - see metrics.h.
 *
 * A snapshot starts from a zero timer so that its callback never runs inside the call; the
 * synchronous parts (counters, namespaces, cluster) are read then, the bus's queues and topics are
 * asked for all at once and the snapshot completes when the last answer arrived. The bus is looked
 * up again before each round of requests: the integration may have stopped (and freed it) since. */
#include "metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hub_alloc.h"
#include "hub_err.h"
#include "log.h"

struct hub_metrics {
    hub_server *srv;
    hub_bus_socket *bs;
    hub_bus_counts *counts;
    char node_id[128];
    char hostname[64];
    uint64_t started_ns;
    uv_timer_t lag_timer;
    int lag_open;         /* lag_timer initialised and not closing */
    uint64_t lag_last_ns; /* when the previous tick ran */
    uint64_t lag_ns[HUB_METRICS_LAG_WINDOW];
    size_t lag_next;
};

/* ---- the collector ---- */

hub_metrics *hub_metrics_new(hub_server *srv, const char *node_id)
{
    hub_metrics *m;

    if (!srv || !(m = hub_calloc(1, sizeof(*m)))) return NULL;
    if (!(m->counts = hub_bus_counts_new())) {
        hub_free(m);
        return NULL;
    }
    m->srv = srv;
    m->started_ns = uv_hrtime();
    if (gethostname(m->hostname, sizeof(m->hostname)) != 0) strcpy(m->hostname, "localhost");
    m->hostname[sizeof(m->hostname) - 1] = '\0';
    if (node_id && node_id[0])
        snprintf(m->node_id, sizeof(m->node_id), "%s", node_id);
    else
        snprintf(m->node_id, sizeof(m->node_id), "%s#%ld", m->hostname, (long)getpid());
    return m;
}

void hub_metrics_free(hub_metrics *m)
{
    if (!m) return;
    hub_metrics_stop(m);
    hub_bus_counts_free(m->counts);
    hub_free(m);
}

const char *hub_metrics_node_id(const hub_metrics *m)
{
    return m->node_id;
}

hub_bus_counts *hub_metrics_bus_counts(hub_metrics *m)
{
    return m->counts;
}

void hub_metrics_set_bus(hub_metrics *m, hub_bus_socket *bs)
{
    m->bs = bs;
}

/* ---- event-loop lag ---- */

static void on_lag_tick(uv_timer_t *t)
{
    hub_metrics *m = t->data;
    uint64_t now = uv_hrtime(), due = m->lag_last_ns + HUB_METRICS_LAG_INTERVAL_MS * 1000000ull;

    m->lag_ns[m->lag_next] = now > due ? now - due : 0;
    m->lag_next = (m->lag_next + 1) % HUB_METRICS_LAG_WINDOW;
    m->lag_last_ns = now;
}

int hub_metrics_start(hub_metrics *m)
{
    uv_loop_t *loop = hub_server_loop(m->srv);
    int rc;

    if (m->lag_open) return HUB_ESTATE;
    if ((rc = uv_timer_init(loop, &m->lag_timer)) != 0) return HUB_EIO;
    m->lag_timer.data = m;
    m->lag_open = 1;
    m->lag_last_ns = uv_hrtime();
    uv_unref((uv_handle_t *)&m->lag_timer);
    uv_timer_start(&m->lag_timer, on_lag_tick, HUB_METRICS_LAG_INTERVAL_MS,
                   HUB_METRICS_LAG_INTERVAL_MS);
    return 0;
}

void hub_metrics_stop(hub_metrics *m)
{
    if (!m->lag_open) return;
    m->lag_open = 0;
    uv_timer_stop(&m->lag_timer);
    if (!uv_is_closing((uv_handle_t *)&m->lag_timer)) uv_close((uv_handle_t *)&m->lag_timer, NULL);
}

static double lag_last(const hub_metrics *m)
{
    size_t i = (m->lag_next + HUB_METRICS_LAG_WINDOW - 1) % HUB_METRICS_LAG_WINDOW;
    return (double)m->lag_ns[i] / 1e9;
}

static double lag_max(const hub_metrics *m)
{
    uint64_t max = 0;

    for (size_t i = 0; i < HUB_METRICS_LAG_WINDOW; i++)
        if (m->lag_ns[i] > max) max = m->lag_ns[i];
    return (double)max / 1e9;
}

/* ---- the snapshot: the parts read at once ---- */

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* json_integer of an unsigned counter (jansson's integers are signed 64-bit). */
static json_t *jcount(uint64_t v)
{
    return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

static json_t *node_json(const hub_metrics *m)
{
    return json_pack("{s:s,s:s,s:I,s:s,s:f,s:I,s:f,s:f}", "id", m->node_id, "hostname", m->hostname,
                     "pid", (json_int_t)getpid(), "version", HUB_VERSION, "uptime",
                     (double)(uv_hrtime() - m->started_ns) / 1e9, "time", (json_int_t)now_ms(),
                     "loopLag", lag_last(m), "loopLagMax", lag_max(m));
}

static json_t *cluster_json(hub_server *srv)
{
    struct hub_cluster_status st;

    if (hub_server_cluster_status(srv, &st) != 0) return json_null();
    return json_pack("{s:s,s:s,s:b,s:I,s:o,s:o,s:o,s:o}", "backend", st.backend, "uid", st.uid,
                     "connected", st.connected, "latencyMs",
                     (json_int_t)(st.latency_us < 0 ? -1 : st.latency_us / 1000), "reconnects",
                     jcount(st.reconnects), "published", jcount(st.published), "received",
                     jcount(st.received), "dropped", jcount(st.dropped));
}

static json_t *engine_json(const struct eio_stats *e)
{
    json_t *closed = json_object(), *o;

    for (int i = 0; closed && i < EIO_CLOSE_REASONS; i++)
        json_object_set_new(closed, eio_close_reason_name((enum eio_close_reason)i),
                            jcount(e->closed[i]));
    o = json_pack("{s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o?}", "clients", (json_int_t)e->open,
                  "websocket", (json_int_t)e->websocket, "polling",
                  (json_int_t)(e->open > e->websocket ? e->open - e->websocket : 0), "opened",
                  jcount(e->opened), "upgrades", jcount(e->upgrades), "packetsIn",
                  jcount(e->packets_in), "packetsOut", jcount(e->packets_out), "bytesIn",
                  jcount(e->bytes_in), "bytesOut", jcount(e->bytes_out), "slowConsumers",
                  jcount(e->slow_consumers), "closed", closed);
    return o;
}

static json_t *sockets_json(const struct hub_server_stats *st)
{
    static const size_t bounds[HUB_FANOUT_BUCKETS] = HUB_FANOUT_BOUNDS;
    json_t *fanout = json_array();

    for (size_t i = 0; fanout && i < HUB_FANOUT_BUCKETS; i++)
        json_array_append_new(
            fanout,
            json_pack("[o,o]", bounds[i] ? jcount(bounds[i]) : json_null(), jcount(st->fanout[i])));
    return json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o?}", "clients",
                     (json_int_t)st->clients, "connects", jcount(st->connects), "connectErrors",
                     jcount(st->connect_errors), "disconnects", jcount(st->disconnects), "eventsIn",
                     jcount(st->events_in), "eventsOut", jcount(st->events_out), "acksPending",
                     jcount(st->acks_pending), "acksReceived", jcount(st->acks_received),
                     "acksTimedOut", jcount(st->acks_timed_out), "broadcasts",
                     jcount(st->broadcasts), "broadcastRecipients",
                     jcount(st->broadcast_recipients), "fanout", fanout);
}

static json_t *namespaces_json(hub_server *srv)
{
    json_t *arr = json_array();
    size_t pos = 0;
    hub_nsp *nsp;

    while (arr && (nsp = hub_server_nsps_next(srv, &pos))) {
        size_t sockets = hub_nsp_count(nsp), rooms = hub_nsp_rooms_count(nsp);
        json_array_append_new(arr, json_pack("{s:s,s:I,s:I}", "name", hub_nsp_name(nsp), "sockets",
                                             (json_int_t)sockets, "rooms",
                                             (json_int_t)(rooms > sockets ? rooms - sockets : 0)));
    }
    return arr;
}

/* ---- the snapshot: the bus ---- */

struct snap {
    hub_metrics *m;
    hub_metrics_cb cb;
    void *ud;
    uv_timer_t timer;
    json_t *root, *bus; /* bus: root's "bus" object, or NULL */
    hub_bus *b;         /* the bus the requests went to */
    int pending;
    int oom;
};

/* One request's context: the snapshot and the object to fill. */
struct item {
    struct snap *sn;
    json_t *obj;
};

static void snap_closed(uv_handle_t *h)
{
    struct snap *sn = h->data;

    json_decref(sn->root);
    hub_free(sn);
}

static void snap_finish(struct snap *sn)
{
    sn->cb(sn->ud, sn->oom ? NULL : sn->root);
    uv_close((uv_handle_t *)&sn->timer, snap_closed);
}

static void snap_done_one(struct snap *sn)
{
    if (--sn->pending == 0) snap_finish(sn);
}

static void bus_error(struct snap *sn, int err)
{
    if (sn->bus && !json_object_get(sn->bus, "error"))
        json_object_set_new(sn->bus, "error", json_string(hub_bus_strerror(err)));
}

/* The bus to ask, when it is still the one the snapshot started with. */
static hub_bus *snap_bus(struct snap *sn)
{
    hub_bus *b = sn->m->bs ? hub_bus_socket_bus(sn->m->bs) : NULL;
    return b && b == sn->b ? b : NULL;
}

static struct item *item_new(struct snap *sn, json_t *arr, const char *name)
{
    struct item *it = hub_calloc(1, sizeof(*it));
    json_t *obj = json_pack("{s:s}", "name", name);

    if (!it || !obj || json_array_append_new(arr, obj)) {
        hub_free(it);
        sn->oom = 1;
        return NULL;
    }
    it->sn = sn;
    it->obj = obj; /* borrowed from arr */
    return it;
}

static void on_queue(void *ud, int err, const struct hub_queue_info *info)
{
    struct item *it = ud;
    struct snap *sn = it->sn;
    json_t *o = it->obj;
    const struct hub_queue_counts *qc;

    hub_free(it);
    if (err || !info) {
        if (err != HUB_BUS_EQUEUE_DOES_NOT_EXIST) bus_error(sn, err);
        json_object_set_new(o, "gone", json_true());
    } else {
        qc = hub_bus_counts_queue(sn->m->counts, info->name);
        sn->oom |=
            json_object_update_new(
                o, json_pack("{s:b,s:o,s:o,s:o,s:o,s:I,s:o,s:o,s:o,s:o,s:o}", "fifo",
                             info->config->fifo, "visible", jcount(info->visible), "inflight",
                             jcount(info->inflight), "delayed", jcount(info->delayed), "dlq",
                             info->config->dlq[0] ? json_string(info->config->dlq) : json_null(),
                             "maxReceiveCount", (json_int_t)info->config->max_receive_count, "sent",
                             jcount(qc ? qc->sent : 0), "received", jcount(qc ? qc->received : 0),
                             "redelivered", jcount(qc ? qc->redelivered : 0), "deleted",
                             jcount(qc ? qc->deleted : 0), "purges",
                             jcount(qc ? qc->purges : 0))) != 0;
    }
    snap_done_one(sn);
}

static void on_queue_names(void *ud, int err, const char *const *names, size_t n)
{
    struct snap *sn = ud;
    json_t *arr = json_object_get(sn->bus, "queues");
    hub_bus *b = snap_bus(sn);

    if (err) bus_error(sn, err);
    for (size_t i = 0; !err && b && arr && i < n; i++) {
        struct item *it = item_new(sn, arr, names[i]);
        if (!it) break;
        sn->pending++;
        if ((err = hub_bus_queue_get(b, names[i], on_queue, it)) != 0) {
            sn->pending--;
            hub_free(it);
            bus_error(sn, err);
        }
    }
    snap_done_one(sn);
}

static void on_topic(void *ud, int err, const struct hub_topic_info *info)
{
    struct item *it = ud;
    struct snap *sn = it->sn;
    json_t *o = it->obj;
    const struct hub_topic_counts *tc;

    hub_free(it);
    if (err || !info) {
        if (err != HUB_BUS_ENOT_FOUND) bus_error(sn, err);
        json_object_set_new(o, "gone", json_true());
    } else {
        tc = hub_bus_counts_topic(sn->m->counts, info->name);
        sn->oom |=
            json_object_update_new(o, json_pack("{s:b,s:o,s:o,s:o,s:o}", "fifo", info->config->fifo,
                                                "subscriptions", jcount(info->subs_confirmed),
                                                "pending", jcount(info->subs_pending), "published",
                                                jcount(tc ? tc->published : 0), "deliveries",
                                                jcount(tc ? tc->deliveries : 0))) != 0;
    }
    snap_done_one(sn);
}

static void on_topic_names(void *ud, int err, const char *const *names, size_t n)
{
    struct snap *sn = ud;
    json_t *arr = json_object_get(sn->bus, "topics");
    hub_bus *b = snap_bus(sn);

    if (err) bus_error(sn, err);
    for (size_t i = 0; !err && b && arr && i < n; i++) {
        struct item *it = item_new(sn, arr, names[i]);
        if (!it) break;
        sn->pending++;
        if ((err = hub_bus_topic_get(b, names[i], on_topic, it)) != 0) {
            sn->pending--;
            hub_free(it);
            bus_error(sn, err);
        }
    }
    snap_done_one(sn);
}

static void on_subscriptions(void *ud, int err, const struct hub_subscription *subs, size_t n)
{
    struct snap *sn = ud;
    json_t *arr = json_object_get(sn->bus, "subscriptions");

    if (err) bus_error(sn, err);
    for (size_t i = 0; !err && arr && i < n; i++) {
        /* an sqs endpoint is an ARN: its queue name is what people know */
        const char *endpoint = strcmp(subs[i].protocol, HUB_PROTO_SQS) == 0
                                   ? hub_bus_arn_name(subs[i].endpoint)
                                   : subs[i].endpoint;
        sn->oom |= json_array_append_new(
                       arr, json_pack("{s:s,s:s,s:s,s:b,s:b}", "topic", subs[i].topic, "protocol",
                                      subs[i].protocol, "endpoint", endpoint ? endpoint : "",
                                      "pending", subs[i].pending, "raw", subs[i].raw)) != 0;
    }
    snap_done_one(sn);
}

/* Asks the bus for its queues, topics and subscriptions. */
static void snap_ask_bus(struct snap *sn)
{
    sn->pending++;
    if (hub_bus_queue_list(sn->b, NULL, on_queue_names, sn) != 0) {
        sn->pending--;
        bus_error(sn, HUB_EIO);
    }
    sn->pending++;
    if (hub_bus_topic_list(sn->b, on_topic_names, sn) != 0) {
        sn->pending--;
        bus_error(sn, HUB_EIO);
    }
    sn->pending++;
    if (hub_bus_subscriptions_list(sn->b, NULL, on_subscriptions, sn) != 0) {
        sn->pending--;
        bus_error(sn, HUB_EIO);
    }
}

static void on_snap_start(uv_timer_t *t)
{
    struct snap *sn = t->data;
    hub_metrics *m = sn->m;
    struct hub_server_stats st;

    hub_server_stats(m->srv, &st);
    sn->root = json_pack("{s:o?,s:o?,s:o?,s:o?,s:o?}", "node", node_json(m), "cluster",
                         cluster_json(m->srv), "engine", engine_json(&st.engine), "sockets",
                         sockets_json(&st), "namespaces", namespaces_json(m->srv));
    sn->b = m->bs ? hub_bus_socket_bus(m->bs) : NULL;
    if (!sn->root) {
        sn->oom = 1;
    } else if (!sn->b) {
        json_object_set_new(sn->root, "bus", json_null());
    } else {
        sn->bus = json_pack("{s:[],s:[],s:[]}", "queues", "topics", "subscriptions");
        if (!sn->bus || json_object_set_new(sn->root, "bus", sn->bus))
            sn->oom = 1;
        else
            snap_ask_bus(sn);
    }
    sn->pending++; /* this start, so that the bus's answers cannot finish before it ends */
    snap_done_one(sn);
}

int hub_metrics_snapshot(hub_metrics *m, hub_metrics_cb cb, void *ud)
{
    struct snap *sn;

    if (!m || !cb) return HUB_EINVAL;
    if (!(sn = hub_calloc(1, sizeof(*sn)))) return HUB_ENOMEM;
    sn->m = m;
    sn->cb = cb;
    sn->ud = ud;
    if (uv_timer_init(hub_server_loop(m->srv), &sn->timer) != 0) {
        hub_free(sn);
        return HUB_ENOMEM;
    }
    sn->timer.data = sn;
    uv_timer_start(&sn->timer, on_snap_start, 0, 0);
    return 0;
}

/* ---- the Prometheus text format ---- */

struct buf {
    char *p;
    size_t len, cap;
    int oom;
};

static void put(struct buf *b, const char *fmt, ...) HUB_LOG_PRINTF(2, 3);

static void put(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (b->oom) return;
    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = 1;
            return;
        }
        if (b->p && (size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 8192;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *bigger = hub_realloc(b->p, cap);
        if (!bigger) {
            b->oom = 1;
            return;
        }
        b->p = bigger;
        b->cap = cap;
    }
}

int hub_metrics_label_escape(const char *value, char *buf, size_t len)
{
    size_t o = 0;

    for (const char *p = value; *p; p++) {
        const char *rep = *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : *p == '\n' ? "\\n" : NULL;
        size_t n = rep ? 2 : 1;
        if (o + n >= len) return HUB_ETOOBIG;
        if (rep)
            memcpy(buf + o, rep, 2);
        else
            buf[o] = *p;
        o += n;
    }
    if (o >= len) return HUB_ETOOBIG;
    buf[o] = '\0';
    return (int)o;
}

/* A label value escaped into a small buffer (long values are cut). */
struct lv {
    char s[768];
};

static struct lv esc(const char *v)
{
    struct lv out;

    if (hub_metrics_label_escape(v ? v : "", out.s, sizeof(out.s)) < 0) strcpy(out.s, "(too long)");
    return out;
}

static void head(struct buf *b, const char *name, const char *type, const char *help)
{
    put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static uint64_t u(const json_t *o, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(o, key));
    return v > 0 ? (uint64_t)v : 0;
}

static double num(const json_t *o, const char *key)
{
    return json_number_value(json_object_get(o, key));
}

/* One metric without labels. */
static void one(struct buf *b, const char *name, const char *type, const char *help, double v)
{
    head(b, name, type, help);
    put(b, "%s %.9g\n", name, v);
}

static void one_u(struct buf *b, const char *name, const char *type, const char *help, uint64_t v)
{
    head(b, name, type, help);
    put(b, "%s %llu\n", name, (unsigned long long)v);
}

/* A metric with one sample per element of arr: label name from member key, value member field. */
static void per(struct buf *b, const json_t *arr, const char *name, const char *type,
                const char *help, const char *label, const char *key, const char *field)
{
    size_t i;
    json_t *o;

    if (!json_array_size(arr)) return;
    head(b, name, type, help);
    json_array_foreach(arr, i, o)
    {
        if (json_object_get(o, "gone") || !json_object_get(o, field)) continue;
        put(b, "%s{%s=\"%s\"} %llu\n", name, label,
            esc(json_string_value(json_object_get(o, key))).s, (unsigned long long)u(o, field));
    }
}

static void render_engine(struct buf *b, const json_t *e)
{
    const char *reason;
    json_t *v;

    head(b, "hubbub_engine_clients", "gauge", "Engine.IO sessions open now, by transport.");
    put(b, "hubbub_engine_clients{transport=\"polling\"} %llu\n",
        (unsigned long long)u(e, "polling"));
    put(b, "hubbub_engine_clients{transport=\"websocket\"} %llu\n",
        (unsigned long long)u(e, "websocket"));
    one_u(b, "hubbub_engine_connections_total", "counter",
          "Engine.IO sessions opened (handshakes completed).", u(e, "opened"));
    head(b, "hubbub_engine_disconnections_total", "counter",
         "Engine.IO sessions closed, by reason.");
    json_object_foreach(json_object_get(e, "closed"), reason, v)
        put(b, "hubbub_engine_disconnections_total{reason=\"%s\"} %llu\n", esc(reason).s,
            (unsigned long long)(json_integer_value(v) > 0 ? json_integer_value(v) : 0));
    one_u(b, "hubbub_engine_upgrades_total", "counter",
          "Sessions that moved from polling to the WebSocket.", u(e, "upgrades"));
    one_u(b, "hubbub_engine_packets_received_total", "counter",
          "Engine.IO packets received (every type).", u(e, "packetsIn"));
    one_u(b, "hubbub_engine_packets_sent_total", "counter",
          "Engine.IO packets queued for clients (every type; once per recipient).",
          u(e, "packetsOut"));
    one_u(b, "hubbub_engine_bytes_received_total", "counter",
          "Bytes of the Engine.IO packets received, without transport framing.", u(e, "bytesIn"));
    one_u(b, "hubbub_engine_bytes_sent_total", "counter",
          "Bytes of the Engine.IO packets queued for clients, without transport framing.",
          u(e, "bytesOut"));
    one_u(b, "hubbub_engine_slow_consumers_total", "counter",
          "Sessions closed because their send queue went over maxBufferedBytes.",
          u(e, "slowConsumers"));
}

static void render_sockets(struct buf *b, const json_t *s, const json_t *nsps)
{
    size_t i;
    json_t *pair;
    uint64_t cumulative = 0;

    one_u(b, "hubbub_socketio_clients", "gauge", "Socket.IO clients (one per Engine.IO session).",
          u(s, "clients"));
    one_u(b, "hubbub_namespaces", "gauge", "Namespaces on this node.", json_array_size(nsps));
    per(b, nsps, "hubbub_namespace_sockets", "gauge", "Sockets connected to the namespace.",
        "namespace", "name", "sockets");
    per(b, nsps, "hubbub_namespace_rooms", "gauge",
        "Rooms of the namespace on this node, the sockets' own rooms left out.", "namespace",
        "name", "rooms");
    one_u(b, "hubbub_socket_connects_total", "counter", "Sockets accepted into a namespace.",
          u(s, "connects"));
    one_u(b, "hubbub_socket_connect_errors_total", "counter",
          "CONNECTs refused (by a connect hook, or for lack of memory).", u(s, "connectErrors"));
    one_u(b, "hubbub_socket_disconnects_total", "counter", "Sockets that left their namespace.",
          u(s, "disconnects"));
    one_u(b, "hubbub_events_received_total", "counter", "Events received from clients.",
          u(s, "eventsIn"));
    one_u(b, "hubbub_events_sent_total", "counter",
          "Events queued for clients (a broadcast counts once per recipient).", u(s, "eventsOut"));
    one_u(b, "hubbub_acks_pending", "gauge",
          "Acknowledgements the server asked for and still waits for (one per recipient).",
          u(s, "acksPending"));
    one_u(b, "hubbub_acks_received_total", "counter",
          "Acknowledgements received from clients for the server's requests.",
          u(s, "acksReceived"));
    one_u(b, "hubbub_acks_timed_out_total", "counter",
          "Acknowledgements that did not arrive before their timeout.", u(s, "acksTimedOut"));
    one_u(b, "hubbub_broadcasts_total", "counter",
          "Broadcasts delivered on this node (its own and the cluster's).", u(s, "broadcasts"));
    head(b, "hubbub_broadcast_fanout", "histogram", "Local recipients of each broadcast.");
    json_array_foreach(json_object_get(s, "fanout"), i, pair)
    {
        json_t *bound = json_array_get(pair, 0);
        cumulative += (uint64_t)(json_integer_value(json_array_get(pair, 1)) > 0
                                     ? json_integer_value(json_array_get(pair, 1))
                                     : 0);
        if (json_is_integer(bound))
            put(b, "hubbub_broadcast_fanout_bucket{le=\"%lld\"} %llu\n",
                (long long)json_integer_value(bound), (unsigned long long)cumulative);
        else
            put(b, "hubbub_broadcast_fanout_bucket{le=\"+Inf\"} %llu\n",
                (unsigned long long)cumulative);
    }
    put(b, "hubbub_broadcast_fanout_sum %llu\n", (unsigned long long)u(s, "broadcastRecipients"));
    put(b, "hubbub_broadcast_fanout_count %llu\n", (unsigned long long)u(s, "broadcasts"));
}

static void render_bus(struct buf *b, const json_t *bus)
{
    const json_t *queues = json_object_get(bus, "queues"), *topics = json_object_get(bus, "topics");
    size_t i;
    json_t *q;

    one_u(b, "hubbub_bus_up", "gauge", "1 when the event bus's stores answered.",
          json_object_get(bus, "error") ? 0 : 1);
    if (json_array_size(queues)) {
        head(b, "hubbub_queue_messages", "gauge",
             "Messages in the queue: visible (ready), inflight (received, not deleted), delayed.");
        json_array_foreach(queues, i, q)
        {
            static const char *const states[] = {"visible", "inflight", "delayed"};
            if (json_object_get(q, "gone")) continue;
            for (size_t k = 0; k < 3; k++)
                put(b, "hubbub_queue_messages{queue=\"%s\",state=\"%s\"} %llu\n",
                    esc(json_string_value(json_object_get(q, "name"))).s, states[k],
                    (unsigned long long)u(q, states[k]));
        }
        head(b, "hubbub_queue_dead_letter_messages", "gauge",
             "Visible messages in the dead-letter queue of the queue (its RedrivePolicy).");
        json_array_foreach(queues, i, q)
        {
            const char *dlq = json_string_value(json_object_get(q, "dlq"));
            size_t k;
            json_t *d;
            if (!dlq || json_object_get(q, "gone")) continue;
            json_array_foreach(queues, k, d)
            {
                const char *name = json_string_value(json_object_get(d, "name"));
                if (name && strcmp(name, dlq) == 0 && !json_object_get(d, "gone"))
                    put(b, "hubbub_queue_dead_letter_messages{queue=\"%s\",dlq=\"%s\"} %llu\n",
                        esc(json_string_value(json_object_get(q, "name"))).s, esc(dlq).s,
                        (unsigned long long)u(d, "visible"));
            }
        }
    }
    per(b, queues, "hubbub_queue_sent_total", "counter",
        "Messages stored in the queue (FIFO duplicates left out).", "queue", "name", "sent");
    per(b, queues, "hubbub_queue_received_total", "counter",
        "Messages handed to receivers (redeliveries included).", "queue", "name", "received");
    per(b, queues, "hubbub_queue_redelivered_total", "counter",
        "Messages received again after a visibility timeout or a release.", "queue", "name",
        "redelivered");
    per(b, queues, "hubbub_queue_deleted_total", "counter",
        "Messages deleted (acknowledged) by their receivers.", "queue", "name", "deleted");
    per(b, queues, "hubbub_queue_purges_total", "counter", "Purges of the queue.", "queue", "name",
        "purges");
    if (json_array_size(topics)) {
        json_t *t;
        head(b, "hubbub_topic_subscriptions", "gauge",
             "Subscriptions of the topic: confirmed, or pending (http(s) awaiting confirmation).");
        json_array_foreach(topics, i, t)
        {
            if (json_object_get(t, "gone")) continue;
            struct lv name = esc(json_string_value(json_object_get(t, "name")));
            put(b, "hubbub_topic_subscriptions{topic=\"%s\",state=\"confirmed\"} %llu\n", name.s,
                (unsigned long long)u(t, "subscriptions"));
            put(b, "hubbub_topic_subscriptions{topic=\"%s\",state=\"pending\"} %llu\n", name.s,
                (unsigned long long)u(t, "pending"));
        }
    }
    per(b, topics, "hubbub_topic_published_total", "counter",
        "Messages published to the topic (FIFO duplicates left out).", "topic", "name",
        "published");
    per(b, topics, "hubbub_topic_deliveries_total", "counter",
        "Messages times the topic's confirmed subscriptions, before filter policies.", "topic",
        "name", "deliveries");
}

static void render_cluster(struct buf *b, const json_t *c)
{
    const char *backend = json_string_value(json_object_get(c, "backend"));
    json_int_t latency = json_integer_value(json_object_get(c, "latencyMs"));
    int redis = backend && strcmp(backend, "redis") == 0;

    head(b, "hubbub_cluster_connected", "gauge",
         "1 when the cluster back end can publish and receive (always 1 when alone).");
    put(b, "hubbub_cluster_connected{backend=\"%s\"} %d\n", esc(backend).s,
        json_is_true(json_object_get(c, "connected")) ? 1 : 0);
    one_u(b, "hubbub_cluster_messages_published_total", "counter",
          "Messages handed to the cluster back end.", u(c, "published"));
    one_u(b, "hubbub_cluster_messages_received_total", "counter",
          "Messages received from the cluster back end.", u(c, "received"));
    one_u(b, "hubbub_cluster_messages_dropped_total", "counter",
          "Messages not published: the back end was unreachable or backed up.", u(c, "dropped"));
    if (!redis) return;
    one(b, "hubbub_redis_up", "gauge", "1 when the connection to Redis is up.",
        json_is_true(json_object_get(c, "connected")) ? 1 : 0);
    one_u(b, "hubbub_redis_reconnects_total", "counter",
          "Connections to Redis re-established after a loss.", u(c, "reconnects"));
    if (latency >= 0)
        one(b, "hubbub_redis_latency_seconds", "gauge", "The last measured round trip to Redis.",
            (double)latency / 1000.0);
}

int hub_metrics_render(const json_t *snap, char **out, size_t *len)
{
    const json_t *node = json_object_get(snap, "node"), *bus = json_object_get(snap, "bus");
    struct buf b = {0};

    if (!json_is_object(node) || !json_is_object(json_object_get(snap, "engine")) ||
        !json_is_object(json_object_get(snap, "sockets")))
        return HUB_EINVAL;
    head(&b, "hubbub_info", "gauge", "The node's version and id (always 1).");
    put(&b, "hubbub_info{version=\"%s\",node=\"%s\"} 1\n",
        esc(json_string_value(json_object_get(node, "version"))).s,
        esc(json_string_value(json_object_get(node, "id"))).s);
    one(&b, "hubbub_uptime_seconds", "gauge", "Seconds since the node started.",
        num(node, "uptime"));
    one(&b, "hubbub_event_loop_lag_seconds", "gauge",
        "How late the last 500 ms loop timer ran (the loop was busy that long).",
        num(node, "loopLag"));
    one(&b, "hubbub_event_loop_lag_max_seconds", "gauge",
        "The largest event-loop lag of the last 10 seconds.", num(node, "loopLagMax"));
    render_engine(&b, json_object_get(snap, "engine"));
    render_sockets(&b, json_object_get(snap, "sockets"), json_object_get(snap, "namespaces"));
    if (json_is_object(json_object_get(snap, "cluster")))
        render_cluster(&b, json_object_get(snap, "cluster"));
    if (json_is_object(bus)) render_bus(&b, bus);
    if (b.oom || !b.p) {
        hub_free(b.p);
        return HUB_ENOMEM;
    }
    *out = b.p;
    *len = b.len;
    return 0;
}

/* ---- GET /metrics ---- */

struct scrape {
    hub_httpx *x; /* NULL once the client went away */
};

static void on_scrape_abort(void *ud)
{
    struct scrape *sc = ud;
    sc->x = NULL;
}

static void on_scrape_snap(void *ud, const json_t *snap)
{
    static const char *const headers[] = {"cache-control: no-store", NULL};
    struct scrape *sc = ud;
    char *text = NULL;
    size_t len = 0;

    if (sc->x) {
        if (snap && hub_metrics_render(snap, &text, &len) == 0)
            hub_httpx_reply(sc->x, 200, HUB_METRICS_CONTENT_TYPE, headers, text, len);
        else
            hub_httpx_reply(sc->x, 500, "text/plain; charset=utf-8", NULL, "out of memory\n", 14);
    }
    hub_free(text);
    hub_free(sc);
}

static void on_metrics(void *ud, hub_httpx *x)
{
    static const char *const allow[] = {"allow: GET, HEAD", NULL};
    hub_metrics *m = ud;
    const char *method = hub_httpx_method(x);
    struct scrape *sc;

    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        hub_httpx_reply(x, 405, "text/plain; charset=utf-8", allow, "Method Not Allowed", 18);
        return;
    }
    if (!(sc = hub_calloc(1, sizeof(*sc)))) {
        hub_httpx_reply(x, 500, "text/plain; charset=utf-8", NULL, "out of memory\n", 14);
        return;
    }
    sc->x = x;
    if (hub_metrics_snapshot(m, on_scrape_snap, sc) != 0) {
        hub_free(sc);
        hub_httpx_reply(x, 500, "text/plain; charset=utf-8", NULL, "out of memory\n", 14);
        return;
    }
    hub_httpx_on_abort(x, on_scrape_abort, sc);
}

int hub_metrics_add_routes(hub_metrics *m, hub_routes *routes)
{
    return hub_routes_add(routes, "/metrics", 0, 0, on_metrics, m);
}
