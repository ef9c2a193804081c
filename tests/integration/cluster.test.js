// A cluster on one real Redis: two Hubbub nodes (H1, H2), a Node.js socket.io 4.8 node with the official
// @socket.io/redis-adapter (N1, tests/reference/server.js), the official @socket.io/redis-emitter, and stock
// socket.io-client clients. Every namespace runs the cluster app (hub/apps.h), whose control events make a
// node broadcast or run a cluster operation; each check says which clients get what, and that they get it
// exactly once. The last tests add a node, remove it, and restart Redis under the cluster.
//
// Clients: H1: a1 (r1), a2 (r2), a3 ; H2: b1 (r1), b2 (r1, r2), b3 (polling only) ; N1: n1 (r1), n2 (r2).
// Run: node --test tests/integration/cluster.test.js   (HUB_TARGET=reference: every "Hubbub" node is a Node
// one, which checks the expectations themselves against the reference)
"use strict";

const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const hubs = require("./lib/hub");
const { startRedis, startNode } = require("./lib/redis");
const { ClientPool, sleep } = require("./lib/clients");
const { createClient } = require("redis");
const { Emitter } = require("@socket.io/redis-emitter");

const T = { timeout: 20000 };
const KIND = hubs.IS_REFERENCE ? "node" : "hubbub";
const SETTLE_MS = 250; // after the expected deliveries: time for a duplicate or a stray one to show up
const ALL = ["a1", "a2", "a3", "b1", "b2", "b3", "n1", "n2"];

describe("cluster over Redis (classic @socket.io/redis-adapter protocol)", () => {
  let redis, rc, emitter, h1, h2, n1;
  const hubsStarted = [];
  const pool = new ClientPool();
  const C = {}; // name -> socket, with .recv [[event, args], ...]

  const config = (extra = {}) => ({
    redis: redis.url,
    redisRequestsTimeout: 2000,
    namespaces: { "/": { app: "cluster" } },
    ...extra,
  });

  async function members(key = "socket.io") {
    const r = await rc.sendCommand(["PUBSUB", "NUMSUB", `${key}-request#/#`]);
    return Number(r[1]);
  }

  async function waitMembers(n, ms = 8000, key = "socket.io") {
    const deadline = Date.now() + ms;
    let got;
    while ((got = await members(key)) !== n) {
      if (Date.now() > deadline) {
        throw new Error(`${got} node(s) listen on socket.io-request#/#, expected ${n} ` +
          "(does hub/main.c call hub_redis_attach()?)");
      }
      await sleep(50);
    }
  }

  async function client(name, hub, opts = {}) {
    const s = await pool.connect(hub.url, "/", { transports: ["websocket"], ...opts });
    s.recv = [];
    s.onAny((event, ...args) => s.recv.push([event, args]));
    s.on("ask", (...args) => args.pop()(name));
    C[name] = s;
    return s;
  }

  const join = (name, room) => C[name].emitWithAck("join", room);
  const ctl = (name, event, ...args) => C[name].timeout(8000).emitWithAck(event, ...args);
  const got = (name, event) => C[name].recv.filter((e) => e[0] === event);

  // Runs trigger, waits until each of `expected` got `event`, lets SETTLE_MS pass, then checks that every
  // client in `among` got it exactly as often as expected (once, or never); returns the args per client.
  async function deliver(event, expected, trigger, among = ALL, ms = 4000) {
    for (const n of among) C[n].recv = C[n].recv.filter((e) => e[0] !== event);
    await trigger();
    const deadline = Date.now() + ms;
    while (!expected.every((n) => got(n, event).length > 0)) {
      if (Date.now() > deadline) {
        const missing = expected.filter((n) => got(n, event).length === 0);
        assert.fail(`"${event}" never reached ${missing.join(", ")}`);
      }
      await sleep(10);
    }
    await sleep(SETTLE_MS);
    const counts = Object.fromEntries(among.map((n) => [n, got(n, event).length]));
    const want = Object.fromEntries(among.map((n) => [n, expected.includes(n) ? 1 : 0]));
    assert.deepEqual(counts, want, `deliveries of "${event}"`);
    return Object.fromEntries(expected.map((n) => [n, got(n, event)[0][1]]));
  }

  const emit = (from, spec, event, ...args) => async () => {
    const r = await ctl(from, "cluster:emit", spec, event, ...args);
    assert.equal(r.ok, true, JSON.stringify(r));
  };

  before(async () => {
    redis = await startRedis();
    rc = createClient({ url: redis.url });
    rc.on("error", () => {}); // the restart test stops Redis under it; it reconnects by itself
    await rc.connect();
    emitter = new Emitter(rc);
    [h1, h2, n1] = await Promise.all([hubs.start({ config: config() }), hubs.start({ config: config() }),
      startNode(config())]);
    hubsStarted.push(h1, h2, n1);
    await waitMembers(3);
    for (const [name, hub] of [["a1", h1], ["a2", h1], ["a3", h1], ["b1", h2], ["b2", h2], ["n1", n1], ["n2", n1]])
      await client(name, hub);
    await client("b3", h2, { transports: ["polling"] });
    for (const [name, room] of [["a1", "r1"], ["a2", "r2"], ["b1", "r1"], ["b2", "r1"], ["b2", "r2"],
      ["n1", "r1"], ["n2", "r2"]])
      assert.deepEqual(await join(name, room), { ok: true });
  });

  after(async () => {
    pool.closeAll();
    for (const h of hubsStarted) {
      const r = await h.stop();
      if (!hubs.IS_REFERENCE && h.kind === "server") {
        assert.equal(r.killed, false, `a hub did not stop on SIGTERM\n${h.logTail()}`);
        assert.equal(r.code, 0, `a hub exited with ${r.code}\n${h.logTail()}`);
      }
    }
    if (rc) await rc.disconnect().catch(() => {});
    if (redis) await redis.cleanup();
  });

  it("a broadcast from any node reaches every client once", T, async () => {
    const payload = [1, { x: "y", n: 1.5, big: 4294967296, neg: -7, nil: null }, "é"];
    for (const from of ["a1", "b3", "n2"]) {
      const args = await deliver(`all-${from}`, ALL, emit(from, {}, `all-${from}`, ...payload));
      for (const n of ALL) assert.deepEqual(args[n], payload, `${n}'s copy of all-${from}`);
    }
  });

  it("a room broadcast reaches the room's members on every node", T, async () => {
    await deliver("room-r1", ["a1", "b1", "b2", "n1"], emit("a3", { rooms: ["r1"] }, "room-r1", "x"));
    await deliver("room-r2", ["a2", "b2", "n2"], emit("n1", { rooms: ["r2"] }, "room-r2", "x"));
    await deliver("room-none", [], emit("b1", { rooms: ["nobody-here"] }, "room-none"));
  });

  it("a multi-room broadcast reaches each member once", T, async () => {
    const both = ["a1", "a2", "b1", "b2", "n1", "n2"];
    await deliver("multi-h", both, emit("b3", { rooms: ["r1", "r2"] }, "multi-h"));
    await deliver("multi-n", both, emit("n2", { rooms: ["r2", "r1"] }, "multi-n"));
  });

  it("an except broadcast leaves out the excepted rooms and the sender", T, async () => {
    await deliver("except-all", ["a1", "a3", "b1", "b3", "n1"], emit("a1", { except: ["r2"] }, "except-all"));
    await deliver("except-room", ["a1", "b1", "n1"], emit("n2", { rooms: ["r1"], except: ["r2"] }, "except-room"));
    await deliver("except-self", ALL.filter((n) => n !== "b1"), emit("b1", { exceptSelf: true }, "except-self"));
    await deliver("except-self-room", ["a1", "b1", "n1"],
      emit("b2", { rooms: ["r1"], exceptSelf: true, except: ["r2"] }, "except-self-room"));
  });

  it("a broadcast to a socket id reaches that socket on its node", T, async () => {
    await deliver("direct-n2", ["n2"], emit("a1", { rooms: [C.n2.id] }, "direct-n2"));
    await deliver("direct-b3", ["b3"], emit("n1", { rooms: [C.b3.id] }, "direct-b3"));
    await deliver("direct-a2", ["a2"], emit("b2", { rooms: [C.a2.id] }, "direct-a2"));
  });

  it("a binary broadcast arrives as binary, from a Hubbub node and from a Node one", T, async () => {
    for (const from of ["a2", "n1"]) {
      const args = await deliver(`bin-${from}`, ALL, emit(from, {}, `bin-${from}`, "bin",
        Buffer.from([0xde, 0xad, 0xbe, 0xef]), { nested: Buffer.from("hi"), n: 1 }));
      for (const n of ALL) {
        const [s, b, o] = args[n];
        assert.equal(s, "bin");
        assert.ok(Buffer.isBuffer(b) && b.equals(Buffer.from([0xde, 0xad, 0xbe, 0xef])), `${n}: ${b}`);
        assert.ok(Buffer.isBuffer(o.nested) && o.nested.toString() === "hi", `${n}: ${JSON.stringify(o)}`);
        assert.equal(o.n, 1);
      }
    }
  });

  it("a volatile broadcast reaches every (idle) client once", T, async () => {
    await deliver("volatile-h", ALL, emit("b2", { volatile: true }, "volatile-h", 1));
    await deliver("volatile-n", ALL, emit("n1", { volatile: true }, "volatile-n", 1));
  });

  it("a local broadcast stays on its node", T, async () => {
    await deliver("local-h", ["a1", "a2", "a3"], emit("a1", { local: true }, "local-h"));
  });

  it("@socket.io/redis-emitter reaches the clients of every node", T, async () => {
    const a = await deliver("em-all", ALL, () => emitter.emit("em-all", 1, { a: "b" }));
    assert.deepEqual(a.a1, [1, { a: "b" }]);
    await deliver("em-r1", ["a1", "b1", "b2", "n1"], () => emitter.to("r1").emit("em-r1"));
    await deliver("em-multi", ["a1", "a2", "b1", "b2", "n1", "n2"], () => emitter.to("r1").to("r2").emit("em-multi"));
    await deliver("em-except", ["a1", "a3", "b1", "b3", "n1"], () => emitter.except("r2").emit("em-except"));
    await deliver("em-volatile", ALL, () => emitter.volatile.emit("em-volatile"));
    const b = await deliver("em-bin", ALL, () => emitter.emit("em-bin", Buffer.from([1, 2, 3])));
    assert.ok(Buffer.isBuffer(b.b3[0]) && b.b3[0].equals(Buffer.from([1, 2, 3])));
    await deliver("em-direct", ["a3"], () => emitter.to(C.a3.id).emit("em-direct"));
    // the emitter's room operations and server-side emit (no uid, no requestId)
    emitter.in("r2").socketsJoin("r-em");
    await sleep(200);
    await deliver("em-joined", ["a2", "b2", "n2"], () => emitter.to("r-em").emit("em-joined"));
    emitter.in("r-em").socketsLeave("r-em");
    await sleep(200);
    await deliver("em-left", [], () => emitter.to("r-em").emit("em-left"));
    const s = await deliver("server-event", ALL, () => emitter.serverSideEmit("sse-test", "from-emitter"));
    assert.deepEqual(s.a1, ["sse-test", "from-emitter"]);
  });

  it("remote socketsJoin / socketsLeave, from a Hubbub node and from a Node one", T, async () => {
    assert.equal((await ctl("a3", "cluster:join", { rooms: ["r1"] }, ["r5"])).ok, true);
    await sleep(200);
    await deliver("in-r5", ["a1", "b1", "b2", "n1"], emit("n2", { rooms: ["r5"] }, "in-r5"));
    assert.equal((await ctl("n1", "cluster:leave", { rooms: ["r5"] }, ["r5"])).ok, true);
    await sleep(200);
    await deliver("left-r5", [], emit("a1", { rooms: ["r5"] }, "left-r5"));
    assert.equal((await ctl("n2", "cluster:join", { rooms: ["r2"], except: ["r1"] }, ["r6"])).ok, true);
    await sleep(200);
    await deliver("in-r6", ["a2", "n2"], emit("b3", { rooms: ["r6"] }, "in-r6"));
    assert.equal((await ctl("b3", "cluster:leave", {}, ["r6"])).ok, true);
    await sleep(200);
    await deliver("left-r6", [], emit("n1", { rooms: ["r6"] }, "left-r6"));
  });

  it("fetchSockets gathers the sockets of every node, from either kind of node", T, async () => {
    const ids = (names) => names.map((n) => C[n].id).sort();
    let r = await ctl("a1", "cluster:fetch", { rooms: ["r1"] });
    assert.equal(r.status, "ok");
    assert.deepEqual(r.sockets.map((s) => s.id).sort(), ids(["a1", "b1", "b2", "n1"]));
    const b2 = r.sockets.find((s) => s.id === C.b2.id);
    assert.deepEqual([...b2.rooms].sort(), [C.b2.id, "r1", "r2"].sort());
    r = await ctl("n1", "cluster:fetch", { rooms: ["r2"] });
    assert.equal(r.status, "ok");
    assert.deepEqual(r.sockets.map((s) => s.id).sort(), ids(["a2", "b2", "n2"]));
    r = await ctl("b1", "cluster:fetch", {});
    assert.equal(r.status, "ok");
    assert.deepEqual(r.sockets.map((s) => s.id).sort(), ids(ALL));
    r = await ctl("b1", "cluster:fetch", { except: ["r1"] });
    assert.deepEqual(r.sockets.map((s) => s.id).sort(), ids(["a2", "a3", "b3", "n2"]));
  });

  it("allRooms lists the rooms of every node once", T, async () => {
    const want = [...ALL.map((n) => C[n].id), "r1", "r2"].sort();
    for (const from of ["b3", "n2"]) {
      const r = await ctl(from, "cluster:rooms");
      assert.equal(r.status, "ok");
      assert.deepEqual([...r.rooms].sort(), want, `allRooms from ${from}`);
    }
  });

  it("serverSideEmit reaches the other nodes, never its own", T, async () => {
    let s = await deliver("server-event", ["b1", "b2", "b3", "n1", "n2"], async () => {
      assert.deepEqual(await ctl("a1", "cluster:sse", "sse-test", 7, { k: [true] }), { ok: true });
    });
    assert.deepEqual(s.n2, ["sse-test", 7, { k: [true] }]);
    assert.deepEqual(s.b1, ["sse-test", 7, { k: [true] }]);
    s = await deliver("server-event", ["a1", "a2", "a3", "b1", "b2", "b3"], async () => {
      assert.deepEqual(await ctl("n2", "cluster:sse", "sse-test", "from-node"), { ok: true });
    });
    assert.deepEqual(s.a3, ["sse-test", "from-node"]);
  });

  it("serverSideEmit with an ack gathers one answer per other node", T, async () => {
    const sort = (rs) => [...rs].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
    let r = await ctl("a1", "cluster:sse-ack", "sse-ack-test", 1);
    assert.equal(r.status, "ok");
    assert.deepEqual(sort(r.responses), sort([{ kind: KIND, clients: 3 }, { kind: "node", clients: 2 }]));
    r = await ctl("n1", "cluster:sse-ack", "sse-ack-test", 2);
    assert.equal(r.status, "ok");
    assert.deepEqual(r.responses, [{ kind: KIND, clients: 3 }, { kind: KIND, clients: 3 }]);
  });

  it("a broadcast with acks gathers the answers of the clients of every node", T, async () => {
    for (const from of ["a1", "n1", "b3"]) {
      const r = await ctl(from, "cluster:emit-with-ack", { timeout: 3000 }, "ask", from);
      assert.equal(r.status, "ok", JSON.stringify(r));
      assert.deepEqual([...r.responses].sort(), ALL, `answers to ${from}`);
    }
    const r = await ctl("b1", "cluster:emit-with-ack", { rooms: ["r2"], timeout: 3000 }, "ask");
    assert.equal(r.status, "ok");
    assert.deepEqual([...r.responses].sort(), ["a2", "b2", "n2"]);
  });

  it("a Hubbub node answers a broadcast with acks even when none of its clients is targeted", T, async () => {
    // A requester completes only when every node reported its client count: a node that stayed silent
    // would hold it until the timeout.
    for (const [from, target] of [["n1", "n2"], ["a1", "a2"], ["b1", "n1"]]) {
      const t0 = Date.now();
      const r = await ctl(from, "cluster:emit-with-ack", { rooms: [C[target].id], timeout: 4000 }, "ask");
      assert.equal(r.status, "ok", `${from} -> ${target}: ${JSON.stringify(r)}`);
      assert.deepEqual(r.responses, [target]);
      assert.ok(Date.now() - t0 < 2000, `${from} -> ${target} took ${Date.now() - t0} ms`);
    }
    const r = await ctl("n2", "cluster:emit-with-ack", { rooms: ["nobody-here"], timeout: 4000 }, "ask");
    assert.equal(r.status, "ok");
    assert.deepEqual(r.responses, []);
  });

  it("remote disconnectSockets closes the matching sockets on every node", T, async () => {
    const extra = { d1: h1, d2: h2, d3: n1, e1: h1, e2: n1 };
    for (const [name, hub] of Object.entries(extra)) {
      await client(name, hub);
      assert.deepEqual(await join(name, name[0] === "d" ? "rd" : "re"), { ok: true });
    }
    const closed = (name) => new Promise((resolve) => C[name].once("disconnect", resolve));
    let reasons = Promise.all(["d1", "d2", "d3"].map(closed));
    assert.equal((await ctl("b3", "cluster:disconnect", { rooms: ["rd"] }, true)).ok, true);
    assert.deepEqual(await reasons, ["io server disconnect", "io server disconnect", "io server disconnect"]);
    reasons = Promise.all(["e1", "e2"].map(closed));
    assert.equal((await ctl("n2", "cluster:disconnect", { rooms: ["re"] }, false)).ok, true);
    assert.deepEqual(await reasons, ["io server disconnect", "io server disconnect"]);
    await sleep(100);
    for (const n of ALL) assert.equal(C[n].connected, true, `${n} is still connected`);
  });

  it("a node joins and leaves the cluster without reconfiguring the others", T, async () => {
    const h3 = await hubs.start({ config: config() });
    hubsStarted.push(h3);
    await waitMembers(4);
    await client("c1", h3);
    await join("c1", "r1");
    await deliver("with-h3", ["a1", "b1", "b2", "n1", "c1"], emit("n2", { rooms: ["r1"] }, "with-h3"), [...ALL, "c1"]);
    let r = await ctl("c1", "cluster:fetch", { rooms: ["r1"] });
    assert.deepEqual(r.sockets.map((s) => s.id).sort(), ["a1", "b1", "b2", "n1", "c1"].map((n) => C[n].id).sort());
    const stopped = await h3.stop();
    assert.equal(stopped.killed, false);
    await waitMembers(3);
    const t0 = Date.now();
    r = await ctl("a1", "cluster:fetch", {});
    assert.equal(r.status, "ok");
    assert.equal(r.sockets.length, ALL.length);
    assert.ok(Date.now() - t0 < 1500, `fetch took ${Date.now() - t0} ms after a node left`);
  });

  it("another redisKey makes another cluster on the same Redis", T, async () => {
    const other = config({ redisKey: "other-app" });
    const [h5, n5] = await Promise.all([hubs.start({ config: other }), startNode(other)]);
    hubsStarted.push(h5, n5);
    await waitMembers(2, 8000, "other-app");
    assert.equal(await members(), 3);
    await client("x1", h5);
    await client("y1", n5);
    const among = [...ALL, "x1", "y1"];
    await deliver("other-key", ["x1", "y1"], emit("x1", {}, "other-key"), among);
    await deliver("main-key", ALL, emit("a3", {}, "main-key"), among);
    const r = await ctl("y1", "cluster:fetch", {});
    assert.deepEqual(r.sockets.map((s) => s.id).sort(), [C.x1.id, C.y1.id].sort());
    C.x1.disconnect();
    C.y1.disconnect();
    await Promise.all([h5.stop(), n5.stop()]);
  });

  it("Redis restarts: nodes keep serving local clients, then cross-node broadcasts resume", { timeout: 40000 }, async () => {
    await redis.stop();
    await sleep(300);
    // local clients are still served, by Hubbub nodes alone
    await deliver("while-down", ["a1", "a2", "a3"], emit("a2", {}, "while-down"), ["a1", "a2", "a3", "b1", "b2", "b3"]);
    await deliver("while-down-2", ["b1", "b2"], emit("b3", { rooms: ["r1"] }, "while-down-2"), ["a1", "b1", "b2"]);
    // a node started while Redis is down listens and retries instead of failing
    let h4 = null;
    if (!hubs.IS_REFERENCE) {
      h4 = await hubs.start({ config: config() });
      hubsStarted.push(h4);
      const deadline = Date.now() + 3000;
      while (!/redis: cannot connect/.test(h4.stderr) && Date.now() < deadline) await sleep(50);
      assert.match(h4.stderr, /redis: cannot connect the (publisher|subscriber) to 127\.0\.0\.1:\d+: Connection refused/);
      await client("c4", h4);
    }
    await redis.start();
    // every node reconnects and subscribes again: H1, H2, N1 (node-redis) and H4
    await waitMembers(hubs.IS_REFERENCE ? 3 : 4, 15000);
    const everyone = hubs.IS_REFERENCE ? ALL : [...ALL, "c4"];
    await deliver("resumed", everyone, emit("a1", {}, "resumed"), everyone, 8000);
    await deliver("resumed-2", ["a1", "b1", "b2", "n1"], emit("n2", { rooms: ["r1"] }, "resumed-2"));
    if (!hubs.IS_REFERENCE) {
      assert.match(h1.stderr, /redis: cluster unreachable .*serving local clients only, reconnecting/);
      assert.match(h1.stderr, /redis: reconnected to 127\.0\.0\.1:\d+ after \d+ ms; subscriptions renewed/);
      assert.match(h4.stderr, /redis: connected to 127\.0\.0\.1:\d+/);
    }
  });
});
