/* store_internal.h - what the Redis queue store and topic store share (not a public interface).
 *
 * One client per pair of stores: a command connection that runs the store's Lua script
 * (store_lua.c) by SHA, a subscriber connection that receives the queues' wake-ups, the liveness
 * PING, and the deferral of failures (a callback never runs inside the call that started it).
 *
 * A call is one EVALSHA: KEYS[1] = <prefix><kind><name>, ARGV = prefix, operation, name, then the
 * operation's arguments. NOSCRIPT (a Redis that restarted or flushed its scripts) is answered by
 * one retry with EVAL, which loads the script again. Until the first connection is made calls wait
 * for it (so a daemon started before its Redis creates its definitions once Redis is there); after
 * that a call made while Redis is unreachable fails with HUB_ECLOSED, as does one whose connection
 * drops before the answer (its outcome is then unknown: it may have been applied). */
#ifndef HUB_REDIS_STORE_INTERNAL_H
#define HUB_REDIS_STORE_INTERNAL_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "redis_store.h"

struct rs_client;

/* The arguments of a call, packed in one buffer. */
struct rs_args {
    char *buf;
    size_t len, cap;
    size_t *off; /* offsets into buf, then lengths: 2 * n entries */
    size_t n, ncap;
    int oom;
};

void rs_args_init(struct rs_args *a);
void rs_args_free(struct rs_args *a);
void rs_arg(struct rs_args *a, const char *s, size_t len);
void rs_arg_str(struct rs_args *a, const char *s); /* NULL is "" */
void rs_arg_u64(struct rs_args *a, uint64_t v);
void rs_arg_i64(struct rs_args *a, int64_t v);

/* The answer of a call: err 0 with the script's reply (borrowed for the call), or err HUB_ECLOSED
 * (Redis unreachable or the store closing; reply NULL) or HUB_EIO (Redis refused the call). */
typedef void (*rs_reply_fn)(void *ud, redisReply *reply, int err);

/* Runs the store script's operation op on name (key kind "q:", "t:", "s:", "task:"), with the
 * arguments of args (taken: args is left empty). Returns 0 (fn runs once, later, from the loop) or
 * HUB_ENOMEM (fn never runs). */
int rs_call(struct rs_client *c, const char *kind, const char *op, const char *name,
            struct rs_args *args, rs_reply_fn fn, void *ud);

/* Runs fn(ud, NULL, err) later, from the loop. Returns 0 or HUB_ENOMEM. */
int rs_fail_later(struct rs_client *c, int err, rs_reply_fn fn, void *ud);

/* The queue store's hooks: wake(name, count) when up to count messages of a queue may be
 * available now (a wake-up from any node), resume() when the connections are back (wake-ups may
 * have been missed). */
void rs_client_set_queue_hooks(struct rs_client *c,
                               void (*wake)(void *ud, const char *name, unsigned count),
                               void (*resume)(void *ud), void *ud);

/* 1 when both connections are up. */
int rs_client_up(const struct rs_client *c);
uv_loop_t *rs_client_loop(const struct rs_client *c);
const struct hub_redis_store_options *rs_client_options(const struct rs_client *c);

/* A store lets go of the client; the last one closes it (queued calls finish first). */
void rs_client_unref(struct rs_client *c);

/* Makes the client both stores share (refs 2). */
struct rs_client *rs_client_new(uv_loop_t *loop, const struct hub_redis_store_options *opts);

/* The queue and topic stores on a client (each takes one of its references). */
void *rs_queue_store_new(struct rs_client *c);
void *rs_topic_store_new(struct rs_client *c);
/* The client of a store (either kind). */
struct rs_client *rs_queue_store_client(void *qs);

/* ---- reading replies ---- */

/* Element i of an array reply, or NULL. */
const redisReply *rs_elem(const redisReply *r, size_t i);
/* An integer element (integers and numeric strings; def otherwise). */
long long rs_int(const redisReply *r, size_t i, long long def);
/* A string element (NULL when nil or missing), with its length in *len when len is not NULL. */
const char *rs_str(const redisReply *r, size_t i, size_t *len);
/* The status of a script reply: its first element (0 or a HUB_BUS_E* code), or HUB_EIO when the
 * reply is not an array starting with an integer. */
int rs_status(const redisReply *r);
/* In a flat array of field/value pairs (HGETALL), the value of field, or NULL. */
const char *rs_field(const redisReply *h, const char *field, size_t *len);

/* A fresh 64-bit random number (queue incarnations). */
uint64_t rs_random64(void);

#endif
