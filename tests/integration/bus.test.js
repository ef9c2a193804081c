// The event bus over Socket.IO (hub/bus_socket.h, docs/BUS.md "Sockets and bridges"), driven by
// stock socket.io-clients: bridges, bus:publish / send / subscribe / unsubscribe, maxInFlight, fair
// sharing, acknowledgements, visibility timeouts, disconnects, FIFO order and de-duplication,
// delays, dead-letter queues, room and HTTP(S) deliveries, run-time definitions, config errors.
// Run: node --test tests/integration/bus.test.js
"use strict";

const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { spawn, spawnSync } = require("node:child_process");
const crypto = require("node:crypto");
const http = require("node:http");
const path = require("node:path");
const readline = require("node:readline");
const hubs = require("./lib/hub");
const { ClientPool, once, Collector } = require("./lib/clients");
const { withTimeout } = require("./lib/raw");
const sns = require("./lib/sns");

const T = { timeout: 15000 };
const SECRET = "s3cret";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const CONFIG = {
  pingInterval: 5000,
  pingTimeout: 5000,
  namespaces: {
    "/bus": { bus: true },
    "/chat": { app: "relay", bus: true },
    "/bridged": {},
  },
  bus: { signingSecret: SECRET, account: "123456789012", region: "eu-west-1" },
  queues: {
    "bridged-orders": {},
    "bridged-fifo.fifo": { fifo: true },
    "news-all": {},
    "news-urgent": {},
  },
  topics: {
    orders: { subscriptions: [{ queue: "bridged-orders" }] },
    "orders.fifo": { fifo: true, subscriptions: [{ queue: "bridged-fifo.fifo" }] },
    news: {
      subscriptions: [
        { queue: "news-all" },
        { queue: "news-urgent", filterPolicy: { kind: ["urgent"] } },
        { room: "/bus#readers", event: "headline" },
        { room: "/bus#user:{userId}" },
      ],
    },
  },
  bridges: [
    { namespace: "/bridged", event: "order", topic: "orders", attributes: ["kind", "n", "missing"] },
    { namespace: "/bridged", event: "fifo-order", topic: "orders.fifo", groupId: "{customer}", deduplicationId: "{orderId}" },
  ],
};

// Collects bus:message events of a socket; onMessage(item) decides about the acknowledgement
// (default: acknowledge at once).
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

  wait(n, ms = 4000) {
    if (this.items.length >= n) return Promise.resolve(this.items.slice());
    const p = new Promise((resolve) => this.waiters.push({ n, resolve }));
    return withTimeout(p, ms, `${n} bus:message(s) (got ${this.items.length})`);
  }

  // Resolves true when no further message arrives within ms (proving an absence needs a wait).
  async quiet(ms) {
    const n = this.items.length;
    try {
      await this.wait(n + 1, ms);
      return false;
    } catch {
      return true;
    }
  }
}

function hubBin() {
  return process.env.HUBBUB_BIN || path.join(hubs.SOURCE_DIR, "build", "hubbub");
}

describe("event bus over sockets", { skip: hubs.IS_REFERENCE && "hubbub only" }, () => {
  let hub;
  const pool = new ClientPool();
  const call = async (s, ev, ...args) => s.timeout(5000).emitWithAck(ev, ...args);
  const ok = async (s, ev, ...args) => {
    const r = await call(s, ev, ...args);
    assert.equal(r.ok, true, `${ev} ${JSON.stringify(args)}: ${JSON.stringify(r)}`);
    return r;
  };
  const fails = async (code, s, ev, ...args) => {
    const r = await call(s, ev, ...args);
    assert.equal(r.ok, false, `${ev} should fail: ${JSON.stringify(r)}`);
    assert.equal(r.error.code, code, JSON.stringify(r));
    assert.equal(typeof r.error.message, "string");
    return r.error;
  };
  const bus = () => pool.connect(hub.url, "/bus");

  before(async () => {
    hub = await hubs.start({ config: CONFIG });
  });

  after(async () => {
    pool.closeAll();
    if (hub) {
      const r = await hub.stop();
      assert.equal(r.code, 0, `hub exit ${JSON.stringify(r)}\n${hub.logTail()}`);
    }
  });

  it("bus:send then bus:subscribe: body, attributes, counts; the ack deletes", T, async () => {
    const s = await bus();
    await ok(s, "bus:createQueue", "basic", { visibilityTimeout: 0.3 });
    const sent = await ok(s, "bus:send", "basic", "hello", { attributes: { color: "red", n: 3, tags: ["a", "b"], yes: true } });
    assert.match(sent.messageId, UUID);
    await ok(s, "bus:send", "basic", { a: 1 });
    const inbox = new Inbox(s);
    const sub = await ok(s, "bus:subscribe", "basic");
    assert.deepEqual(sub, { ok: true, queue: "basic", maxInFlight: 10, visibilityTimeout: 0.3 });
    const [first, second] = await inbox.wait(2);
    assert.equal(first.queue, "basic");
    assert.equal(first.msg.id, sent.messageId);
    assert.equal(first.msg.body, "hello");
    assert.deepEqual(first.msg.attributes, { color: "red", n: 3, tags: ["a", "b"], yes: "true" });
    assert.equal(first.msg.receiveCount, 1);
    assert.equal(first.msg.groupId, null);
    assert.equal(typeof first.msg.sentTimestamp, "number");
    assert.equal(second.msg.body, '{"a":1}');
    assert.deepEqual(second.msg.attributes, {});
    // Acknowledged: not seen again after the visibility timeout.
    assert.equal(await inbox.quiet(700), true);
  });

  it("bus:subscribe and bus:send errors", T, async () => {
    const s = await bus();
    await fails("QueueDoesNotExist", s, "bus:subscribe", "no-such-queue");
    await fails("QueueDoesNotExist", s, "bus:send", "no-such-queue", "x");
    await fails("MissingParameter", s, "bus:send", "basic");
    await fails("MissingParameter", s, "bus:subscribe");
    await fails("InvalidParameterValue", s, "bus:subscribe", "basic", { maxInFlight: 0 });
    await fails("InvalidParameterValue", s, "bus:send", "basic", "x", { delay: 1000 });
    await fails("InvalidParameterValue", s, "bus:send", "basic", "x", { attributes: { bad: null } });
    await fails("UnsupportedOperation", s, "bus:nope");
    await fails("NotFound", s, "bus:publish", "no-such-topic", "x");
  });

  it("maxInFlight bounds the unacknowledged messages of a subscriber", T, async () => {
    const s = await bus();
    await ok(s, "bus:createQueue", "bounded", { visibilityTimeout: 30 });
    for (let i = 0; i < 5; i++) await ok(s, "bus:send", "bounded", `m${i}`);
    const inbox = new Inbox(s, () => {});
    await ok(s, "bus:subscribe", "bounded", { maxInFlight: 2 });
    await inbox.wait(2);
    assert.equal(await inbox.quiet(300), true, "a third message while two are unacknowledged");
    inbox.items[0].ack();
    await inbox.wait(3);
    assert.equal(await inbox.quiet(200), true);
    for (const m of inbox.items) m.ack();
    const all = await inbox.wait(5);
    for (const m of all.slice(3)) m.ack();
    assert.deepEqual(all.map((m) => m.msg.body).sort(), ["m0", "m1", "m2", "m3", "m4"]);
  });

  it("subscribers of one queue share it fairly", T, async () => {
    const a = await bus();
    const b = await bus();
    await ok(a, "bus:createQueue", "shared");
    const ia = new Inbox(a);
    const ib = new Inbox(b);
    await ok(a, "bus:subscribe", "shared", { maxInFlight: 1 });
    await ok(b, "bus:subscribe", "shared", { maxInFlight: 1 });
    for (let i = 0; i < 20; i++) await ok(a, "bus:send", "shared", `job${i}`);
    await withTimeout(
      (async () => {
        while (ia.items.length + ib.items.length < 20) await Promise.race([ia.wait(ia.items.length + 1), ib.wait(ib.items.length + 1)]);
      })(),
      5000,
      "20 jobs",
    );
    const bodies = [...ia.items, ...ib.items].map((m) => m.msg.body);
    assert.equal(new Set(bodies).size, 20);
    assert.ok(ia.items.length >= 7 && ib.items.length >= 7, `split ${ia.items.length}/${ib.items.length}`);
  });

  it("no acknowledgement within the visibility timeout: delivered again", T, async () => {
    const s = await bus();
    await ok(s, "bus:createQueue", "forgetful", { visibilityTimeout: 0.3 });
    const inbox = new Inbox(s, () => {});
    await ok(s, "bus:subscribe", "forgetful");
    const t0 = Date.now();
    await ok(s, "bus:send", "forgetful", "again");
    const [m1, m2] = await inbox.wait(2);
    assert.equal(m1.msg.id, m2.msg.id);
    assert.deepEqual([m1.msg.receiveCount, m2.msg.receiveCount], [1, 2]);
    assert.ok(m2.at - m1.at >= 250, `redelivered after ${m2.at - m1.at} ms`);
    m2.ack();
    assert.ok(Date.now() - t0 < 3000);
  });

  it("a disconnect makes its unacknowledged message visible to another consumer at once", T, async () => {
    const a = await bus();
    const b = await bus();
    await ok(a, "bus:createQueue", "handover", { visibilityTimeout: 30 });
    const ia = new Inbox(a, () => {});
    await ok(a, "bus:subscribe", "handover");
    await ok(b, "bus:send", "handover", "parcel");
    const [got] = await ia.wait(1);
    const ib = new Inbox(b);
    await ok(b, "bus:subscribe", "handover");
    assert.equal(await ib.quiet(200), true, "still in flight at the first consumer");
    a.disconnect();
    const [again] = await ib.wait(1, 2000);
    assert.equal(again.msg.id, got.msg.id);
    assert.equal(again.msg.receiveCount, 2);
  });

  it("acknowledging with false releases the message at once", T, async () => {
    const s = await bus();
    await ok(s, "bus:createQueue", "nack", { visibilityTimeout: 30 });
    let n = 0;
    const inbox = new Inbox(s, (m) => m.ack(n++ === 0 ? false : true));
    await ok(s, "bus:subscribe", "nack");
    await ok(s, "bus:send", "nack", "retry me");
    const [m1, m2] = await inbox.wait(2);
    assert.equal(m1.msg.id, m2.msg.id);
    assert.equal(m2.msg.receiveCount, 2);
    assert.equal(await inbox.quiet(200), true);
  });

  it("bus:unsubscribe stops the pushes; a new bus:subscribe resumes", T, async () => {
    const s = await bus();
    await ok(s, "bus:createQueue", "pausable");
    const inbox = new Inbox(s);
    await ok(s, "bus:subscribe", "pausable");
    assert.deepEqual(await call(s, "bus:unsubscribe", "pausable"), { ok: true, subscribed: true });
    assert.deepEqual(await call(s, "bus:unsubscribe", "pausable"), { ok: true, subscribed: false });
    await ok(s, "bus:send", "pausable", "later");
    assert.equal(await inbox.quiet(300), true);
    await ok(s, "bus:subscribe", "pausable");
    const [m] = await inbox.wait(1);
    assert.equal(m.msg.body, "later");
  });

  it("FIFO: order within a group, one in flight per group, de-duplication", T, async () => {
    const s = await bus();
    await ok(s, "bus:createQueue", "orders.fifo", { visibilityTimeout: 5 });
    const g1 = [];
    for (let i = 1; i <= 3; i++) g1.push(await ok(s, "bus:send", "orders.fifo", `g1-${i}`, { groupId: "g1", deduplicationId: `d${i}` }));
    const dup = await ok(s, "bus:send", "orders.fifo", "g1-2 again", { groupId: "g1", deduplicationId: "d2" });
    assert.equal(dup.duplicate, true);
    assert.equal(dup.messageId, g1[1].messageId);
    assert.equal(dup.sequenceNumber, g1[1].sequenceNumber);
    await ok(s, "bus:send", "orders.fifo", "g2-1", { groupId: "g2", deduplicationId: "e1" });
    assert.ok(g1[0].sequenceNumber < g1[1].sequenceNumber && g1[1].sequenceNumber < g1[2].sequenceNumber);
    await fails("MissingParameter", s, "bus:send", "orders.fifo", "no group");

    const inbox = new Inbox(s, () => {});
    await ok(s, "bus:subscribe", "orders.fifo", { maxInFlight: 10 });
    const firsts = await inbox.wait(2);
    assert.deepEqual(firsts.map((m) => m.msg.body).sort(), ["g1-1", "g2-1"]);
    assert.equal(await inbox.quiet(300), true, "g1-2 while g1-1 is in flight");
    const byBody = (b) => inbox.items.find((m) => m.msg.body === b);
    assert.equal(byBody("g1-1").msg.groupId, "g1");
    byBody("g1-1").ack();
    await inbox.wait(3);
    assert.equal(inbox.items[2].msg.body, "g1-2");
    inbox.items[2].ack();
    await inbox.wait(4);
    assert.equal(inbox.items[3].msg.body, "g1-3");
    inbox.items[3].ack();
    byBody("g2-1").ack();
    assert.equal(await inbox.quiet(300), true, "the duplicate is never delivered");
  });

  it("bus:send with a delay", T, async () => {
    const s = await bus();
    await ok(s, "bus:createQueue", "later");
    const inbox = new Inbox(s);
    await ok(s, "bus:subscribe", "later");
    const t0 = Date.now();
    await ok(s, "bus:send", "later", "tick", { delay: 0.4 });
    const [m] = await inbox.wait(1, 3000);
    assert.ok(m.at - t0 >= 350, `arrived after ${m.at - t0} ms`);
  });

  it("a dead-letter queue takes the messages received maxReceiveCount times", T, async () => {
    const s = await bus();
    await ok(s, "bus:createQueue", "graveyard");
    await ok(s, "bus:createQueue", "fragile", { visibilityTimeout: 30, deadLetterQueue: { queue: "graveyard", maxReceiveCount: 2 } });
    const bad = new Inbox(s, (m) => m.ack(false));
    await ok(s, "bus:subscribe", "fragile");
    const sent = await ok(s, "bus:send", "fragile", "poison");
    const d = await bus();
    const dead = new Inbox(d);
    await ok(d, "bus:subscribe", "graveyard");
    const [m] = await dead.wait(1);
    assert.equal(m.msg.id, sent.messageId);
    assert.equal(m.msg.body, "poison");
    assert.deepEqual(bad.items.map((x) => x.msg.receiveCount), [1, 2]);
  });

  it("bridges: an event becomes a topic message; the emitter's ack reports it", T, async () => {
    const c = await pool.connect(hub.url, "/bridged");
    const consumer = await bus();
    const inbox = new Inbox(consumer);
    await ok(consumer, "bus:subscribe", "bridged-orders");
    const r = await ok(c, "order", { kind: "book", n: 2, customer: "c1" });
    assert.match(r.messageId, UUID);
    const [m] = await inbox.wait(1);
    assert.equal(m.msg.body, '{"kind":"book","n":2,"customer":"c1"}');
    assert.deepEqual(m.msg.attributes, { kind: "book", n: 2 });
    // Several arguments: the array; a string: itself; no ack asked: published all the same.
    await ok(c, "order", { kind: "pen" }, 7);
    await ok(c, "order", "plain text");
    c.emit("order", { kind: "fire-and-forget" });
    const all = await inbox.wait(4);
    assert.deepEqual(all.slice(1).map((x) => x.msg.body), ['[{"kind":"pen"},7]', "plain text", '{"kind":"fire-and-forget"}']);
    // Errors come back through the ack.
    await fails("MissingParameter", c, "order");
    await fails("UnsupportedOperation", c, "bus:publish", "orders", "x");
  });

  it("bridges to a FIFO topic: group and de-duplication ids from the event", T, async () => {
    const c = await pool.connect(hub.url, "/bridged");
    const consumer = await bus();
    const inbox = new Inbox(consumer);
    await ok(consumer, "bus:subscribe", "bridged-fifo.fifo");
    const a = await ok(c, "fifo-order", { customer: "ann", orderId: "o1" });
    assert.ok(a.sequenceNumber);
    const again = await ok(c, "fifo-order", { customer: "ann", orderId: "o1" });
    assert.equal(again.duplicate, true);
    assert.equal(again.messageId, a.messageId);
    await ok(c, "fifo-order", { customer: "ann", orderId: "o2" });
    const e = await fails("InvalidParameterValue", c, "fifo-order", { orderId: "o3" });
    assert.match(e.message, /customer/);
    const got = await inbox.wait(2);
    assert.deepEqual(got.map((m) => [JSON.parse(m.msg.body).orderId, m.msg.groupId]), [["o1", "ann"], ["o2", "ann"]]);
    assert.equal(await inbox.quiet(200), true);
  });

  it("bus:publish fans out to queues, filter policies, rooms and room templates", T, async () => {
    const s = await bus();
    const reader = await bus();
    const u1 = await bus();
    const u2 = await bus();
    await ok(reader, "bus:join", "readers");
    await ok(u1, "bus:join", "user:u1");
    await ok(u2, "bus:join", "user:u2");
    await fails("InvalidParameterValue", u2, "bus:join", u1.id);
    const headlines = new Collector(reader, "headline");
    const u1news = new Collector(u1, "news");
    const u2news = new Collector(u2, "news");
    const all = new Inbox(s);
    await ok(s, "bus:subscribe", "news-all");
    const urgentSock = await bus();
    const urgent = new Inbox(urgentSock);
    await ok(urgentSock, "bus:subscribe", "news-urgent");

    const p = await ok(s, "bus:publish", "news", { title: "storm", userId: "u1" }, { attributes: { kind: "urgent" } });
    const [[h]] = await headlines.wait(1);
    assert.deepEqual(h, { id: p.messageId, topic: "news", body: '{"title":"storm","userId":"u1"}', attributes: { kind: "urgent" } });
    const [[n]] = await u1news.wait(1);
    assert.equal(n.id, p.messageId);
    const [m] = await all.wait(1);
    assert.equal(m.msg.body, '{"title":"storm","userId":"u1"}');
    await urgent.wait(1);

    await ok(s, "bus:publish", "news", { title: "sun", userId: "u2" }, { attributes: { kind: "normal" }, subject: "weather" });
    await all.wait(2);
    await u2news.wait(1);
    await headlines.wait(2);
    assert.equal(await urgent.quiet(200), true, "the filter policy lets only urgent news through");
    assert.equal(u1news.items.length, 1, "the room template picks the user's room only");
    assert.equal(u2news.items.length, 1);
    // bus:leave: no more room deliveries.
    await ok(reader, "bus:leave", "readers");
    await ok(s, "bus:publish", "news", { title: "late", userId: "u3" });
    await all.wait(3);
    await assert.rejects(headlines.wait(3, 200));
  });

  it("run-time topics, subscriptions and bridges", T, async () => {
    const s = await bus();
    await ok(s, "bus:createQueue", "rt-queue");
    const t = await ok(s, "bus:createTopic", "rt-topic", { subscriptions: [{ queue: "rt-queue" }] });
    assert.equal(t.name, "rt-topic");
    const sub = await ok(s, "bus:subscribeTopic", "rt-topic", { room: "/bus#rt", event: "rt-event" });
    assert.match(sub.subscriptionId, UUID);
    assert.equal(sub.pending, false);
    assert.equal(sub.subscriptionArn, `arn:aws:sns:eu-west-1:123456789012:rt-topic:${sub.subscriptionId}`);
    await ok(s, "bus:createBridge", { event: "ping", topic: "rt-topic", attributes: ["n"] });
    const room = new Collector(s, "rt-event");
    await ok(s, "bus:join", "rt");
    const inbox = new Inbox(s);
    await ok(s, "bus:subscribe", "rt-queue");
    const r = await ok(s, "ping", { n: 5 });
    const [m] = await inbox.wait(1);
    assert.equal(m.msg.body, '{"n":5}');
    assert.deepEqual(m.msg.attributes, { n: 5 });
    const [[ev]] = await room.wait(1);
    assert.equal(ev.id, r.messageId);
    // Creating again with the same attributes is fine; errors name what is wrong.
    await ok(s, "bus:createQueue", "rt-queue");
    let e = await fails("InvalidParameterValue", s, "bus:createQueue", "rt-x", { visibilityTimeout: -1 });
    assert.match(e.message, /visibilityTimeout/);
    e = await fails("InvalidParameterValue", s, "bus:createQueue", "bad name!");
    assert.match(e.message, /not a queue name/);
    await fails("InvalidParameterValue", s, "bus:createQueue", "rt-x", { colour: "red" });
    await fails("QueueNameExists", s, "bus:createQueue", "rt-queue", { visibilityTimeout: 99 });
    await fails("NotFound", s, "bus:createBridge", { event: "pong", topic: "no-such-topic" });
    await fails("InvalidParameterValue", s, "bus:createBridge", { event: "ping", topic: "rt-topic" });
    await fails("InvalidParameterValue", s, "bus:createBridge", { event: "bus:sneaky", topic: "rt-topic" });
    await fails("InvalidParameter", s, "bus:subscribeTopic", "rt-topic", { queue: "orders.fifo" });
    await fails("InvalidParameterValue", s, "bus:subscribeTopic", "rt-topic", { queue: "a", room: "/bus#b" });
    await fails("NotFound", s, "bus:subscribeTopic", "no-such-topic", { queue: "rt-queue" });
  });

  it("relay and the bus in one namespace", T, async () => {
    const a = await pool.connect(hub.url, "/chat");
    const b = await pool.connect(hub.url, "/chat");
    assert.deepEqual(await call(a, "join", "room1"), { ok: true });
    assert.deepEqual(await call(b, "join", "room1"), { ok: true });
    const said = once(b, "say");
    assert.deepEqual(await call(a, "say", "hi"), { ok: true });
    assert.deepEqual(await said, ["hi"]);
    const leaked = once(b, "bus:send", 300).then(() => true, () => false);
    await ok(a, "bus:createQueue", "chatq");
    const r = await ok(a, "bus:send", "chatq", "x");
    assert.match(r.messageId, UUID);
    assert.equal(await leaked, false, "bus events are not relayed");
  });

  it("HTTP endpoint delivery: confirmation through SubscribeURL, signed notifications", T, async () => {
    const receiver = spawn("python3", [path.join(__dirname, "http_receiver.py"), "--secret", SECRET, "--confirm"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const lines = [];
    const waiters = [];
    readline.createInterface({ input: receiver.stdout }).on("line", (l) => {
      lines.push(JSON.parse(l));
      for (const w of waiters.splice(0)) w();
    });
    const waitLine = (pred, ms = 5000) =>
      withTimeout(
        (async () => {
          for (;;) {
            const hit = lines.find(pred);
            if (hit) return hit;
            await new Promise((r) => waiters.push(r));
          }
        })(),
        ms,
        "receiver line",
      );
    try {
      const { listening } = await waitLine((l) => l.listening);
      const s = await bus();
      await ok(s, "bus:createTopic", "hooks");
      const sub = await ok(s, "bus:subscribeTopic", "hooks", { url: `http://127.0.0.1:${listening}/hook`, raw: false });
      assert.equal(sub.pending, true);
      const conf = await waitLine((l) => l.type === "SubscriptionConfirmation");
      assert.equal(conf.body_signature_ok, true);
      assert.equal(conf.envelope_signature_ok, true, "the Python receiver's RSA check");
      // As a validator: the certificate from SigningCertURL (served by the hub) verifies the
      // envelope's RSA signature, SignatureVersion 1 (SHA1withRSA) by default, as in SNS.
      const confEnv = JSON.parse(conf.body);
      const cert = await sns.fetchCert(confEnv, `http://127.0.0.1:${hub.port}`);
      sns.assertSigned(confEnv, cert, 1);
      const confirmed = await waitLine((l) => l.confirmed);
      assert.equal(confirmed.status, 200, JSON.stringify(confirmed));
      assert.match(confirmed.confirmed, new RegExp(`^http://127\\.0\\.0\\.1:${hub.port}/bus/\\?Action=ConfirmSubscription`));

      const p = await ok(s, "bus:publish", "hooks", "hello hooks", { attributes: { store: "acme" }, subject: "greeting" });
      const note = await waitLine((l) => l.type === "Notification");
      assert.equal(note.body_signature_ok, true);
      assert.equal(note.envelope_signature_ok, true);
      const noteEnv = JSON.parse(note.body);
      assert.equal(noteEnv.SigningCertURL, confEnv.SigningCertURL);
      sns.assertSigned(noteEnv, cert, 1);
      assert.equal(sns.verifyEnvelope({ ...noteEnv, Subject: "other" }, cert), false);
      assert.equal(note.path, "/hook");
      assert.equal(note.headers["x-amz-sns-message-type"], "Notification");
      const env = JSON.parse(note.body);
      assert.equal(env.MessageId, p.messageId);
      assert.equal(env.Message, "hello hooks");
      assert.equal(env.Subject, "greeting");
      assert.equal(env.TopicArn, "arn:aws:sns:eu-west-1:123456789012:hooks");
      assert.deepEqual(env.MessageAttributes, { store: { Type: "String", Value: "acme" } });
      assert.match(env.UnsubscribeURL, new RegExp(`^http://127\\.0\\.0\\.1:${hub.port}/bus/\\?Action=Unsubscribe`));
    } finally {
      receiver.kill("SIGTERM");
    }
  });
});

// A node HTTP endpoint that records requests and answers with status(req).
function startEndpoint(status = () => 200) {
  const requests = [];
  const waiters = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      const r = { path: req.url, headers: req.headers, body };
      requests.push(r);
      for (const w of waiters.splice(0)) w();
      res.writeHead(status(r), { "content-type": "text/plain" });
      res.end("ok");
    });
  });
  const wait = (pred, ms = 5000) =>
    withTimeout(
      (async () => {
        for (;;) {
          const hit = requests.filter(pred);
          if (hit.length) return hit;
          await new Promise((r) => waiters.push(r));
        }
      })(),
      ms,
      "an HTTP request",
    );
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, requests, wait, port: server.address().port })));
}

describe("event bus: HTTP endpoints and shutdown", { skip: hubs.IS_REFERENCE && "hubbub only" }, () => {
  const pool = new ClientPool();
  after(() => pool.closeAll());

  it("bus:confirmSubscription, the UnsubscribeURL, and the dead-letter hand-off", T, async () => {
    const ep = await startEndpoint((r) => (r.path === "/fail" ? 410 : 200));
    const hub = await hubs.start({ config: { namespaces: { "/": { bus: true } }, bus: { signingSecret: SECRET } } });
    try {
      const s = await pool.connect(hub.url, "/");
      const call = (ev, ...a) => s.timeout(5000).emitWithAck(ev, ...a);
      assert.equal((await call("bus:createTopic", "t")).ok, true);
      const sub = await call("bus:subscribeTopic", "t", { url: `http://127.0.0.1:${ep.port}/ok` });
      assert.equal(sub.pending, true, JSON.stringify(sub));
      const [conf] = await ep.wait((r) => r.headers["x-amz-sns-message-type"] === "SubscriptionConfirmation");
      const env = JSON.parse(conf.body);
      // Not confirmed yet: nothing is delivered.
      await call("bus:publish", "t", "early");
      const wrong = await call("bus:confirmSubscription", "t", "0".repeat(64));
      assert.equal(wrong.ok, false);
      const c = await call("bus:confirmSubscription", env.TopicArn, env.Token);
      assert.deepEqual(c, { ok: true, subscriptionId: sub.subscriptionId });
      await call("bus:publish", "t", "raw body", { attributes: { a: "b" } });
      const [note] = await ep.wait((r) => r.headers["x-amz-sns-message-type"] === "Notification");
      assert.equal(note.body, "raw body", "raw delivery by default");
      assert.equal(note.headers["x-amz-sns-rawdelivery"], "true");
      assert.equal(note.headers["x-hubbub-signature"], "sha256=" + crypto.createHmac("sha256", SECRET).update(note.body).digest("hex"));
      assert.equal(ep.requests.filter((r) => r.body === "early").length, 0);
      // The UnsubscribeURL (SNS's link) removes the subscription.
      const arn = `arn:aws:sns:us-east-1:000000000000:t:${sub.subscriptionId}`;
      const res = await fetch(`${hub.url}/bus/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(arn)}`);
      assert.equal(res.status, 200);
      const bad = await fetch(`${hub.url}/bus/?Action=Nope`);
      assert.equal(bad.status, 400);

      // A permanent failure (4xx) goes to the subscription's dead-letter queue.
      assert.equal((await call("bus:createQueue", "undeliverable")).ok, true);
      const sub2 = await call("bus:subscribeTopic", "t", {
        url: `http://127.0.0.1:${ep.port}/fail`,
        deadLetterQueue: "undeliverable",
        deliveryPolicy: { healthyRetryPolicy: { numRetries: 0 } },
      });
      const [conf2] = await ep.wait((r) => r.path === "/fail");
      const env2 = JSON.parse(conf2.body);
      // The endpoint refused its confirmation; confirm it anyway over the socket.
      assert.equal((await call("bus:confirmSubscription", "t", env2.Token)).ok, true, JSON.stringify(sub2));
      const inbox = new Inbox(s);
      assert.equal((await call("bus:subscribe", "undeliverable")).ok, true);
      await call("bus:publish", "t", "to the dead letters");
      const [m] = await inbox.wait(1, 5000);
      assert.equal(m.msg.body, "to the dead letters");
      assert.equal(ep.requests.filter((r) => r.path === "/ok" && r.body === "to the dead letters").length, 0, "unsubscribed");
    } finally {
      ep.server.close();
      const r = await hub.stop();
      assert.equal(r.code, 0, hub.logTail());
    }
  });

  it("stops cleanly with subscribers waiting, messages in flight and deliveries pending", T, async () => {
    const ep = await startEndpoint(() => 500);
    const hub = await hubs.start({
      config: {
        namespaces: { "/": { bus: true } },
        queues: { q: { visibilityTimeout: 30 }, idle: {} },
        topics: { t: { subscriptions: [{ queue: "q" }, { room: "/#r" }] } },
        bridges: [{ namespace: "/", event: "e", topic: "t" }],
      },
    });
    const s = await pool.connect(hub.url, "/");
    const call = (ev, ...a) => s.timeout(5000).emitWithAck(ev, ...a);
    const inbox = new Inbox(s, () => {});
    assert.equal((await call("bus:subscribe", "q", { maxInFlight: 2 })).ok, true);
    assert.equal((await call("bus:subscribe", "idle")).ok, true);
    assert.equal((await call("bus:join", "r")).ok, true);
    assert.equal((await call("bus:createTopic", "h", { subscriptions: [{ url: `http://127.0.0.1:${ep.port}/x` }] })).ok, true);
    for (let i = 0; i < 4; i++) assert.equal((await call("e", { i })).ok, true);
    await inbox.wait(2);
    const r = await hub.stop(5000);
    ep.server.close();
    assert.deepEqual(r, { code: 0, signal: null, killed: false }, hub.logTail());
  });
});

describe("bus config errors", { skip: hubs.IS_REFERENCE && "hubbub only" }, () => {
  const bad = (name, config, ...want) =>
    it(name, () => {
      const file = hubs.writeConfig(config);
      const r = spawnSync(hubBin(), ["--port", "0", "--config", file], { encoding: "utf8", timeout: 10000 });
      assert.equal(r.status, 2, `exit ${r.status}\n${r.stderr}`);
      assert.ok(r.stderr.includes(file), r.stderr);
      for (const w of want) assert.ok(r.stderr.includes(w), `"${w}" in: ${r.stderr}`);
    });

  bad("a bridge naming an unknown topic", { namespaces: { "/": {} }, topics: {}, bridges: [{ namespace: "/", event: "e", topic: "t" }] }, "bridges[0].topic", "no topic \"t\"");
  bad("a bridge in an undeclared namespace", { namespaces: { "/": {} }, topics: { t: {} }, bridges: [{ namespace: "/x", event: "e", topic: "t" }] }, "bridges[0].namespace");
  bad("a reserved bridged event", { topics: { t: {} }, bridges: [{ namespace: "/", event: "disconnect", topic: "t" }] }, "bridges[0].event");
  bad("a subscription naming an unknown queue", { topics: { t: { subscriptions: [{ queue: "q" }] } } }, "topics.t.subscriptions[0].queue");
  bad("a standard topic feeding a FIFO queue", { queues: { "q.fifo": {} }, topics: { t: { subscriptions: [{ queue: "q.fifo" }] } } }, "FIFO");
  bad("an unknown queue key", { queues: { q: { visibility: 3 } } }, "queues.q.visibility: unknown key");
  bad("a wrong type", { queues: { q: { visibilityTimeout: "30" } } }, "queues.q.visibilityTimeout: must be a number");
  bad("an out-of-range value", { queues: { q: { delay: 901 } } }, "queues.q.delay");
  bad("a dead-letter queue that does not exist", { queues: { q: { deadLetterQueue: { queue: "dlq", maxReceiveCount: 3 } } } }, "queues.q.deadLetterQueue.queue");
  bad("a FIFO topic bridge without de-duplication", { topics: { "t.fifo": {} }, bridges: [{ namespace: "/", event: "e", topic: "t.fifo" }] }, "contentBasedDeduplication");
  bad("a namespace's bus flag that is not a boolean", { namespaces: { "/": { bus: "yes" } } }, "namespaces./.bus: must be true or false");
  bad("an unknown bus option", { bus: { secret: "x" } }, "bus.secret: unknown key");
  bad("a room subscription in an undeclared namespace", { namespaces: { "/": {} }, topics: { t: { subscriptions: [{ room: "/nope#r" }] } } }, "topics.t.subscriptions[0].room");
});
