/* redis_uv.c - see redis_uv.h. */
#include "redis_uv.h"

#include <stdint.h>
#include <stdio.h>

#include "hub_alloc.h"
#include "log.h"

struct uvr {
    redisAsyncContext *ac; /* NULL once hiredis freed it */
    uv_poll_t poll;
    int events;
};

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct uvr *p = h->data;

    if (status < 0) {
        /* libuv stopped the poll: let hiredis see the socket's error (a pending connect is
         * checked on write, an established connection fails its read) and give up cleanly */
        if (p->ac && (p->events & UV_WRITABLE))
            redisAsyncHandleWrite(p->ac);
        else if (p->ac)
            redisAsyncHandleRead(p->ac);
        return;
    }
    if (p->ac && (events & UV_READABLE)) redisAsyncHandleRead(p->ac);
    if (p->ac && (events & UV_WRITABLE)) redisAsyncHandleWrite(p->ac);
}

static void update(struct uvr *p)
{
    if (p->events)
        uv_poll_start(&p->poll, p->events, on_poll);
    else
        uv_poll_stop(&p->poll);
}

static void add_read(void *privdata)
{
    struct uvr *p = privdata;

    p->events |= UV_READABLE;
    update(p);
}

static void del_read(void *privdata)
{
    struct uvr *p = privdata;

    p->events &= ~UV_READABLE;
    update(p);
}

static void add_write(void *privdata)
{
    struct uvr *p = privdata;

    p->events |= UV_WRITABLE;
    update(p);
}

static void del_write(void *privdata)
{
    struct uvr *p = privdata;

    p->events &= ~UV_WRITABLE;
    update(p);
}

static void on_closed(uv_handle_t *h)
{
    hub_free(h->data);
}

static void cleanup(void *privdata)
{
    struct uvr *p = privdata;

    p->ac = NULL; /* hiredis is freeing it */
    uv_close((uv_handle_t *)&p->poll, on_closed);
}

int hub_redis_uv_attach(redisAsyncContext *ac, uv_loop_t *loop)
{
    struct uvr *p;

    if (ac->ev.data) return REDIS_ERR;
    p = hub_calloc(1, sizeof(*p));
    if (!p) return REDIS_ERR;
    if (uv_poll_init(loop, &p->poll, ac->c.fd) != 0) {
        hub_free(p);
        return REDIS_ERR;
    }
    p->ac = ac;
    p->poll.data = p;
    ac->ev.addRead = add_read;
    ac->ev.delRead = del_read;
    ac->ev.addWrite = add_write;
    ac->ev.delWrite = del_write;
    ac->ev.cleanup = cleanup;
    ac->ev.data = p;
    return REDIS_OK;
}

/* AUTH and SELECT answers (privdata: the connection's name): an error means it is unusable. */
static void on_setup_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    redisReply *rep = reply;

    if (!rep || rep->type != REDIS_REPLY_ERROR) return;
    hub_log(HUB_LOG_ERROR, "redis: %s: set-up refused by %s:%d: %s", (const char *)privdata,
            ac->c.tcp.host ? ac->c.tcp.host : "?", ac->c.tcp.port, rep->str);
    redisAsyncDisconnect(ac);
}

redisAsyncContext *hub_redis_dial(uv_loop_t *loop, const struct hub_redis_url *url, const char *what,
                                  void *data, redisConnectCallback *on_connect,
                                  redisDisconnectCallback *on_disconnect, char *why, size_t len)
{
    redisAsyncContext *ac = redisAsyncConnect(url->host, url->port);

    if (!ac) {
        snprintf(why, len, "out of memory");
        return NULL;
    }
    if (ac->err) {
        snprintf(why, len, "%s", ac->errstr);
        redisAsyncFree(ac);
        return NULL;
    }
    if (hub_redis_uv_attach(ac, loop) != REDIS_OK) {
        snprintf(why, len, "cannot poll the socket");
        redisAsyncFree(ac);
        return NULL;
    }
    ac->data = data;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    redisEnableKeepAlive(&ac->c);
    void *name = (void *)(uintptr_t)what; /* hiredis's privdata is not const */
    if (url->password[0] && url->user[0])
        redisAsyncCommand(ac, on_setup_reply, name, "AUTH %s %s", url->user, url->password);
    else if (url->password[0])
        redisAsyncCommand(ac, on_setup_reply, name, "AUTH %s", url->password);
    if (url->db) redisAsyncCommand(ac, on_setup_reply, name, "SELECT %d", url->db);
    return ac;
}
