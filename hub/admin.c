/* admin.c - see admin.h.
 *
 * The shapes follow @socket.io/admin-ui's server (dist/index.js): serialize() for sockets,
 * initStatsEmitter() for server_stats, registerVerboseListeners() for the live events and
 * registerFeatureHandlers() for the actions. Where the reference reads socket.data._admin (its
 * own bookkeeping), a local socket answers from its session; a socket of another node answers
 * with what fetchSockets brought back (a Node.js node instrumented by the package sends _admin; a
 * Hubbub node does not, and its sockets then show their id as client id and the transport of
 * their handshake). */
#include "admin.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hub_alloc.h"
#include "hub_err.h"
#include "log.h"
#include "web.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* What JSON.stringify makes of a Date: "2024-05-01T12:00:00.123Z". */
static json_t *iso_now(void)
{
    char buf[96];
    uint64_t ms = now_ms();
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;

    gmtime_r(&sec, &tm);
    snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(ms % 1000));
    return json_string(buf);
}

/* ---- sessions and passwords ---- */

static void session_key(const char *password_hash, unsigned char key[32])
{
    static const char label[] = "hubbub admin session\n";
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned int n = 0;

    memset(key, 0, 32);
    if (!ctx) return;
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(ctx, label, sizeof(label) - 1) != 1 ||
        EVP_DigestUpdate(ctx, password_hash, strlen(password_hash)) != 1 ||
        EVP_DigestFinal_ex(ctx, key, &n) != 1)
        memset(key, 0, 32);
    EVP_MD_CTX_free(ctx);
}

int hub_admin_session_make(const char *password_hash, const char *username, uint64_t expires_ms,
                           char out[HUB_ADMIN_SESSION_MAX])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char key[32], mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    char msg[256];
    int n, m;

    if (!password_hash || !username || !password_hash[0]) return HUB_EINVAL;
    m = snprintf(msg, sizeof(msg), "%s\n%llu", username, (unsigned long long)expires_ms);
    if (m < 0 || (size_t)m >= sizeof(msg)) return HUB_EINVAL;
    session_key(password_hash, key);
    if (!HMAC(EVP_sha256(), key, sizeof(key), (const unsigned char *)msg, (size_t)m, mac,
              &maclen) ||
        maclen != 32)
        return HUB_EINVAL;
    OPENSSL_cleanse(key, sizeof(key));
    n = snprintf(out, HUB_ADMIN_SESSION_MAX, "%llx.", (unsigned long long)expires_ms);
    for (unsigned i = 0; i < maclen; i++) {
        out[n++] = hex[mac[i] >> 4];
        out[n++] = hex[mac[i] & 15];
    }
    out[n] = '\0';
    return n;
}

int hub_admin_session_check(const char *password_hash, const char *username, const char *token,
                            uint64_t now_ms_)
{
    char want[HUB_ADMIN_SESSION_MAX], *end;
    unsigned long long expires;
    size_t len;
    int n;

    if (!token || (len = strlen(token)) >= HUB_ADMIN_SESSION_MAX || !strchr(token, '.')) return 0;
    expires = strtoull(token, &end, 16);
    if (end == token || *end != '.' || expires <= now_ms_) return 0;
    n = hub_admin_session_make(password_hash, username, expires, want);
    return n > 0 && (size_t)n == len && CRYPTO_memcmp(want, token, len) == 0;
}

/* crypt_r into data (a caller's buffer: it is 32 KiB, and this may run on a worker thread). */
static int password_matches(const char *password, const char *hash, struct crypt_data *data)
{
    const char *h;
    size_t n = strlen(hash);

    memset(data, 0, sizeof(*data));
    h = crypt_r(password, hash, data);
    return h && h[0] != '*' && strlen(h) == n && CRYPTO_memcmp(h, hash, n) == 0;
}

int hub_admin_password_check(const char *password, const char *hash)
{
    struct crypt_data *data;
    int ok;

    if (!password || !hash || !(data = hub_calloc(1, sizeof(*data)))) return 0;
    ok = password_matches(password, hash, data);
    OPENSSL_cleanse(data, sizeof(*data));
    hub_free(data);
    return ok;
}

/* ---- the login ---- */

struct hub_admin_auth {
    uv_loop_t *loop;
    const struct hub_admin_config *c;
    int checks; /* under way on the thread pool */
    int marker; /* its address, as a socket's user pointer: "emit a session once connected" */
};

struct check {
    uv_work_t req;
    hub_admin_auth *a;
    hub_socket *s;
    char *password;
    size_t password_len;
    int user_ok;
    int ok;
    struct crypt_data data;
};

hub_admin_auth *hub_admin_auth_new(uv_loop_t *loop, const struct hub_admin_config *c)
{
    hub_admin_auth *a;

    if (!loop || !c || !(a = hub_calloc(1, sizeof(*a)))) return NULL;
    a->loop = loop;
    a->c = c;
    return a;
}

void hub_admin_auth_free(hub_admin_auth *a)
{
    hub_free(a);
}

/* Wipes the password out of the socket's auth object (its handshake is built from it). */
static void scrub_password(const json_t *auth)
{
    json_t *pw = json_object_get(auth, "password");

    if (json_is_string(pw)) OPENSSL_cleanse((char *)json_string_value(pw), json_string_length(pw));
    json_object_del((json_t *)auth, "password");
}

static void check_free(struct check *k)
{
    if (k->password) {
        OPENSSL_cleanse(k->password, k->password_len);
        hub_free(k->password);
    }
    OPENSSL_cleanse(&k->data, sizeof(k->data));
    hub_free(k);
}

static void check_work(uv_work_t *req)
{
    struct check *k = req->data;

    k->ok = password_matches(k->password, k->a->c->password_hash, &k->data);
    OPENSSL_cleanse(k->password, k->password_len);
}

static void check_done(uv_work_t *req, int status)
{
    struct check *k = req->data;
    hub_socket *s = k->s;
    int ok = status == 0 && k->ok && k->user_ok;

    k->a->checks--;
    if (ok)
        hub_socket_set_user(s, &k->a->marker);
    else
        hub_connect_reject(s, "invalid credentials", NULL);
    hub_log(ok ? HUB_LOG_INFO : HUB_LOG_WARN, "admin: %s login to %s (session %s)",
            ok ? "a successful" : "a failed", hub_nsp_name(hub_socket_nsp(s)),
            hub_socket_session_id(s) ? hub_socket_session_id(s) : "gone");
    check_free(k);
    hub_connect_resume(s, !ok);
}

static int on_login(hub_socket *s, const json_t *auth, void *ud)
{
    hub_admin_auth *a = ud;
    const struct hub_admin_config *c = a->c;
    const char *session = json_string_value(json_object_get(auth, "sessionId"));
    const char *user = json_string_value(json_object_get(auth, "username"));
    json_t *pw = json_object_get(auth, "password");
    struct check *k;

    if (session && hub_admin_session_check(c->password_hash, c->username, session, now_ms())) {
        scrub_password(auth);
        return 0;
    }
    if (!json_is_string(pw)) {
        /* No password: a first visit, or a session that expired. The message is empty so that the
         * Admin UI shows its login form without an error; data says why. */
        hub_connect_reject(
            s, "",
            json_pack("{s:s}", "reason",
                      session ? "session expired or invalid" : "credentials required"));
        return 1;
    }
    if (a->checks >= HUB_ADMIN_CHECKS_MAX) {
        scrub_password(auth);
        hub_connect_reject(s, "too many login attempts at once, try again", NULL);
        return 1;
    }
    if (!(k = hub_calloc(1, sizeof(*k))) ||
        !(k->password = hub_strndup(json_string_value(pw), json_string_length(pw)))) {
        hub_free(k);
        scrub_password(auth);
        hub_connect_reject(s, "out of memory", NULL);
        return 1;
    }
    k->password_len = json_string_length(pw);
    scrub_password(auth);
    k->a = a;
    k->s = s;
    /* the password is checked even for a wrong user name, so that both take as long */
    k->user_ok = user && strcmp(user, c->username) == 0;
    k->req.data = k;
    if (hub_connect_defer(s) != 0) {
        check_free(k);
        hub_connect_reject(s, "invalid credentials", NULL);
        return 1;
    }
    if (uv_queue_work(a->loop, &k->req, check_work, check_done) != 0) {
        check_free(k);
        hub_connect_resume(s, 1); /* cancels the deferral: the return value below decides */
        hub_connect_reject(s, "invalid credentials", NULL);
        return 1;
    }
    a->checks++;
    return 0;
}

static void on_login_connected(hub_socket *s, void *ud)
{
    hub_admin_auth *a = ud;
    char token[HUB_ADMIN_SESSION_MAX];
    json_t *args;

    if (hub_socket_user(s) != &a->marker) return;
    hub_socket_set_user(s, NULL);
    if (hub_admin_session_make(a->c->password_hash, a->c->username,
                               now_ms() + (uint64_t)a->c->session_s * 1000u, token) < 0)
        return;
    if ((args = json_pack("[s]", token))) hub_socket_emit(s, "session", args, NULL, 0);
    json_decref(args);
    OPENSSL_cleanse(token, sizeof(token));
}

int hub_admin_auth_install(hub_admin_auth *a, hub_nsp *nsp)
{
    int rc;

    if (!a->c->auth) return 0;
    if ((rc = hub_nsp_use(nsp, on_login, a)) != 0) return rc;
    return hub_nsp_on_connection(nsp, on_login_connected, a);
}

/* ---- the admin namespace: describing sockets ---- */

struct hub_admin {
    hub_server *srv;
    const struct hub_config *cfg;
    const struct hub_admin_config *ac;
    hub_metrics *m;
    hub_admin_auth *auth;
    hub_nsp *nsp;
    char hostname[64];
    uint64_t started_ns;
    uv_timer_t timer;
    int timer_open;
    struct eio_stats last; /* the counters at the previous server_stats */
    hub_web_cache *cache;
    char *defaults_js;
    size_t defaults_len;
};

/* The handshake without auth, as serialize() has it; the address from a proxy's header first. */
static json_t *handshake_view(const json_t *h)
{
    const json_t *headers = json_object_get(h, "headers");
    const json_t *address = json_object_get(headers, "cf-connecting-ip");

    if (!json_is_string(address)) address = json_object_get(headers, "x-forwarded-for");
    if (!json_is_string(address)) address = json_object_get(h, "address");
    return json_pack("{s:O?,s:O?,s:O?,s:O?,s:O?,s:O?,s:O?,s:O?}", "address", address, "headers",
                     json_object_get(h, "headers"), "query", json_object_get(h, "query"), "issued",
                     json_object_get(h, "issued"), "secure", json_object_get(h, "secure"), "time",
                     json_object_get(h, "time"), "url", json_object_get(h, "url"), "xdomain",
                     json_object_get(h, "xdomain"));
}

static json_t *rooms_of(hub_socket *s)
{
    json_t *rooms = json_array();
    const char *room;
    size_t pos = 0;

    while (rooms && hub_socket_rooms_next(s, &pos, &room))
        json_array_append_new(rooms, json_string(room));
    return rooms;
}

/* A local socket as the UI shows it. */
static json_t *socket_view(hub_socket *s)
{
    const char *sid = hub_socket_session_id(s), *transport = hub_socket_transport(s);
    json_t *h = hub_socket_handshake_new(s), *o;
    char client_id[13];

    snprintf(client_id, sizeof(client_id), "%s", sid ? sid : hub_socket_id(s));
    o = json_pack("{s:s,s:s,s:s,s:s,s:{},s:o?,s:o?}", "id", hub_socket_id(s), "clientId", client_id,
                  "transport", transport ? transport : "polling", "nsp",
                  hub_nsp_name(hub_socket_nsp(s)), "data", "handshake", handshake_view(h), "rooms",
                  rooms_of(s));
    json_decref(h);
    return o;
}

/* A socket from fetchSockets (this node's or another's): {id, handshake, rooms, data}. */
static json_t *fetched_view(hub_nsp *nsp, const json_t *f)
{
    const char *id = json_string_value(json_object_get(f, "id"));
    const json_t *data = json_object_get(f, "data"), *mine = json_object_get(data, "_admin");
    const json_t *h = json_object_get(f, "handshake");
    hub_socket *s = id ? hub_nsp_socket(nsp, id) : NULL;
    const char *client_id, *transport;
    char cid[13];
    json_t *o, *copy;

    if (s) return socket_view(s);
    if (!id) return NULL;
    client_id = json_string_value(json_object_get(mine, "clientId"));
    transport = json_string_value(json_object_get(mine, "transport"));
    if (!transport)
        transport = json_string_value(json_object_get(json_object_get(h, "query"), "transport"));
    snprintf(cid, sizeof(cid), "%s", client_id ? client_id : id);
    copy = json_is_object(data) ? json_deep_copy(data) : json_object();
    if (copy) json_object_del(copy, "_admin");
    o = json_pack("{s:s,s:s,s:s,s:s,s:o?,s:o?,s:O?}", "id", id, "clientId", cid, "transport",
                  transport ? transport : "polling", "nsp", hub_nsp_name(nsp), "data", copy,
                  "handshake", handshake_view(h), "rooms", json_object_get(f, "rooms"));
    return o;
}

/* Emits event with args (stolen) to every admin socket, on every node. */
static void admin_emit(hub_admin *a, const char *event, json_t *args)
{
    if (args) hub_nsp_emit(a->nsp, NULL, event, args, NULL, 0);
    json_decref(args);
}

/* The namespaces whose events are not reported: the admin's own and the dashboard's. */
static int quiet_nsp(const hub_admin *a, const hub_socket *s)
{
    const hub_nsp *nsp = hub_socket_nsp(s);

    return nsp == a->nsp ||
           (a->ac->dashboard && strcmp(hub_nsp_name(nsp), a->ac->dashboard_nsp) == 0);
}

/* ---- the observer (development mode) ---- */

static void ob_connected(void *ud, hub_socket *s)
{
    admin_emit(ud, "socket_connected", json_pack("[o?,o?]", socket_view(s), iso_now()));
}

static void ob_disconnected(void *ud, hub_socket *s, const char *reason)
{
    admin_emit(ud, "socket_disconnected",
               json_pack("[s,s,s,o?]", hub_nsp_name(hub_socket_nsp(s)), hub_socket_id(s), reason,
                         iso_now()));
}

static void ob_room_joined(void *ud, hub_socket *s, const char *room)
{
    admin_emit(ud, "room_joined",
               json_pack("[s,s,s,o?]", hub_nsp_name(hub_socket_nsp(s)), room, hub_socket_id(s),
                         iso_now()));
}

static void ob_room_left(void *ud, hub_socket *s, const char *room)
{
    admin_emit(ud, "room_left",
               json_pack("[s,s,s,o?]", hub_nsp_name(hub_socket_nsp(s)), room, hub_socket_id(s),
                         iso_now()));
}

static void ob_event_received(void *ud, hub_socket *s, const json_t *data)
{
    if (quiet_nsp(ud, s)) return;
    admin_emit(ud, "event_received",
               json_pack("[s,s,O,o?]", hub_nsp_name(hub_socket_nsp(s)), hub_socket_id(s), data,
                         iso_now()));
}

static void ob_event_sent(void *ud, hub_socket *s, const json_t *data)
{
    if (quiet_nsp(ud, s)) return;
    admin_emit(ud, "event_sent",
               json_pack("[s,s,O,o?]", hub_nsp_name(hub_socket_nsp(s)), hub_socket_id(s), data,
                         iso_now()));
}

static void ob_upgraded(void *ud, hub_socket *s)
{
    const char *transport = hub_socket_transport(s);

    admin_emit(ud, "socket_updated",
               json_pack("[{s:s,s:s,s:s}]", "id", hub_socket_id(s), "nsp",
                         hub_nsp_name(hub_socket_nsp(s)), "transport",
                         transport ? transport : "websocket"));
}

static const struct hub_observer admin_observer = {
    .connected = ob_connected,
    .disconnected = ob_disconnected,
    .room_joined = ob_room_joined,
    .room_left = ob_room_left,
    .event_received = ob_event_received,
    .event_sent = ob_event_sent,
    .upgraded = ob_upgraded,
};

/* ---- server_stats ---- */

static void push_event(json_t *arr, uint64_t ts, const char *type, const char *sub, uint64_t n)
{
    json_t *o;

    if (!n || !(o = json_pack("{s:I,s:s,s:I}", "timestamp", (json_int_t)ts, "type", type, "count",
                              (json_int_t)n)))
        return;
    if (sub) /* the reference leaves subType undefined when there is none */
        json_object_set_new(o, "subType", json_string(sub));
    json_array_append_new(arr, o);
}

static json_t *server_stats(hub_admin *a)
{
    struct hub_server_stats st;
    const struct eio_stats *e = &st.engine, *l = &a->last;
    json_t *events = json_array(), *nsps = json_array();
    uint64_t ts = now_ms() / 1000 * 1000;
    size_t pos = 0;
    hub_nsp *nsp;

    hub_server_stats(a->srv, &st);
    if (events && e->opened >= l->opened) { /* counters only grow; a reset server would not */
        push_event(events, ts, "rawConnection", NULL, e->opened - l->opened);
        for (int i = 0; i < EIO_CLOSE_REASONS; i++)
            push_event(events, ts, "rawDisconnection",
                       eio_close_reason_name((enum eio_close_reason)i),
                       e->closed[i] - l->closed[i]);
        push_event(events, ts, "packetsIn", NULL, e->packets_in - l->packets_in);
        push_event(events, ts, "packetsOut", NULL, e->packets_out - l->packets_out);
        push_event(events, ts, "bytesIn", NULL, e->bytes_in - l->bytes_in);
        push_event(events, ts, "bytesOut", NULL, e->bytes_out - l->bytes_out);
    }
    a->last = *e;
    while (nsps && (nsp = hub_server_nsps_next(a->srv, &pos)))
        json_array_append_new(nsps, json_pack("{s:s,s:I}", "name", hub_nsp_name(nsp),
                                              "socketsCount", (json_int_t)hub_nsp_count(nsp)));
    return json_pack("{s:s,s:s,s:I,s:f,s:I,s:I,s:o?,s:o?}", "serverId",
                     a->ac->server_id ? a->ac->server_id : hub_metrics_node_id(a->m), "hostname",
                     a->hostname, "pid", (json_int_t)getpid(), "uptime",
                     (double)(uv_hrtime() - a->started_ns) / 1e9, "clientsCount",
                     (json_int_t)e->open, "pollingClientsCount",
                     (json_int_t)(e->open > e->websocket ? e->open - e->websocket : 0),
                     "aggregatedEvents", events, "namespaces", nsps);
}

static void on_stats_timer(uv_timer_t *t)
{
    hub_admin *a = t->data;

    if (!hub_server_engine(a->srv)) return; /* shutting down */
    admin_emit(a, "server_stats", json_pack("[o?]", server_stats(a)));
}

/* ---- on connection: config, all_sockets ---- */

struct collect {
    hub_admin *a;
    char sid[HUB_SOCKET_ID_MAX + 1];
    int pending;
    json_t *all;
};

static void collect_done_one(struct collect *col)
{
    hub_socket *s;
    json_t *args;

    if (--col->pending > 0) return;
    s = hub_nsp_socket(col->a->nsp, col->sid);
    if (s && (args = json_pack("[O]", col->all))) {
        hub_socket_emit(s, "all_sockets", args, NULL, 0);
        json_decref(args);
    }
    json_decref(col->all);
    hub_free(col);
}

static void on_fetched(hub_nsp *nsp, int status, const json_t *result, void *ud)
{
    struct collect *col = ud;
    size_t i;
    json_t *f;

    if (status && status != HUB_ETIMEOUT)
        hub_log(HUB_LOG_DEBUG, "admin: fetching the sockets of %s: %s", hub_nsp_name(nsp),
                hub_strerror(status));
    json_array_foreach(result, i, f)
    {
        json_t *v = fetched_view(nsp, f);
        if (v) json_array_append_new(col->all, v);
    }
    collect_done_one(col);
}

static void on_admin_connection(hub_socket *s, void *ud)
{
    hub_admin *a = ud;
    struct collect *col;
    size_t pos = 0;
    hub_nsp *nsp;
    json_t *args = json_array();
    if (args) {
        static const char *const all[] = {"EMIT",  "JOIN",   "LEAVE",      "DISCONNECT",
                                          "MJOIN", "MLEAVE", "MDISCONNECT"};
        json_t *features = json_array();
        for (size_t i = 0; features && !a->ac->readonly && i < NELEM(all); i++)
            json_array_append_new(features, json_string(all[i]));
        json_array_append_new(features, json_string("AGGREGATED_EVENTS"));
        if (!a->ac->production) json_array_append_new(features, json_string("ALL_EVENTS"));
        json_array_append_new(args, json_pack("{s:o?}", "supportedFeatures", features));
        hub_socket_emit(s, "config", args, NULL, 0);
        json_decref(args);
    }
    if (a->ac->production) return;
    if (!(col = hub_calloc(1, sizeof(*col))) || !(col->all = json_array())) {
        hub_free(col);
        return;
    }
    col->a = a;
    snprintf(col->sid, sizeof(col->sid), "%s", hub_socket_id(s));
    col->pending = 1; /* this loop */
    while ((nsp = hub_server_nsps_next(a->srv, &pos))) {
        col->pending++;
        if (hub_nsp_fetch_sockets(nsp, NULL, on_fetched, col) != 0) col->pending--;
    }
    collect_done_one(col);
}

/* ---- the actions ---- */

/* The namespace named by args[i] (never created here), and the target of the optional room filter
 * args[j]. */
static hub_nsp *action_nsp(hub_admin *a, const json_t *args, size_t i)
{
    const char *name = json_string_value(json_array_get(args, i));
    return name ? hub_server_nsp(a->srv, name) : NULL;
}

static const struct hub_target *action_target(const json_t *args, size_t j, struct hub_target *t,
                                              const char **room)
{
    *room = json_string_value(json_array_get(args, j));
    if (!*room || !(*room)[0]) return NULL;
    memset(t, 0, sizeof(*t));
    t->rooms = room;
    t->nrooms = 1;
    return t;
}

static void on_action_emit(hub_socket *s, const struct hub_event *ev, void *ud)
{
    hub_admin *a = ud;
    hub_nsp *nsp = action_nsp(a, ev->args, 0);
    const char *event = json_string_value(json_array_get(ev->args, 2)), *room;
    struct hub_target t;
    json_t *rest;

    (void)s;
    if (!nsp || !event || !(rest = json_array())) return;
    for (size_t i = 3; i < json_array_size(ev->args); i++)
        json_array_append(rest, json_array_get(ev->args, i));
    hub_nsp_emit(nsp, action_target(ev->args, 1, &t, &room), event, rest, ev->bufs, ev->nbufs);
    json_decref(rest);
}

static void on_action_join_leave(hub_socket *s, const struct hub_event *ev, void *ud, int join)
{
    hub_admin *a = ud;
    hub_nsp *nsp = action_nsp(a, ev->args, 0);
    const char *room = json_string_value(json_array_get(ev->args, 1)), *filter;
    struct hub_target t;
    const struct hub_target *tp = action_target(ev->args, 2, &t, &filter);

    (void)s;
    if (!nsp || !room || !room[0]) return;
    if (join)
        hub_nsp_sockets_join(nsp, tp, &room, 1);
    else
        hub_nsp_sockets_leave(nsp, tp, &room, 1);
}

static void on_action_join(hub_socket *s, const struct hub_event *ev, void *ud)
{
    on_action_join_leave(s, ev, ud, 1);
}

static void on_action_leave(hub_socket *s, const struct hub_event *ev, void *ud)
{
    on_action_join_leave(s, ev, ud, 0);
}

static void on_action_disconnect(hub_socket *s, const struct hub_event *ev, void *ud)
{
    hub_admin *a = ud;
    hub_nsp *nsp = action_nsp(a, ev->args, 0);
    const char *filter;
    struct hub_target t;
    const struct hub_target *tp = action_target(ev->args, 2, &t, &filter);

    (void)s;
    if (!nsp) return;
    hub_log(HUB_LOG_INFO, "admin: disconnecting %s%s%s", hub_nsp_name(nsp), filter ? " room " : "",
            filter ? filter : "");
    hub_nsp_disconnect_sockets(nsp, tp, json_is_true(json_array_get(ev->args, 1)));
}

/* ---- life ---- */

static const char defaults_fmt[] =
    "/* Hubbub: a first visit of the Admin UI connects to this server. */\n"
    "(function () {\n"
    "  var c = %s;\n"
    "  try {\n"
    "    var s = window.localStorage;\n"
    "    if (!s.getItem(\"server_url\")) {\n"
    "      s.setItem(\"server_url\", window.location.origin);\n"
    "      s.setItem(\"namespace\", c.namespace);\n"
    "      s.setItem(\"path\", c.path);\n"
    "    }\n"
    "  } catch (e) {}\n"
    "})();\n";

static int defaults_script(hub_admin *a)
{
    char path[256];
    size_t n;
    json_t *conf;
    json_free_t free_fn;
    char *text;
    int len;

    snprintf(path, sizeof(path), "%s", a->cfg->path);
    n = strlen(path);
    if (n > 1 && path[n - 1] == '/') path[n - 1] = '\0';
    conf = json_pack("{s:s,s:s}", "namespace", a->ac->nsp, "path", path);
    text = conf ? json_dumps(conf, JSON_COMPACT) : NULL;
    json_decref(conf);
    if (!text) return HUB_ENOMEM;
    len = snprintf(NULL, 0, defaults_fmt, text);
    if (len > 0 && (a->defaults_js = hub_malloc((size_t)len + 1)))
        snprintf(a->defaults_js, (size_t)len + 1, defaults_fmt, text);
    json_get_alloc_funcs(NULL, &free_fn);
    free_fn(text);
    if (!a->defaults_js) return HUB_ENOMEM;
    a->defaults_len = (size_t)len;
    return 0;
}

hub_admin *hub_admin_new(hub_server *srv, const struct hub_config *cfg, hub_metrics *m)
{
    const struct hub_admin_config *ac = cfg ? cfg->admin : NULL;
    hub_admin *a;

    if (!srv || !ac || !ac->enabled || !m) return NULL;
    if (hub_server_nsp(srv, ac->nsp)) {
        hub_log(HUB_LOG_ERROR, "admin: the namespace %s is taken (config \"namespaces\")", ac->nsp);
        return NULL;
    }
    if (!(a = hub_calloc(1, sizeof(*a)))) return NULL;
    a->srv = srv;
    a->cfg = cfg;
    a->ac = ac;
    a->m = m;
    a->started_ns = uv_hrtime();
    if (gethostname(a->hostname, sizeof(a->hostname)) != 0) strcpy(a->hostname, "localhost");
    a->hostname[sizeof(a->hostname) - 1] = '\0';
    if (!(a->cache = hub_web_cache_new(0, 0)) || defaults_script(a) != 0) goto fail;
    if (!(a->auth = hub_admin_auth_new(hub_server_loop(srv), ac))) goto fail;
    if (!(a->nsp = hub_server_of(srv, ac->nsp))) goto fail;
    if (hub_admin_auth_install(a->auth, a->nsp) || /* its session goes out before "config" */
        hub_nsp_on_connection(a->nsp, on_admin_connection, a))
        goto fail;
    if (!ac->readonly && (hub_nsp_on(a->nsp, "emit", on_action_emit, a) ||
                          hub_nsp_on(a->nsp, "join", on_action_join, a) ||
                          hub_nsp_on(a->nsp, "leave", on_action_leave, a) ||
                          hub_nsp_on(a->nsp, "_disconnect", on_action_disconnect, a)))
        goto fail;
    if (!ac->production && hub_server_observe(srv, &admin_observer, a) != 0) goto fail;
    if (uv_timer_init(hub_server_loop(srv), &a->timer) != 0) goto fail;
    a->timer.data = a;
    a->timer_open = 1;
    uv_unref((uv_handle_t *)&a->timer);
    {
        struct hub_server_stats st; /* the first stats count from now, as the reference's */
        hub_server_stats(srv, &st);
        a->last = st.engine;
    }
    uv_timer_start(&a->timer, on_stats_timer, HUB_ADMIN_STATS_INTERVAL_MS,
                   HUB_ADMIN_STATS_INTERVAL_MS);
    if (!ac->auth)
        hub_log(HUB_LOG_WARN, "admin: authentication is off: anyone can use the Admin UI");
    return a;
fail:
    /* handlers already on the namespace keep a pointer to a: they stay, harmless, until the
     * server is freed; the caller gives up on the run */
    hub_admin_free(a);
    return NULL;
}

hub_admin_auth *hub_admin_get_auth(hub_admin *a)
{
    return a->auth;
}

void hub_admin_stop(hub_admin *a)
{
    if (!a || !a->timer_open) return;
    a->timer_open = 0;
    uv_timer_stop(&a->timer);
    if (!uv_is_closing((uv_handle_t *)&a->timer)) uv_close((uv_handle_t *)&a->timer, NULL);
}

void hub_admin_free(hub_admin *a)
{
    if (!a) return;
    hub_admin_stop(a);
    hub_admin_auth_free(a->auth);
    hub_web_cache_free(a->cache);
    hub_free(a->defaults_js);
    hub_free(a);
}

/* ---- the UI's pages ---- */

struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
};

static void sbuf_put(struct sbuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        char *bigger;
        while (cap < b->len + n + 1)
            cap *= 2;
        if (!(bigger = hub_realloc(b->p, cap))) {
            b->oom = 1;
            return;
        }
        b->p = bigger;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static const char *find(const char *s, const char *end, const char *what)
{
    size_t n = strlen(what);

    for (; s + n <= end; s++)
        if (memcmp(s, what, n) == 0) return s;
    return NULL;
}

char *hub_admin_index_rewrite(const char *html, size_t len, size_t *out_len)
{
    static const char icons[] =
        "<link rel=\"stylesheet\" href=\"mdi/css/materialdesignicons.min.css\">";
    static const char script[] = "<script src=\"hubbub-defaults.js\"></script>";
    const char *p = html, *end = html + len, *tag, *close, *headend;
    struct sbuf b = {0};

    while ((tag = find(p, end, "<link")) && (close = memchr(tag, '>', (size_t)(end - tag)))) {
        int remote = find(tag, close, "href=\"http://") || find(tag, close, "href=\"https://") ||
                     find(tag, close, "href=\"//");
        sbuf_put(&b, p, (size_t)(tag - p));
        if (!remote)
            sbuf_put(&b, tag, (size_t)(close + 1 - tag));
        else if (find(tag, close, "materialdesignicons"))
            sbuf_put(&b, icons, sizeof(icons) - 1);
        p = close + 1;
    }
    headend = find(p, end, "</head>");
    if (headend) {
        sbuf_put(&b, p, (size_t)(headend - p));
        sbuf_put(&b, script, sizeof(script) - 1);
        p = headend;
    }
    sbuf_put(&b, p, (size_t)(end - p));
    if (b.oom || !b.p) {
        hub_free(b.p);
        return NULL;
    }
    *out_len = b.len;
    return b.p;
}

static void reply_text(hub_httpx *x, int status, const char *text)
{
    hub_httpx_reply(x, status, "text/plain; charset=utf-8", NULL, text, strlen(text));
}

/* Replies with bytes and their ETag (304 when the client has them). */
static void reply_file(hub_httpx *x, const char *type, const char *etag, const char *cache,
                       const void *data, size_t len)
{
    char etag_line[HUB_WEB_ETAG_MAX + 8], inm[512];
    const char *h[] = {etag_line, cache, "x-content-type-options: nosniff", NULL};

    snprintf(etag_line, sizeof(etag_line), "etag: %s", etag);
    if (hub_httpx_header(x, "if-none-match", inm, sizeof(inm)) > 0 && hub_web_etag_match(inm, etag))
        hub_httpx_reply(x, 304, type, h, NULL, 0);
    else
        hub_httpx_reply(x, 200, type, h, data, len);
}

static void on_ui_redirect(void *ud, hub_httpx *x)
{
    hub_admin *a = ud;
    char location[300];
    const char *h[] = {location, NULL};

    snprintf(location, sizeof(location), "location: %s", a->ac->ui_path);
    hub_httpx_reply(x, 301, "text/plain; charset=utf-8", h, "Moved Permanently", 17);
}

static void on_ui(void *ud, hub_httpx *x)
{
    static const char *const allow[] = {"allow: GET, HEAD", NULL};
    hub_admin *a = ud;
    const char *method = hub_httpx_method(x), *path = hub_httpx_path(x), *rel, *root;
    char file[HUB_WEB_PATH_MAX], real[PATH_MAX], real_root[PATH_MAX], etag[HUB_WEB_ETAG_MAX];
    const struct hub_web_file *f;
    int rc, icons;

    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        hub_httpx_reply(x, 405, "text/plain; charset=utf-8", allow, "Method Not Allowed", 18);
        return;
    }
    rel = path + strlen(a->ac->ui_path) - 1; /* "/..." */
    if (hub_web_path_check(rel) != 0) {
        reply_text(x, 400, "Bad Request");
        return;
    }
    if (strcmp(rel, "/hubbub-defaults.js") == 0) {
        hub_web_etag(a->defaults_js, a->defaults_len, etag);
        reply_file(x, hub_web_content_type(rel), etag, "cache-control: no-cache", a->defaults_js,
                   a->defaults_len);
        return;
    }
    icons = strncmp(rel, "/mdi/", 5) == 0;
    if (icons && strncmp(rel, "/mdi/css/", 9) != 0 && strncmp(rel, "/mdi/fonts/", 11) != 0) {
        reply_text(x, 404, "Not Found");
        return;
    }
    root = icons ? a->ac->icons_dir : a->ac->ui_dir;
    if (hub_web_file_path(root, icons ? rel + 4 : rel, file, sizeof(file)) < 0 ||
        !realpath(root, real_root) || !realpath(file, real) ||
        strncmp(real, real_root, strlen(real_root)) != 0 || real[strlen(real_root)] != '/') {
        reply_text(x, 404, "Not Found");
        return;
    }
    if ((rc = hub_web_cache_get(a->cache, real, &f)) != 0) {
        reply_text(x, rc == HUB_ENOMEM ? 500 : 404,
                   rc == HUB_ENOMEM ? "Internal Server Error" : "Not Found");
        return;
    }
    if (strcmp(rel, "/") == 0 || strcmp(rel, "/index.html") == 0) {
        size_t len;
        char *html = hub_admin_index_rewrite(f->data, f->len, &len);
        if (!html) {
            reply_text(x, 500, "Internal Server Error");
            return;
        }
        hub_web_etag(html, len, etag);
        reply_file(x, "text/html; charset=utf-8", etag, "cache-control: no-cache", html, len);
        hub_free(html);
        return;
    }
    /* js/, css/ and img/ names carry a content hash, the fonts a version query */
    reply_file(x, hub_web_content_type(real), f->etag, "cache-control: public, max-age=86400",
               f->data, f->len);
}

int hub_admin_add_routes(hub_admin *a, hub_routes *routes)
{
    char bare[256], file[HUB_WEB_PATH_MAX];
    size_t n;
    int rc;

    if (!a->ac->ui_path) return 0;
    n = strlen(a->ac->ui_path);
    if (n >= sizeof(bare)) return HUB_EINVAL;
    memcpy(bare, a->ac->ui_path, n - 1);
    bare[n - 1] = '\0';
    if ((rc = hub_routes_add(routes, a->ac->ui_path, HUB_ROUTE_PREFIX, 0, on_ui, a)) != 0)
        return rc;
    if (n > 1 && (rc = hub_routes_add(routes, bare, 0, 0, on_ui_redirect, a)) != 0) return rc;
    snprintf(file, sizeof(file), "%s/index.html", a->ac->ui_dir);
    if (access(file, R_OK) != 0)
        hub_log(HUB_LOG_WARN, "admin: %s not found; %s will answer 404 (run npm ci)", file,
                a->ac->ui_path);
    return 0;
}
