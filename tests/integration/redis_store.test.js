// The bus on the Redis store (adapters/redis/redis_store.h, docs/REDIS-STORE.md): two or three hubbub
// nodes on one real redis-server (AOF, appendfsync always), driven by stock socket.io-clients through
// the bus:* events (docs/BUS.md "Sockets and bridges"). A send on one node wakes a subscriber on
// another; many consumers on several nodes get every message once; visibility timeouts and delays
// agree across nodes, also with a node whose clock is an hour off; a Redis killed and restarted in the
// middle of a queue workload loses no acknowledged send and duplicates no FIFO message (a checker
// counts every send, delivery and acknowledgement); with Redis down bus calls fail with
// ServiceUnavailable, never a false ok, local clients are still served, /readyz says why, and
// everything resumes; a node started before its Redis waits for it; a node killed (SIGKILL) with
// messages in flight loses none: they come back after the visibility timeout on the other node.
// Run: node --test tests/integration/redis_store.test.js
"use strict";

const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { spawn, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const http = require("node:http");
const os = require("node:os");
const path = require("node:path");
const hubs = require("./lib/hub");
const { startRedis, freePort } = require("./lib/redis");
const { ClientPool } = require("./lib/clients");
const { withTimeout, sleep } = require("./lib/raw");

const AOF = ["--appendonly", "yes", "--appendfsync", "always"];
const KEY = "it";

const QUEUES = {
  wake: {},
  many: {},
  vis: { visibilityTimeout: 1 },
  delayed: {},
  skew: { visibilityTimeout: 1 },
  "work.fifo": { fifo: true, visibilityTimeout: 2 },
  "work-std": { visibilityTimeout: 2 },
  down: {},
  killed: { visibilityTimeout: 2 },
};

function config(redisUrl, queues = QUEUES) {
  return {
    pingInterval: 5000,
    pingTimeout: 5000,
    redis: redisUrl,
    redisKey: KEY,
    namespaces: { "/bus": { bus: true }, "/echo": { app: "echo" } },
    queues,
  };
}

function redisCli(redis, ...args) {
  const r = spawnSync("redis-cli", ["-p", String(redis.port), ...args], { encoding: "utf8" });
  return r.stdout.trim();
}

// Depth of a queue straight from Redis: pending (visible or delayed) and in flight.
function depth(redis, queue) {
  const q = `${KEY}:bus:q:${queue}`;
  return Number(redisCli(redis, "ZCARD", `${q}:v`)) + Number(redisCli(redis, "ZCARD", `${q}:f`));
}

function getJson(url) {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d) => { body += d; });
      res.on("end", () => resolve({ status: res.statusCode, body: JSON.parse(body) }));
    }).on("error", reject);
  });
}

async function until(what, fn, ms = 10000, every = 50) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timeout after ${ms} ms: ${what}`);
    await sleep(every);
  }
}

// The bus:message events of a socket; onMessage(item) decides about the acknowledgement.
class Inbox {
  constructor(socket, onMessage = (m) => m.ack()) {
    this.items = [];
    this.waiters = [];
    socket.on("bus:message", (queue, msg, ack) => {
      const item = { queue, msg, ack, at: Date.now() };
      this.items.push(item);
      onMessage(item);
      this.waiters = this.waiters.filter((w) => (this.items.length >= w.n ? (w.resolve(this.items.slice()), false) : true));
    });
  }

  wait(n, ms = 5000) {
    if (this.items.length >= n) return Promise.resolve(this.items.slice());
    const p = new Promise((resolve) => this.waiters.push({ n, resolve }));
    return withTimeout(p, ms, `${n} bus:message(s) (got ${this.items.length})`);
  }
}

// A shared library that moves CLOCK_REALTIME (and gettimeofday, time) by HUB_TEST_CLOCK_SKEW_S
// seconds: a node with a skewed wall clock. NULL when there is no C compiler.
function buildSkewShim(dir) {
  const src = path.join(dir, "skew.c");
  const lib = path.join(dir, "libskew.so");
  fs.writeFileSync(src, `
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
static long skew(void) { const char *s = getenv("HUB_TEST_CLOCK_SKEW_S"); return s ? atol(s) : 0; }
int clock_gettime(clockid_t id, struct timespec *ts) {
  static int (*real)(clockid_t, struct timespec *);
  if (!real) real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
  int rc = real(id, ts);
  if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE)) ts->tv_sec += skew();
  return rc;
}
int gettimeofday(struct timeval *tv, void *tz) {
  struct timespec ts;
  (void)tz;
  clock_gettime(CLOCK_REALTIME, &ts);
  tv->tv_sec = ts.tv_sec;
  tv->tv_usec = ts.tv_nsec / 1000;
  return 0;
}
time_t time(time_t *t) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  if (t) *t = ts.tv_sec;
  return ts.tv_sec;
}
`);
  const r = spawnSync("cc", ["-shared", "-fPIC", "-O1", "-o", lib, src, "-ldl"], { encoding: "utf8" });
  return r.status === 0 ? lib : null;
}

// Starts a hub whose environment has extra variables (start() copies process.env when it spawns,
// synchronously, before its first await).
function startWithEnv(opts, env) {
  const saved = {};
  for (const k of Object.keys(env)) {
    saved[k] = process.env[k];
    process.env[k] = env[k];
  }
  try {
    return hubs.start(opts);
  } finally {
    for (const k of Object.keys(env)) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

describe("the bus on the Redis store", { skip: hubs.IS_REFERENCE && "hubbub only" }, () => {
  let redis;
  let a;
  let b;
  let c;
  const extra = [];
  const pool = new ClientPool();
  const call = async (s, ev, ...args) => s.timeout(5000).emitWithAck(ev, ...args);
  const ok = async (s, ev, ...args) => {
    const r = await call(s, ev, ...args);
    assert.equal(r.ok, true, `${ev} ${JSON.stringify(args)}: ${JSON.stringify(r)}`);
    return r;
  };
  const bus = (hub) => pool.connect(hub.url, "/bus");

  before(async () => {
    redis = await startRedis({ args: AOF });
    [a, b, c] = await Promise.all([0, 1, 2].map(() => hubs.start({ config: config(redis.url) })));
  });

  after(async () => {
    pool.closeAll();
    for (const h of [a, b, c, ...extra]) {
      if (!h || h.exited) continue;
      const r = await h.stop();
      assert.equal(r.code, 0, `hub exit ${JSON.stringify(r)}\n${h.logTail()}`);
    }
    if (redis) await redis.cleanup();
  });

  it("wakes a subscriber on node B when node A sends", async () => {
    const sa = await bus(a);
    const sb = await bus(b);
    const inbox = new Inbox(sb);
    await ok(sb, "bus:subscribe", "wake", {});
    await sleep(200); /* B's long poll is waiting in Redis-land now */
    const t0 = Date.now();
    const sent = await ok(sa, "bus:send", "wake", "hello from A");
    const [m] = await inbox.wait(1, 3000);
    assert.equal(m.msg.body, "hello from A");
    assert.equal(m.msg.id, sent.messageId);
    assert.ok(m.at - t0 < 1000, `woken after ${m.at - t0} ms`);
    await ok(sb, "bus:unsubscribe", "wake");
  });

  it("hands each message to one consumer among many on three nodes", async () => {
    const N = 300;
    const seen = new Map();
    const perNode = [0, 0, 0];
    const consumers = [];
    for (const [i, hub] of [a, b, c].entries()) {
      for (let k = 0; k < 2; k++) {
        const s = await bus(hub);
        new Inbox(s, (m) => {
          seen.set(m.msg.body, (seen.get(m.msg.body) || 0) + 1);
          perNode[i]++;
          m.ack();
        });
        await ok(s, "bus:subscribe", "many", { maxInFlight: 5 });
        consumers.push(s);
      }
    }
    const senders = await Promise.all([a, b, c].map((h) => bus(h)));
    for (let i = 0; i < N; i += 30) {
      const batch = [];
      for (let j = i; j < i + 30 && j < N; j++) batch.push(ok(senders[j % 3], "bus:send", "many", `m${j}`));
      await Promise.all(batch);
    }
    await until(`${N} distinct deliveries (got ${seen.size})`, () => seen.size === N, 15000);
    await sleep(300);
    const twice = [...seen].filter(([, n]) => n !== 1);
    assert.deepEqual(twice, [], "delivered more than once");
    assert.equal([...seen.values()].reduce((x, y) => x + y, 0), N);
    assert.ok(perNode.every((n) => n > 0), `every node consumed: ${perNode}`);
    for (const s of consumers) await ok(s, "bus:unsubscribe", "many");
    assert.equal(depth(redis, "many"), 0);
  });

  it("agrees on visibility timeouts and delays across nodes", async () => {
    const sa = await bus(a);
    const sb = await bus(b);
    // Received on A and not acknowledged: invisible everywhere for 1 s, then B gets it.
    const ia = new Inbox(sa, () => {});
    await ok(sa, "bus:subscribe", "vis", {});
    await ok(sb, "bus:send", "vis", "not acked on A");
    const [first] = await ia.wait(1, 3000);
    await ok(sa, "bus:unsubscribe", "vis");
    const ib = new Inbox(sb);
    await ok(sb, "bus:subscribe", "vis", {});
    const [again] = await ib.wait(1, 4000);
    const waited = again.at - first.at;
    assert.equal(again.msg.id, first.msg.id);
    assert.equal(again.msg.receiveCount, 2);
    assert.ok(waited >= 850 && waited < 3000, `visible again after ${waited} ms`);
    await ok(sb, "bus:unsubscribe", "vis");

    // A delay set on A ends for a subscriber on B.
    const id = new Inbox(sb);
    await ok(sb, "bus:subscribe", "delayed", {});
    const t0 = Date.now();
    await ok(sa, "bus:send", "delayed", "in a second", { delay: 1 });
    const [late] = await id.wait(1, 4000);
    assert.ok(late.at - t0 >= 900 && late.at - t0 < 3000, `delivered after ${late.at - t0} ms`);
    await ok(sb, "bus:unsubscribe", "delayed");
  });

  it("agrees with a node whose clock is an hour ahead (time comes from Redis)", async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hubbub-skew-"));
    const lib = buildSkewShim(dir);
    if (!lib) return t.skip("no C compiler for the clock shim");
    const asan = `${process.env.ASAN_OPTIONS ? `${process.env.ASAN_OPTIONS}:` : ""}verify_asan_link_order=0`;
    const skewed = await startWithEnv({ config: config(redis.url) },
      { LD_PRELOAD: lib, HUB_TEST_CLOCK_SKEW_S: "3600", ASAN_OPTIONS: asan });
    extra.push(skewed);
    fs.rmSync(dir, { recursive: true, force: true });
    // its log lines carry the skewed clock: the shim works
    const stamp = /^(\d{4}-\d\d-\d\dT[\d:.]+Z)/m.exec(skewed.stderr);
    assert.ok(stamp && Date.parse(stamp[1]) - Date.now() > 3000 * 1000, `skewed log time ${stamp && stamp[1]}`);

    const sa = await bus(a);
    const ss = await bus(skewed);
    // A delay sent from the skewed node ends after the delay on A, not an hour early or late.
    const ia = new Inbox(sa);
    await ok(sa, "bus:subscribe", "skew", {});
    const t0 = Date.now();
    await ok(ss, "bus:send", "skew", "delayed by the skewed node", { delay: 1 });
    const [m] = await ia.wait(1, 4000);
    assert.ok(m.at - t0 >= 900 && m.at - t0 < 3000, `delivered after ${m.at - t0} ms`);
    assert.ok(Math.abs(m.msg.sentTimestamp - t0) < 2000, `sentTimestamp from Redis: ${m.msg.sentTimestamp - t0} ms off`);
    await ok(sa, "bus:unsubscribe", "skew");
    // A visibility timeout taken on the skewed node ends for A after 1 s.
    const is = new Inbox(ss, () => {});
    await ok(ss, "bus:subscribe", "skew", {});
    await ok(sa, "bus:send", "skew", "held by the skewed node");
    const [held] = await is.wait(1, 3000);
    await ok(ss, "bus:unsubscribe", "skew");
    const ib = new Inbox(sa);
    await ok(sa, "bus:subscribe", "skew", {});
    const [back] = await ib.wait(1, 4000);
    assert.equal(back.msg.id, held.msg.id);
    assert.ok(back.at - held.at >= 850 && back.at - held.at < 3000, `visible again after ${back.at - held.at} ms`);
    await ok(sa, "bus:unsubscribe", "skew");
    await skewed.stop();
  });

  it("loses no acknowledged send when Redis is killed and restarted mid-workload (AOF always)", async () => {
    const PER_PRODUCER = 150;
    const GROUPS = 4;
    const sent = { fifo: new Map(), std: new Map() }; // body -> messageId of the acknowledged send
    const errors = [];
    const deliveries = { fifo: [], std: [] };
    const subs = [];
    for (const hub of [a, b]) {
      for (const [kind, queue] of [["fifo", "work.fifo"], ["std", "work-std"]]) {
        const s = await bus(hub);
        new Inbox(s, (m) => {
          deliveries[kind].push({ body: m.msg.body, id: m.msg.id, seq: m.msg.sequenceNumber, group: m.msg.groupId, count: m.msg.receiveCount });
          m.ack();
        });
        await ok(s, "bus:subscribe", queue, { maxInFlight: 10 });
        subs.push([s, queue]);
      }
    }
    // Each producer sends its messages one after the other, retrying a failed send (the same
    // de-duplication id for FIFO) until it is acknowledged.
    const producer = async (hub, name) => {
      const s = await bus(hub);
      for (let i = 0; i < PER_PRODUCER; i++) {
        const kind = i % 2 ? "std" : "fifo";
        const body = `${name}-${i}`;
        for (;;) {
          const r = kind === "fifo"
            ? await call(s, "bus:send", "work.fifo", body, { groupId: `g${i % GROUPS}`, deduplicationId: body })
            : await call(s, "bus:send", "work-std", body);
          if (r.ok) {
            sent[kind].set(body, r.messageId);
            break;
          }
          errors.push(r.error.code);
          await sleep(50);
        }
      }
    };
    const work = Promise.all([producer(a, "pa"), producer(b, "pb")]);
    await until("a third of the sends", () => sent.fifo.size + sent.std.size >= (2 * PER_PRODUCER) / 3, 20000, 5);
    await redis.kill();
    const killedAt = sent.fifo.size + sent.std.size;
    await sleep(500);
    await redis.restart();
    await withTimeout(work, 60000, "the producers");

    const total = sent.fifo.size + sent.std.size;
    assert.equal(total, 2 * PER_PRODUCER);
    assert.ok(killedAt < total, "Redis went away in the middle of the workload");
    assert.ok(errors.length > 0, "some sends failed while Redis was away");
    assert.deepEqual([...new Set(errors)], ["ServiceUnavailable"]);

    const distinct = (kind) => new Set(deliveries[kind].map((d) => d.body));
    await until("every acknowledged send delivered", () =>
      [...sent.fifo.keys()].every((k) => distinct("fifo").has(k)) && [...sent.std.keys()].every((k) => distinct("std").has(k)), 30000, 100);
    // the in-flight messages whose acknowledgement was lost come back and are acknowledged again
    await until("both queues drained", () => depth(redis, "work.fifo") === 0 && depth(redis, "work-std") === 0, 20000, 200);

    // FIFO: one message per de-duplication id (a retried send is not enqueued twice), redeliveries
    // only of the same message, and each group in sequence order.
    const idsByBody = new Map();
    for (const d of deliveries.fifo) {
      if (!idsByBody.has(d.body)) idsByBody.set(d.body, new Set());
      idsByBody.get(d.body).add(d.id);
    }
    const dup = [...idsByBody].filter(([, ids]) => ids.size !== 1);
    assert.deepEqual(dup, [], "a FIFO message was enqueued twice");
    for (const [body, id] of sent.fifo) assert.ok(idsByBody.get(body).has(id), `${body}: acknowledged id ${id} not delivered`);
    for (let g = 0; g < GROUPS; g++) {
      const seqs = [];
      const firsts = new Set();
      for (const d of deliveries.fifo) {
        if (d.group !== `g${g}` || firsts.has(d.id)) continue;
        firsts.add(d.id);
        seqs.push(BigInt(d.seq));
      }
      for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i] > seqs[i - 1], `group g${g} out of order at ${i}`);
    }
    const redelivered = (kind) => deliveries[kind].filter((d) => d.count > 1).length;
    const stdExtra = deliveries.std.length - distinct("std").size;
    console.log(`checker: sent fifo ${sent.fifo.size} std ${sent.std.size}, failed sends ${errors.length}, ` +
      `deliveries fifo ${deliveries.fifo.length} (redelivered ${redelivered("fifo")}) ` +
      `std ${deliveries.std.length} (redelivered ${redelivered("std")}, extra ${stdExtra}), lost 0`);
    for (const [s, q] of subs) await ok(s, "bus:unsubscribe", q);
  });

  it("fails bus calls with ServiceUnavailable while Redis is down, serves local clients, resumes", async () => {
    const sa = await bus(a);
    const sb = await bus(b);
    const echo = await pool.connect(a.url, "/echo");
    const inbox = new Inbox(sb);
    await ok(sb, "bus:subscribe", "down", {});
    await redis.stop();
    const failed = await until("a failed send", async () => {
      const r = await call(sa, "bus:send", "down", "while down");
      assert.notEqual(r.ok, true, "a send acknowledged while Redis is down");
      return r;
    }, 5000);
    assert.equal(failed.error.code, "ServiceUnavailable");
    assert.equal(typeof failed.error.message, "string");
    const created = await call(sa, "bus:createQueue", "made-while-down", {});
    assert.equal(created.ok, false);
    assert.equal(created.error.code, "ServiceUnavailable");
    // the node still serves its own clients and says what is wrong
    const echoed = await echo.timeout(3000).emitWithAck("message-with-ack", "still here");
    assert.equal(echoed, "still here");
    const ready = await getJson(`${a.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.match(ready.body.checks.busStore, /redis unreachable/);
    assert.ok(/bus store: .*unreachable/.test(a.stderr), a.logTail());
    assert.equal(inbox.items.length, 0);

    await redis.start();
    await until("a send accepted again", async () => (await call(sa, "bus:send", "down", "after")).ok, 15000, 200);
    // the subscription made before the outage resumes by itself
    const [m] = await inbox.wait(1, 10000);
    assert.equal(m.msg.body, "after");
    await until("/readyz ready", async () => (await getJson(`${a.url}/readyz`)).status === 200, 5000);
    await ok(sb, "bus:unsubscribe", "down");
    echo.disconnect();
  });

  it("waits for a Redis that is not there at start, saying so, then serves", async () => {
    const port = await freePort();
    const late = `redis://127.0.0.1:${port}`;
    const bin = process.env.HUBBUB_BIN || path.join(hubs.SOURCE_DIR, "build", "hubbub");
    const file = hubs.writeConfig(config(late, { startup: {} }));
    const proc = spawn(bin, ["--port", "0", "--host", "127.0.0.1", "--config", file], { stdio: ["ignore", "pipe", "pipe"] });
    const hub = new hubs.Hub(proc, "server");
    extra.push(hub);
    proc.stderr.setEncoding("utf8");
    proc.stderr.on("data", (d) => { hub.stderr += d; });
    proc.stdout.setEncoding("utf8");
    proc.stdout.on("data", (d) => {
      hub.stdout += d;
      const m = /listening on (\S+):(\d+)/.exec(hub.stdout);
      if (m && !hub.port) hub.port = Number(m[2]);
    });
    await sleep(1500);
    assert.equal(hub.exited, false, `exited early\n${hub.logTail()}`);
    assert.match(hub.stderr, /bus store commands: cannot connect to 127\.0\.0\.1:\d+: Connection refused; retrying/);
    assert.equal(hub.port, undefined, "listening before its queues exist");
    const r2 = await startRedis({ port });
    try {
      await until("listening", () => hub.port, 15000);
      const s = await pool.connect(hub.url, "/bus");
      await ok(s, "bus:send", "startup", "hello");
      s.disconnect();
      const r = await hub.stop();
      assert.equal(r.code, 0, hub.logTail());
    } finally {
      await r2.cleanup();
    }
  });

  it("brings back a killed node's in-flight messages after the visibility timeout", async () => {
    const victim = await hubs.start({ config: config(redis.url) });
    extra.push(victim);
    const sv = await bus(victim);
    const sb = await bus(b);
    const held = new Inbox(sv, () => {}); /* received, never acknowledged */
    await ok(sv, "bus:subscribe", "killed", { maxInFlight: 20 });
    const ids = [];
    for (let i = 0; i < 10; i++) ids.push((await ok(sb, "bus:send", "killed", `k${i}`)).messageId);
    await held.wait(10, 5000);
    const receivedAt = Date.now();
    await victim.kill();
    const survivor = new Inbox(sb);
    await ok(sb, "bus:subscribe", "killed", { maxInFlight: 20 });
    const got = await survivor.wait(10, 8000);
    const first = Math.min(...got.map((m) => m.at));
    assert.ok(first - receivedAt >= 1500, `back after ${first - receivedAt} ms, before the 2 s visibility timeout`);
    assert.deepEqual(got.map((m) => m.msg.id).sort(), ids.slice().sort());
    assert.ok(got.every((m) => m.msg.receiveCount === 2));
    await until("drained", () => depth(redis, "killed") === 0, 5000);
    await ok(sb, "bus:unsubscribe", "killed");
  });
});
