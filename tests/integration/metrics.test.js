// GET /metrics (hub/metrics.h, docs/OPERATIONS.md) checked against known traffic: stock
// socket.io-clients connect over both transports, join rooms, emit relayed events, answer (or not)
// the server's acknowledgement requests and use the event bus; the exposition is parsed and its
// counters compared, as deltas, with what was sent. Then /healthz and /readyz, and a hub on Redis:
// the cluster and Redis gauges, and readiness while Redis is down.
// Run: node --test tests/integration/metrics.test.js
"use strict";

const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const hubs = require("./lib/hub");
const { startRedis } = require("./lib/redis");
const { ClientPool, once, sleep } = require("./lib/clients");

const T = { timeout: 20000 };
const skip = hubs.IS_REFERENCE ? "HUB_TARGET=reference: the Node.js reference has no /metrics" : undefined;

// Parses the text exposition format: {samples: Map("name{a=\"b\",...}" -> number), types: Map}.
function parse(text) {
  const samples = new Map();
  const types = new Map();
  const helps = new Set();
  for (const line of text.split("\n")) {
    if (!line) continue;
    let m;
    if ((m = /^# HELP (\S+) (.+)$/.exec(line))) {
      assert.ok(!helps.has(m[1]), `HELP ${m[1]} twice`);
      helps.add(m[1]);
      continue;
    }
    if ((m = /^# TYPE (\S+) (counter|gauge|histogram)$/.exec(line))) {
      assert.ok(!types.has(m[1]), `TYPE ${m[1]} twice`);
      types.set(m[1], m[2]);
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${JSON.stringify(line)}`);
    const family = m[1].replace(/_(bucket|sum|count)$/, "");
    assert.ok(types.has(m[1]) || types.get(family) === "histogram", `${m[1]} has no TYPE before it`);
    const value = Number(m[3]);
    assert.ok(!Number.isNaN(value), line);
    assert.ok(!samples.has(m[1] + (m[2] || "")), `${line} twice`);
    samples.set(m[1] + (m[2] || ""), value);
  }
  return { samples, types };
}

async function scrape(hub) {
  const res = await fetch(`${hub.url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type"), /^text\/plain; version=0\.0\.4/);
  const m = parse(await res.text());
  m.get = (key) => {
    assert.ok(m.samples.has(key), `no sample ${key}`);
    return m.samples.get(key);
  };
  m.opt = (key) => m.samples.get(key) ?? 0;
  return m;
}

// Polls until check(metrics) is true (the server may still be answering the last packets).
async function scrapeUntil(hub, check, ms = 3000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = await scrape(hub);
    if (check(m) || Date.now() > deadline) return m;
    await sleep(50);
  }
}

describe("GET /metrics against known traffic", { skip }, () => {
  let hub;
  const pool = new ClientPool();

  before(async () => {
    hub = await hubs.start({
      config: {
        pingInterval: 60000,
        pingTimeout: 60000,
        namespaces: {
          "/": { app: "relay" },
          "/c": { app: "cluster" },
          "/bus": { bus: true },
        },
        queues: { jobs: { deadLetterQueue: { queue: "jobs-dead", maxReceiveCount: 2 } }, "jobs-dead": {} },
        topics: { news: { subscriptions: [{ queue: "jobs" }] } },
      },
    });
  });

  after(async () => {
    pool.closeAll();
    if (hub) {
      const r = await hub.stop();
      assert.equal(r.code, 0, hub.logTail());
    }
  });

  it("is a valid exposition with the families documented", async () => {
    const m = await scrape(hub);
    for (const [name, type] of [
      ["hubbub_info", "gauge"], ["hubbub_uptime_seconds", "gauge"], ["hubbub_event_loop_lag_seconds", "gauge"],
      ["hubbub_event_loop_lag_max_seconds", "gauge"], ["hubbub_engine_clients", "gauge"],
      ["hubbub_engine_connections_total", "counter"], ["hubbub_engine_disconnections_total", "counter"],
      ["hubbub_engine_packets_received_total", "counter"], ["hubbub_engine_packets_sent_total", "counter"],
      ["hubbub_engine_bytes_received_total", "counter"], ["hubbub_engine_bytes_sent_total", "counter"],
      ["hubbub_namespaces", "gauge"], ["hubbub_namespace_sockets", "gauge"], ["hubbub_namespace_rooms", "gauge"],
      ["hubbub_events_received_total", "counter"], ["hubbub_events_sent_total", "counter"],
      ["hubbub_acks_pending", "gauge"], ["hubbub_acks_received_total", "counter"],
      ["hubbub_acks_timed_out_total", "counter"], ["hubbub_broadcasts_total", "counter"],
      ["hubbub_broadcast_fanout", "histogram"], ["hubbub_queue_messages", "gauge"],
      ["hubbub_queue_dead_letter_messages", "gauge"], ["hubbub_queue_sent_total", "counter"],
      ["hubbub_topic_published_total", "counter"], ["hubbub_cluster_connected", "gauge"],
    ]) assert.equal(m.types.get(name), type, name);
    assert.equal(m.get('hubbub_cluster_connected{backend="none"}'), 1);
    assert.ok(m.get("hubbub_uptime_seconds") > 0);
    assert.ok(m.get("hubbub_event_loop_lag_seconds") >= 0);
    // the namespaces of the config, plus the dashboard's
    assert.equal(m.get("hubbub_namespaces"), 4);
    assert.equal(m.get('hubbub_namespace_sockets{namespace="/dashboard"}'), 0);
    assert.equal(m.get('hubbub_queue_messages{queue="jobs",state="visible"}'), 0);
    assert.equal(m.get('hubbub_queue_dead_letter_messages{queue="jobs",dlq="jobs-dead"}'), 0);
    const info = [...m.samples.keys()].find((k) => k.startsWith("hubbub_info{"));
    assert.match(info, /^hubbub_info\{version="\d+\.\d+\.\d+",node="[^"]+#\d+"\}$/);
  });

  it("counts connections, rooms, events, broadcasts and their fan-out", T, async () => {
    const m0 = await scrape(hub);
    // three WebSocket clients and one polling client, all in room "r"
    const clients = [];
    for (let i = 0; i < 4; i++) {
      const s = await pool.connect(hub.url, "/", { transports: i === 3 ? ["polling"] : ["websocket"] });
      assert.deepEqual(await s.emitWithAck("join", "r"), { ok: true });
      clients.push(s);
    }
    const got = [0, 0, 0, 0];
    clients.forEach((s, i) => s.on("chat", () => got[i]++));
    // five relayed events from the first: each reaches the three others
    for (let i = 0; i < 5; i++) assert.deepEqual(await clients[0].emitWithAck("chat", i), { ok: true });
    while (got[1] + got[2] + got[3] < 15) await sleep(10);
    const m1 = await scrapeUntil(hub, (m) => m.get("hubbub_events_sent_total") - m0.get("hubbub_events_sent_total") >= 15);
    const d = (key) => m1.get(key) - m0.get(key);

    assert.equal(m1.get('hubbub_namespace_sockets{namespace="/"}'), 4);
    assert.equal(m1.get('hubbub_engine_clients{transport="websocket"}'), 3);
    assert.equal(m1.get('hubbub_engine_clients{transport="polling"}'), 1);
    assert.equal(m1.get("hubbub_socketio_clients"), 4);
    assert.equal(d("hubbub_engine_connections_total"), 4);
    assert.equal(d("hubbub_socket_connects_total"), 4);
    assert.equal(m1.get('hubbub_namespace_rooms{namespace="/"}'), 1); // "r", besides their own
    assert.equal(d("hubbub_events_received_total"), 4 + 5); // four joins, five chats
    assert.equal(d("hubbub_events_sent_total"), 15);
    assert.equal(d("hubbub_broadcasts_total"), 5);
    assert.equal(d("hubbub_broadcast_fanout_sum"), 15);
    assert.equal(d("hubbub_broadcast_fanout_count"), 5);
    assert.equal(d('hubbub_broadcast_fanout_bucket{le="10"}') - d('hubbub_broadcast_fanout_bucket{le="1"}'), 5);
    assert.equal(d('hubbub_broadcast_fanout_bucket{le="+Inf"}'), 5);
    // each chat in: a packet of at least 13 bytes ("42[\"chat\",0]" is 12 plus the type digit)
    assert.ok(d("hubbub_engine_packets_received_total") >= 9);
    assert.ok(d("hubbub_engine_bytes_received_total") >= 9 * 12);
    assert.ok(d("hubbub_engine_packets_sent_total") >= 15 + 9); // relays and acks
    assert.ok(d("hubbub_engine_bytes_sent_total") >= 15 * 12);

    // a disconnect
    const before = m1;
    clients[3].disconnect();
    const m2 = await scrapeUntil(hub, (m) => m.get('hubbub_namespace_sockets{namespace="/"}') === 3);
    assert.equal(m2.get('hubbub_namespace_sockets{namespace="/"}'), 3);
    assert.equal(m2.get("hubbub_socket_disconnects_total") - before.get("hubbub_socket_disconnects_total"), 1);
    const closed = (m) => [...m.samples].filter(([k]) => k.startsWith("hubbub_engine_disconnections_total")).reduce((a, [, v]) => a + v, 0);
    assert.equal(closed(m2) - closed(before), 1);
  });

  it("counts the server's acknowledgement requests: answered, pending, timed out", T, async () => {
    const answering = await pool.connect(hub.url, "/c", { transports: ["websocket"] });
    const silent = await pool.connect(hub.url, "/c", { transports: ["websocket"] });
    answering.on("ping", (ack) => ack("pong"));
    silent.on("ping", () => {}); // never answers
    const m0 = await scrape(hub);
    const pending = answering.emitWithAck("cluster:emit-with-ack", { timeout: 800 }, "ping");
    const mid = await scrapeUntil(hub, (m) => m.get("hubbub_acks_pending") === 1);
    assert.equal(mid.get("hubbub_acks_pending"), 1); // the silent one
    const r = await pending;
    assert.equal(r.status, "timeout");
    const m1 = await scrape(hub);
    assert.equal(m1.get("hubbub_acks_pending"), 0);
    assert.equal(m1.get("hubbub_acks_received_total") - m0.get("hubbub_acks_received_total"), 1);
    assert.equal(m1.get("hubbub_acks_timed_out_total") - m0.get("hubbub_acks_timed_out_total"), 1);
  });

  it("counts queue and topic traffic and depths", T, async () => {
    const s = await pool.connect(hub.url, "/bus", { transports: ["websocket"] });
    const m0 = await scrape(hub);
    for (let i = 0; i < 4; i++) assert.equal((await s.emitWithAck("bus:send", "jobs", `job ${i}`)).ok, true);
    for (let i = 0; i < 2; i++) assert.equal((await s.emitWithAck("bus:publish", "news", `news ${i}`)).ok, true);
    const m1 = await scrapeUntil(hub, (m) => m.get('hubbub_queue_messages{queue="jobs",state="visible"}') === 6);
    const d = (key) => m1.get(key) - m0.get(key);
    assert.equal(m1.get('hubbub_queue_messages{queue="jobs",state="visible"}'), 6);
    assert.equal(m1.get('hubbub_queue_messages{queue="jobs",state="inflight"}'), 0);
    assert.equal(d('hubbub_queue_sent_total{queue="jobs"}'), 6);
    assert.equal(d('hubbub_topic_published_total{topic="news"}'), 2);
    assert.equal(d('hubbub_topic_deliveries_total{topic="news"}'), 2);
    assert.equal(m1.get('hubbub_topic_subscriptions{topic="news",state="confirmed"}'), 1);

    // a consumer takes three and acknowledges two: one in flight, three visible
    const worker = await pool.connect(hub.url, "/bus", { transports: ["websocket"] });
    let n = 0;
    worker.on("bus:message", (queue, msg, ack) => {
      n++;
      if (n <= 2) ack();
    });
    assert.equal((await worker.emitWithAck("bus:subscribe", "jobs", { maxInFlight: 1 })).ok, true);
    while (n < 3) await sleep(10);
    const m2 = await scrapeUntil(hub, (m) => m.get('hubbub_queue_messages{queue="jobs",state="inflight"}') === 1);
    assert.equal(m2.get('hubbub_queue_messages{queue="jobs",state="visible"}'), 3);
    assert.equal(m2.get('hubbub_queue_messages{queue="jobs",state="inflight"}'), 1);
    assert.equal(m2.get('hubbub_queue_received_total{queue="jobs"}') - m1.get('hubbub_queue_received_total{queue="jobs"}'), 3);
    assert.equal(m2.get('hubbub_queue_deleted_total{queue="jobs"}') - m1.get('hubbub_queue_deleted_total{queue="jobs"}'), 2);
    assert.equal(m2.get("hubbub_bus_up"), 1);
    worker.disconnect();
  });

  it("answers HEAD and refuses other methods", async () => {
    const head = await fetch(`${hub.url}/metrics`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.ok(Number(head.headers.get("content-length")) > 1000);
    const post = await fetch(`${hub.url}/metrics`, { method: "POST" });
    assert.equal(post.status, 405);
  });

  it("/healthz and /readyz without Redis", async () => {
    const h = await fetch(`${hub.url}/healthz`);
    assert.equal(h.status, 200);
    assert.deepEqual(await h.json(), { status: "ok" });
    const r = await fetch(`${hub.url}/readyz`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { status: "ready", checks: { server: "ok" } });
  });
});

describe("metrics and readiness of a hub on Redis", { skip }, () => {
  let redis;
  let hub;
  const pool = new ClientPool();

  before(async () => {
    redis = await startRedis();
    hub = await hubs.start({ config: { redis: redis.url, redisRequestsTimeout: 1000 } });
  });

  after(async () => {
    pool.closeAll();
    if (hub) await hub.stop();
    if (redis) await redis.cleanup();
  });

  it("reports the cluster and Redis, and /readyz follows Redis", T, async () => {
    const m = await scrapeUntil(hub, (x) => x.opt("hubbub_redis_up") === 1);
    assert.equal(m.get('hubbub_cluster_connected{backend="redis"}'), 1);
    assert.equal(m.get("hubbub_redis_up"), 1);
    assert.ok(m.samples.has("hubbub_redis_reconnects_total"));
    // a broadcast goes through Redis
    const s = await pool.connect(hub.url, "/", { transports: ["websocket"] });
    await s.emitWithAck("join", "x");
    await s.emitWithAck("hello", 1);
    const m1 = await scrapeUntil(hub, (x) => x.get("hubbub_cluster_messages_published_total") > m.get("hubbub_cluster_messages_published_total"));
    assert.ok(m1.get("hubbub_cluster_messages_published_total") > m.get("hubbub_cluster_messages_published_total"));
    let r = await fetch(`${hub.url}/readyz`);
    assert.equal(r.status, 200);
    const checks = (await r.json()).checks;
    assert.equal(checks.server, "ok");
    assert.equal(checks.redis, "ok"); // (the bus's Redis store may add a check of its own)

    await redis.stop();
    const deadline = Date.now() + 8000;
    while ((r = await fetch(`${hub.url}/readyz`)).status !== 503 && Date.now() < deadline) await sleep(100);
    assert.equal(r.status, 503);
    const body = await r.json();
    assert.equal(body.status, "not ready");
    assert.match(body.checks.redis, /unreachable/);
    const down = await scrape(hub);
    assert.equal(down.get("hubbub_redis_up"), 0);
    assert.equal(down.get('hubbub_cluster_connected{backend="redis"}'), 0);
    // /healthz stays up: the process is alive
    assert.equal((await fetch(`${hub.url}/healthz`)).status, 200);

    await redis.start();
    const up = await scrapeUntil(hub, (x) => x.opt("hubbub_redis_up") === 1, 10000);
    assert.equal(up.get("hubbub_redis_up"), 1);
    assert.ok(up.get("hubbub_redis_reconnects_total") >= 1);
    assert.equal((await fetch(`${hub.url}/readyz`)).status, 200);
  });
});
