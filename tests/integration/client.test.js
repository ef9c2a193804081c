// The stock socket.io-client 4.8.1 against the hub: transports, namespaces, echo (text and binary), acks both
// ways, rooms and broadcast (relay app), the example program's hooks, disconnect reasons, reconnection after a
// restart, and SIGTERM.
// Run: node --test tests/integration/client.test.js   (HUB_TARGET=reference to check the reference server)
"use strict";

const { describe, it, before, after, afterEach } = require("node:test");
const assert = require("node:assert/strict");
const hubs = require("./lib/hub");
const { sleep, openSioSession, PollingSession } = require("./lib/raw");
const { ClientPool, once, Collector, waitConnect } = require("./lib/clients");

const T = { timeout: 20000 };
const CONFIG = {
  pingInterval: 300,
  pingTimeout: 200,
  connectTimeout: 1000,
  namespaces: { "/": { app: "echo" }, "/custom": { app: "echo" }, "/chat": { app: "relay" } },
};

function sorted(list) {
  return list.slice().sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

describe("socket.io-client against the echo and relay apps", () => {
  let hub;
  let url;
  const pool = new ClientPool();
  before(async () => {
    hub = await hubs.start({ config: CONFIG });
    url = hub.url;
  });
  afterEach(() => pool.closeAll());
  after(async () => {
    pool.closeAll();
    if (hub) await hub.stop();
  });

  describe("transports", () => {
    it("default: polling first, then the upgrade to websocket; echo works before and after", T, async () => {
      const s = pool.socket(url, "/", { auth: { token: "t1" } });
      const auth = once(s, "auth");
      await waitConnect(s);
      assert.deepEqual(await auth, [{ token: "t1" }]);
      const engine = s.io.engine;
      if (engine.transport.name !== "websocket") {
        assert.equal(engine.transport.name, "polling");
        await once(engine, "upgrade", 3000);
      }
      assert.equal(engine.transport.name, "websocket");
      s.emit("message", "after-upgrade", 1);
      assert.deepEqual(await once(s, "message-back"), ["after-upgrade", 1]);
    });

    it("transports [\"websocket\"]", T, async () => {
      const s = pool.socket(url, "/", { transports: ["websocket"] });
      const auth = once(s, "auth");
      await waitConnect(s);
      assert.deepEqual(await auth, [{}]);
      assert.equal(s.io.engine.transport.name, "websocket");
      s.emit("message", { a: [1, 2] });
      assert.deepEqual(await once(s, "message-back"), [{ a: [1, 2] }]);
    });

    it("transports [\"polling\"] with binary", T, async () => {
      const s = await pool.connect(url, "/", { transports: ["polling"] });
      assert.equal(s.io.engine.transport.name, "polling");
      const buf = Buffer.from([0, 1, 2, 0x1e, 255]);
      s.emit("message", "p", buf);
      const [text, back] = await once(s, "message-back");
      assert.equal(text, "p");
      assert.deepEqual(Buffer.from(back), buf);
    });
  });

  describe("namespaces", () => {
    it("several namespaces over one Manager share one Engine.IO connection; leaving one keeps the other", T, async () => {
      const m = pool.manager(url, { transports: ["websocket"] });
      const a = m.socket("/", { auth: { who: "a" } });
      const b = m.socket("/custom", { auth: { who: "b" } });
      const authA = once(a, "auth");
      const authB = once(b, "auth");
      a.connect();
      b.connect();
      await Promise.all([waitConnect(a), waitConnect(b)]);
      assert.deepEqual(await authA, [{ who: "a" }]);
      assert.deepEqual(await authB, [{ who: "b" }]);
      assert.notEqual(a.id, b.id);
      assert.equal(m.engine.transport.name, "websocket");

      b.emit("message", "to-custom");
      assert.deepEqual(await once(b, "message-back"), ["to-custom"]);
      a.emit("message", "to-main");
      assert.deepEqual(await once(a, "message-back"), ["to-main"]);

      const reason = once(b, "disconnect");
      b.disconnect();
      assert.equal((await reason)[0], "io client disconnect");
      a.emit("message", "still-here");
      assert.deepEqual(await once(a, "message-back"), ["still-here"]);
      assert.equal(a.connected, true);
      a.disconnect();
    });

    it("a namespace that is not configured gets connect_error \"Invalid namespace\"", T, async () => {
      const s = pool.socket(url, "/nope");
      const [err] = await once(s, "connect_error");
      assert.equal(err.message, "Invalid namespace");
    });
  });

  describe("echo", () => {
    for (const transports of [["websocket"], ["polling"]]) {
      it(`text and nested binary both ways (${transports[0]})`, T, async () => {
        const s = await pool.connect(url, "/custom", { transports });
        const b1 = Buffer.from("hello");
        const b2 = Buffer.alloc(3000, 7);
        const b3 = Buffer.from([0xde, 0xad, 0xbe, 0xef]);
        const args = ["str", 42, null, true, { nested: { deep: [b1, { x: b2 }] }, list: [] }, b3, [1.5, "é"]];
        s.emit("message", ...args);
        const back = await once(s, "message-back");
        assert.equal(back.length, args.length);
        assert.deepEqual(back.slice(0, 4), ["str", 42, null, true]);
        assert.deepEqual(Buffer.from(back[4].nested.deep[0]), b1);
        assert.deepEqual(Buffer.from(back[4].nested.deep[1].x), b2);
        assert.deepEqual(back[4].list, []);
        assert.deepEqual(Buffer.from(back[5]), b3);
        assert.deepEqual(back[6], [1.5, "é"]);
      });
    }

    it("many messages keep their order", T, async () => {
      const s = await pool.connect(url, "/", { transports: ["websocket"] });
      const c = new Collector(s, "message-back");
      for (let i = 0; i < 200; i++) s.emit("message", i, i % 10 === 0 ? Buffer.from([i]) : "x");
      const got = await c.wait(200, 5000);
      assert.deepEqual(got.map((a) => a[0]), Array.from({ length: 200 }, (_, i) => i));
    });
  });

  describe("acks", () => {
    it("emitWithAck and timeout().emitWithAck against message-with-ack, with binary", T, async () => {
      const s = await pool.connect(url, "/", { transports: ["websocket"] });
      assert.deepEqual(await s.emitWithAck("message-with-ack", 1, "2", { 3: [false] }), 1);
      const buf = Buffer.from([9, 9, 9]);
      const got = await new Promise((resolve) => s.emit("message-with-ack", "a", { b: buf }, (...r) => resolve(r)));
      assert.equal(got[0], "a");
      assert.deepEqual(Buffer.from(got[1].b), buf);
      assert.equal(await s.timeout(2000).emitWithAck("message-with-ack", "fast"), "fast");
    });

    it("the client's ack timeout fires when the server never acks", T, async () => {
      const s = await pool.connect(url, "/", { transports: ["websocket"] });
      await assert.rejects(s.timeout(300).emitWithAck("no-such-event", 1), /operation has timed out/);
    });

    it("acks over polling", T, async () => {
      const s = await pool.connect(url, "/custom", { transports: ["polling"] });
      const results = await Promise.all([1, 2, 3].map((i) => new Promise((r) => s.emit("message-with-ack", i, r))));
      assert.deepEqual(results, [1, 2, 3]);
    });
  });

  describe("relay: rooms and broadcast", () => {
    async function relayClients(n, opts = {}) {
      const list = [];
      for (let i = 0; i < n; i++) list.push(await pool.connect(url, "/chat", { transports: ["websocket"], ...opts }));
      return list;
    }

    it("join/leave acks", T, async () => {
      const [a] = await relayClients(1);
      assert.deepEqual(await a.emitWithAck("join", "room1"), { ok: true });
      assert.deepEqual(await a.emitWithAck("join", "room1"), { ok: true });
      assert.deepEqual(await a.emitWithAck("leave", "room1"), { ok: true });
      const bad = await a.emitWithAck("join");
      assert.equal(bad.ok, false);
      assert.equal(typeof bad.error, "string");
    });

    it("room delivery: each recipient gets it once, the sender and non-members never", T, async () => {
      const [a, b, c, d] = await relayClients(4);
      assert.deepEqual(await a.emitWithAck("join", "r1"), { ok: true });
      assert.deepEqual(await b.emitWithAck("join", "r1"), { ok: true });
      assert.deepEqual(await b.emitWithAck("join", "r2"), { ok: true });
      assert.deepEqual(await c.emitWithAck("join", "r2"), { ok: true });
      assert.deepEqual(await c.emitWithAck("join", "r1"), { ok: true });
      const got = [a, b, c, d].map((s) => new Collector(s, "say"));

      a.emit("say", "from-a"); // a in r1 -> b, c
      b.emit("say", "from-b"); // b in r1, r2 -> a, c (once)
      d.emit("say", "from-d"); // d in no room -> everyone but d
      await got[0].wait(2);
      await got[1].wait(2);
      await got[2].wait(3);
      await sleep(200); // nothing else may arrive
      assert.deepEqual(sorted(got[0].items), [["from-b"], ["from-d"]]);
      assert.deepEqual(sorted(got[1].items), [["from-a"], ["from-d"]]);
      assert.deepEqual(sorted(got[2].items), [["from-a"], ["from-b"], ["from-d"]]);
      assert.deepEqual(got[3].items, []);
    });

    it("none joined -> the whole namespace except the sender; not other namespaces", T, async () => {
      const [a, b, c] = await relayClients(3);
      const other = await pool.connect(url, "/", { transports: ["websocket"] });
      const otherGot = new Collector(other, "hello");
      const got = [a, b, c].map((s) => new Collector(s, "hello"));
      b.emit("hello", { n: 1 }, [2]);
      assert.deepEqual(await got[0].wait(1), [[{ n: 1 }, [2]]]);
      assert.deepEqual(await got[2].wait(1), [[{ n: 1 }, [2]]]);
      await sleep(200);
      assert.equal(got[1].items.length, 0, "the sender gets nothing");
      assert.equal(otherGot.items.length, 0, "other namespaces get nothing");
    });

    it("after leave, the sender's events go to the whole namespace again", T, async () => {
      const [a, b, c] = await relayClients(3);
      await a.emitWithAck("join", "x");
      await b.emitWithAck("join", "x");
      const got = [a, b, c].map((s) => new Collector(s, "ev"));
      a.emit("ev", 1);
      await got[1].wait(1);
      await a.emitWithAck("leave", "x");
      a.emit("ev", 2);
      await got[1].wait(2);
      await got[2].wait(1);
      await sleep(150);
      assert.deepEqual(got[1].items, [[1], [2]]);
      assert.deepEqual(got[2].items, [[2]]);
      assert.deepEqual(got[0].items, []);
    });

    it("a relayed event with an ack gets {\"ok\":true}; binary attachments are relayed", T, async () => {
      const [a, b] = await relayClients(2, {});
      const poll = await pool.connect(url, "/chat", { transports: ["polling"] });
      const gotB = new Collector(b, "blob");
      const gotP = new Collector(poll, "blob");
      const buf = Buffer.from([1, 2, 3, 0x1e]);
      assert.deepEqual(await a.emitWithAck("blob", "name", { data: buf, more: [Buffer.from("x")] }), { ok: true });
      for (const c of [gotB, gotP]) {
        const [[name, obj]] = await c.wait(1);
        assert.equal(name, "name");
        assert.deepEqual(Buffer.from(obj.data), buf);
        assert.deepEqual(Buffer.from(obj.more[0]), Buffer.from("x"));
      }
    });
  });

  describe("disconnect reasons", () => {
    it("\"io client disconnect\"", T, async () => {
      const s = await pool.connect(url, "/", { transports: ["websocket"] });
      const r = once(s, "disconnect");
      s.disconnect();
      assert.equal((await r)[0], "io client disconnect");
    });

    it("the hub closes a client that stops answering pings (raw websocket, no pong)", T, async () => {
      const w = await openSioSession(hub.port, { autoPong: false });
      try {
        const t0 = Date.now();
        await w.waitClose(3000);
        const dt = Date.now() - t0;
        assert.ok(dt >= 300 && dt < 1500, `closed after ${dt} ms (300 + 200)`);
        assert.ok(w.pings >= 1, "a ping was sent");
      } finally {
        w.close();
      }
    });
  });
});

describe("relay without namespaces in the config", () => {
  it("no config at all: \"/\" runs relay", T, async () => {
    const hub = await hubs.start({});
    const pool = new ClientPool();
    try {
      const a = await pool.connect(hub.url, "/", { transports: ["websocket"] });
      const b = await pool.connect(hub.url, "/", { transports: ["websocket"] });
      const got = new Collector(b, "message");
      assert.deepEqual(await a.emitWithAck("join", "r"), { ok: true });
      await b.emitWithAck("join", "r");
      a.emit("message", "relayed");
      assert.deepEqual(await got.wait(1), [["relayed"]]);
      const other = pool.socket(hub.url, "/custom");
      const [err] = await once(other, "connect_error");
      assert.equal(err.message, "Invalid namespace");
    } finally {
      pool.closeAll();
      await hub.stop();
    }
  });

  it("a config without \"/\": connecting to / is an invalid namespace", T, async () => {
    const hub = await hubs.start({ config: { namespaces: { "/chat": { app: "relay" } } } });
    const pool = new ClientPool();
    try {
      const s = pool.socket(hub.url, "/");
      const [err] = await once(s, "connect_error");
      assert.equal(err.message, "Invalid namespace");
      await pool.connect(hub.url, "/chat");
    } finally {
      pool.closeAll();
      await hub.stop();
    }
  });
});

describe("example program (hubbub-example)", () => {
  let hub;
  let url;
  const pool = new ClientPool();
  const auth = { token: "secret" };
  before(async () => {
    hub = await hubs.start({ kind: "example" });
    url = hub.url;
  });
  afterEach(() => pool.closeAll());
  after(async () => {
    pool.closeAll();
    if (hub) await hub.stop();
  });

  it("the connect hook rejects a bad or missing token with message and data", T, async () => {
    for (const opts of [{ auth: { token: "wrong" } }, {}, { transports: ["websocket"], auth: { token: 1 } }]) {
      const s = pool.socket(url, "/", opts);
      const [err] = await once(s, "connect_error");
      assert.equal(err.message, "unauthorized");
      assert.deepEqual(err.data, { reason: "bad token" });
      assert.equal(s.connected, false);
    }
  });

  it("welcome carries the socket id", T, async () => {
    for (const transports of [["websocket"], ["polling"]]) {
      const s = pool.socket(url, "/", { auth, transports });
      const welcome = once(s, "welcome");
      await waitConnect(s);
      assert.deepEqual(await welcome, [s.id]);
    }
  });

  it("server emit with ack: the answer comes back in ask-result", T, async () => {
    const s = await pool.connect(url, "/", { auth, transports: ["websocket"] });
    s.on("question", (q, ack) => {
      assert.equal(q, "what?");
      ack("forty-two", 42, { k: [1] });
    });
    s.emit("ask", 2000);
    assert.deepEqual(await once(s, "ask-result"), [{ ok: true, args: ["forty-two", 42, { k: [1] }] }]);
  });

  it("server emit with ack: a binary answer", T, async () => {
    const s = await pool.connect(url, "/", { auth, transports: ["websocket"] });
    s.on("question", (q, ack) => ack(Buffer.from([5, 6, 7])));
    s.emit("ask", 2000);
    const [res] = await once(s, "ask-result");
    assert.equal(res.ok, true);
    assert.deepEqual(Buffer.from(res.args[0]), Buffer.from([5, 6, 7]));
  });

  it("server emit with ack: the timeout path", T, async () => {
    const s = await pool.connect(url, "/", { auth, transports: ["websocket"] });
    const q = once(s, "question");
    const t0 = Date.now();
    s.emit("ask", 300);
    const [text] = await q; // never acked
    assert.equal(text, "what?");
    assert.deepEqual(await once(s, "ask-result", 3000), [{ ok: false, error: "timeout" }]);
    const dt = Date.now() - t0;
    assert.ok(dt >= 250 && dt < 2500, `timed out after ${dt} ms (300)`);
  });

  it("broadcast with ack: ask-all collects every answer", T, async () => {
    const list = [];
    for (let i = 0; i < 3; i++) {
      const s = await pool.connect(url, "/", { auth, transports: [i === 1 ? "polling" : "websocket"] });
      s.on("question", (q, ack) => ack(`answer-${i}`));
      list.push(s);
    }
    list[0].emit("ask-all", 2000);
    const [res] = await once(list[0], "ask-all-result");
    assert.equal(res.error, undefined);
    assert.equal(res.count, 3);
    assert.deepEqual(res.responses.slice().sort(), ["answer-0", "answer-1", "answer-2"]);
  });

  it("broadcast with ack: the timeout path reports the answers that came", T, async () => {
    const list = [];
    for (let i = 0; i < 3; i++) {
      const s = await pool.connect(url, "/", { auth, transports: ["websocket"] });
      if (i !== 2) s.on("question", (q, ack) => ack(`answer-${i}`));
      list.push(s);
    }
    list[0].emit("ask-all", 300);
    const [res] = await once(list[0], "ask-all-result", 3000);
    assert.equal(res.error, "timeout");
    assert.equal(res.count, 3);
    assert.deepEqual(res.responses.slice().sort(), ["answer-0", "answer-1"]);
  });

  it("join + to-room: the room gets room-msg, the sender and others do not", T, async () => {
    const [a, b, c] = [
      await pool.connect(url, "/", { auth, transports: ["websocket"] }),
      await pool.connect(url, "/", { auth, transports: ["polling"] }),
      await pool.connect(url, "/", { auth, transports: ["websocket"] }),
    ];
    assert.deepEqual(await a.emitWithAck("join", "lobby"), { ok: true });
    assert.deepEqual(await b.emitWithAck("join", "lobby"), { ok: true });
    const got = [a, b, c].map((s) => new Collector(s, "room-msg"));
    a.emit("to-room", "lobby", { text: "hi", bin: Buffer.from([1]) });
    const [[payload]] = await got[1].wait(1);
    assert.equal(payload.text, "hi");
    assert.deepEqual(Buffer.from(payload.bin), Buffer.from([1]));
    await sleep(200);
    assert.equal(got[0].items.length, 0);
    assert.equal(got[2].items.length, 0);
  });

  it("kick: the client sees \"io server disconnect\" and does not reconnect", T, async () => {
    const s = await pool.connect(url, "/", { auth, transports: ["websocket"], reconnection: true, reconnectionDelay: 50 });
    const r = once(s, "disconnect");
    s.emit("kick");
    assert.equal((await r)[0], "io server disconnect");
    await sleep(300);
    assert.equal(s.connected, false);
  });
});

describe("hub lifecycle", () => {
  const pool = new ClientPool();
  afterEach(() => pool.closeAll());

  it("\"transport close\" when the hub is killed, then reconnection after a restart on the same port", T, async () => {
    let hub = await hubs.start({ config: CONFIG });
    const port = hub.port;
    try {
      const opts = { reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 300, randomizationFactor: 0 };
      const ws = await pool.connect(hub.url, "/", { ...opts, transports: ["websocket"] });
      const poll = await pool.connect(hub.url, "/custom", { ...opts, transports: ["polling"] });
      const reasons = [once(ws, "disconnect"), once(poll, "disconnect")];
      await hub.kill();
      assert.equal((await reasons[0])[0], "transport close");
      // a killed process cannot answer the pending long-poll: the XHR fails ("transport error"), or the
      // connection reads as closed ("transport close"); either is the client's own verdict
      assert.ok(["transport close", "transport error"].includes((await reasons[1])[0]), "polling client reason");

      const reconnected = [once(ws, "connect", 8000), once(poll, "connect", 8000)];
      hub = await hubs.start({ config: CONFIG, port });
      assert.equal(hub.port, port);
      await Promise.all(reconnected);
      ws.emit("message", "back");
      assert.deepEqual(await once(ws, "message-back"), ["back"]);
      assert.equal(await poll.emitWithAck("message-with-ack", "acked"), "acked");
    } finally {
      pool.closeAll();
      await hub.stop();
    }
  });

  it("\"ping timeout\" on the client when the hub stops responding (SIGSTOP), then it reconnects (SIGCONT)", T, async () => {
    const hub = await hubs.start({ config: CONFIG });
    try {
      const s = await pool.connect(hub.url, "/", {
        transports: ["websocket"], reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 300,
      });
      const r = once(s, "disconnect", 4000);
      hub.signal("SIGSTOP");
      let reason;
      try {
        [reason] = await r;
      } finally {
        hub.signal("SIGCONT");
      }
      assert.equal(reason, "ping timeout");
      await once(s, "connect", 8000);
      s.emit("message", "alive");
      assert.deepEqual(await once(s, "message-back"), ["alive"]);
    } finally {
      hub.signal("SIGCONT");
      pool.closeAll();
      await hub.stop();
    }
  });

  it("SIGTERM closes every client cleanly and exits 0", T, async () => {
    const hub = await hubs.start({ config: CONFIG });
    try {
      const ws = await pool.connect(hub.url, "/", { transports: ["websocket"] });
      const poll = await pool.connect(hub.url, "/custom", { transports: ["polling"] });
      const up = await pool.connect(hub.url, "/chat");
      if (up.io.engine.transport.name !== "websocket") await once(up.io.engine, "upgrade");
      const raw = await openSioSession(hub.port);
      const rawPoll = new PollingSession(hub.port);
      await rawPoll.handshake();
      await rawPoll.post("40");
      while (!(await rawPoll.get()).text.includes('["auth",')); // CONNECT reply and auth event
      const pending = rawPoll.get({ timeout: 5000 });
      const reasons = [ws, poll, up].map((s) => once(s, "disconnect", 5000));
      await sleep(50); // let the long-poll reach the hub
      hub.signal("SIGTERM");
      const exit = await hub.waitExit(5000);
      assert.deepEqual(exit, { code: 0, signal: null }, `exit status; stderr:\n${hub.logTail()}`);
      for (const r of reasons) assert.equal((await r)[0], "transport close");
      const info = await raw.waitClose(3000);
      const res = await pending.catch((e) => ({ status: "error", text: e.message }));
      assert.deepEqual(
        { websocketClose: info.code === 1006 ? "abrupt (1006, no close frame)" : "close frame", longPoll: `${res.status} ${res.text}` },
        { websocketClose: "close frame", longPoll: "200 1" },
        "raw websocket gets a close frame; the pending long-poll gets the close packet",
      );
    } finally {
      pool.closeAll();
      await hub.stop();
    }
  });
});



