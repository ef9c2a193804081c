// Raw Engine.IO v4 conformance (handshake, errors, polling, WebSocket, heartbeat, upgrade, maxPayload, CORS)
// against the conformance config: pingInterval 300, pingTimeout 200, connectTimeout 1000, echo path /engine.io/.
// Run: node --test tests/integration/engineio.test.js   (HUB_TARGET=reference to check the reference server)
"use strict";

const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const http = require("node:http");
const hubs = require("./lib/hub");
const {
  sleep, request, startRequest, eioPath, encodePayload, decodePayload, PollingSession, RawWs, openWsSession,
} = require("./lib/raw");

const T = { timeout: 15000 };
const ECHO = "/engine.io/";

function errBody(code, message) {
  return JSON.stringify({ code, message });
}

function assertEioError(res, code, message, what = "") {
  assert.equal(res.status, 400, `${what}: status (body ${res.text})`);
  assert.equal(res.text, errBody(code, message), `${what}: body`);
  assert.match(String(res.headers["content-type"]), /^application\/json/, `${what}: content-type`);
}

function assertOpenPacket(open, { upgrades, maxPayload = 1000000 }) {
  assert.deepEqual(Object.keys(open).sort(), ["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"]);
  assert.equal(typeof open.sid, "string");
  assert.ok(open.sid.length > 0, "sid is not empty");
  assert.deepEqual(open.upgrades, upgrades);
  assert.equal(open.pingInterval, 300);
  assert.equal(open.pingTimeout, 200);
  assert.equal(open.maxPayload, maxPayload);
}

// A WebSocket that must not become a working Engine.IO session: refused, or closed without an open packet.
async function assertWsRefused(url, what) {
  const ws = new RawWs(url);
  const info = await ws.waitClose(3000);
  const gotOpen = ws.queue.some((m) => m.text !== undefined && m.text.startsWith("0"));
  assert.ok(!gotOpen, `${what}: no open packet (got ${JSON.stringify(ws.queue)}, close ${JSON.stringify(info)})`);
  if (ws.refusedStatus !== null) assert.equal(ws.refusedStatus, 400, `${what}: refused with 400`);
}

describe("engine.io (conformance config)", () => {
  let hub;
  let port;
  before(async () => {
    hub = await hubs.start({ config: hubs.conformanceConfig() });
    port = hub.port;
  });
  after(async () => {
    if (hub) await hub.stop();
  });

  describe("handshake", () => {
    it("polling handshake: 200, open packet with exactly sid, upgrades, pingInterval, pingTimeout, maxPayload", T, async () => {
      for (const path of ["/socket.io/", ECHO]) {
        const res = await request({ port, path: eioPath({ path }) });
        assert.equal(res.status, 200, `${path}: ${res.text}`);
        assert.equal(res.text[0], "0", `${path}: open packet: ${res.text}`);
        assert.ok(!res.text.includes("\x1e"), "only the open packet");
        assertOpenPacket(JSON.parse(res.text.slice(1)), { upgrades: ["websocket"] });
      }
    });

    it("query arguments in any order, with extra ones (python-socketio sends transport before EIO)", T, async () => {
      for (const q of ["transport=polling&EIO=4", "t=Nx1&transport=polling&EIO=4", "EIO=4&b64=1&transport=polling&t=x"]) {
        const res = await request({ port, path: `/socket.io/?${q}` });
        assert.equal(res.status, 200, `${q}: ${res.text}`);
        assertOpenPacket(JSON.parse(res.text.slice(1)), { upgrades: ["websocket"] });
      }
      // a name is matched exactly, not by prefix
      assertEioError(await request({ port, path: "/socket.io/?EIOx=4&transport=polling" }), 5, "Unsupported protocol version", "EIOx");
      assertEioError(await request({ port, path: "/socket.io/?EIO=4&transports=polling" }), 0, "Transport unknown", "transports");
    });

    it("two handshakes get different sids", T, async () => {
      const a = new PollingSession(port);
      const b = new PollingSession(port);
      await a.handshake();
      await b.handshake();
      assert.notEqual(a.sid, b.sid);
    });

    it("websocket-only handshake: first text frame is the open packet with upgrades []", T, async () => {
      for (const path of ["/socket.io/", ECHO]) {
        const ws = await openWsSession(port, { path });
        try {
          assertOpenPacket(ws.open, { upgrades: [] });
          // the session works: the echo path sends the message back
          if (path === ECHO) {
            ws.send("4hi");
            assert.equal(await ws.nextText(), "4hi");
          }
        } finally {
          ws.close();
        }
      }
    });

    it("400 Transport unknown (code 0) for a missing or unknown transport", T, async () => {
      assertEioError(await request({ port, path: eioPath({ transport: "abc" }) }), 0, "Transport unknown", "transport=abc");
      assertEioError(await request({ port, path: eioPath({ transport: null }) }), 0, "Transport unknown", "no transport");
      assertEioError(await request({ port, path: eioPath({ transport: "constructor" }) }), 0, "Transport unknown", "transport=constructor");
    });

    it("400 Session ID unknown (code 1) for an unknown sid, on GET and POST", T, async () => {
      assertEioError(await request({ port, path: eioPath({ sid: "nosuchsid" }) }), 1, "Session ID unknown", "GET");
      assertEioError(await request({ port, method: "POST", path: eioPath({ sid: "nosuchsid" }), body: "4x" }), 1, "Session ID unknown", "POST");
      assertEioError(await request({ port, path: eioPath({ path: ECHO, sid: "nosuchsid" }) }), 1, "Session ID unknown", "echo path");
    });

    it("400 Bad handshake method (code 2) for a polling handshake that is not a GET", T, async () => {
      for (const method of ["POST", "PUT", "DELETE"]) {
        const res = await request({ port, method, path: eioPath({}), body: method === "DELETE" ? undefined : "40" });
        assertEioError(res, 2, "Bad handshake method", method);
      }
    });

    it("400 Bad request (code 3) for a plain GET with transport=websocket", T, async () => {
      assertEioError(await request({ port, path: eioPath({ transport: "websocket" }) }), 3, "Bad request", "GET transport=websocket");
    });

    it("400 Unsupported protocol version (code 5) for EIO missing, 3 or not a number", T, async () => {
      for (const EIO of [null, 3, "abc", 5]) {
        assertEioError(await request({ port, path: eioPath({ EIO }) }), 5, "Unsupported protocol version", `EIO=${EIO}`);
      }
    });

    it("websocket requests with a bad EIO, a bad transport or an unknown sid end in a close", T, async () => {
      const base = `ws://127.0.0.1:${port}`;
      await assertWsRefused(`${base}/socket.io/?transport=websocket`, "no EIO");
      await assertWsRefused(`${base}/socket.io/?EIO=3&transport=websocket`, "EIO=3");
      await assertWsRefused(`${base}/socket.io/?EIO=4&transport=abc`, "transport=abc");
      await assertWsRefused(`${base}/socket.io/?EIO=4&transport=websocket&sid=nosuchsid`, "unknown sid");
    });
  });

  describe("polling", () => {
    it("POST is answered 200 \"ok\"; GET returns every queued packet in one body (text and b+base64 binary)", T, async () => {
      const s = new PollingSession(port, ECHO);
      await s.handshake();
      const packets = ["4a", "4b", Buffer.from([1, 2, 3, 0, 255]), "4é€", "4"];
      const post = await s.post(encodePayload(packets));
      assert.equal(post.status, 200);
      assert.equal(post.text, "ok");
      const get = await s.get();
      assert.equal(get.status, 200);
      assert.equal(get.text, `4a\x1e4b\x1eb${Buffer.from([1, 2, 3, 0, 255]).toString("base64")}\x1e4é€\x1e4`);
      assert.deepEqual(decodePayload(get.text), packets);
    });

    it("keep-alive: handshake, POSTs and GETs reuse one connection", T, async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const hs = startRequest({ port, path: eioPath({ path: ECHO }), agent });
        const open = JSON.parse((await hs.response).text.slice(1));
        const reused = [];
        for (let i = 0; i < 3; i++) {
          const post = startRequest({ port, method: "POST", path: eioPath({ path: ECHO, sid: open.sid }), body: `4m${i}`, agent });
          assert.equal((await post.response).text, "ok");
          const get = startRequest({ port, path: eioPath({ path: ECHO, sid: open.sid }), agent });
          assert.equal((await get.response).text, `4m${i}`);
          reused.push(post.req.reusedSocket, get.req.reusedSocket);
        }
        assert.deepEqual(reused, [true, true, true, true, true, true], "every request after the handshake reused the socket");
      } finally {
        agent.destroy();
      }
    });

    it("a GET with nothing queued is held until there is something to send", T, async () => {
      const s = new PollingSession(port, ECHO);
      await s.handshake();
      const pending = s.get();
      await sleep(100);
      const post = await s.post("4late");
      assert.equal(post.text, "ok");
      const get = await pending;
      assert.equal(get.status, 200);
      assert.equal(get.text, "4late");
    });

    it("a second concurrent GET gets 400, the pending one completes with \"1\", the session is closed", T, async () => {
      const s = new PollingSession(port);
      await s.handshake();
      const first = s.get();
      await sleep(50);
      const second = await s.get();
      assert.equal(second.status, 400);
      const res = await first;
      assert.equal(res.status, 200);
      assert.equal(res.text, "1");
      assertEioError(await s.get(), 1, "Session ID unknown", "GET after");
    });

    it("a POSTed \"1\" completes the pending GET with \"6\" and closes the session", T, async () => {
      const s = new PollingSession(port);
      await s.handshake();
      const pending = s.get();
      await sleep(50);
      const post = await s.post("1");
      assert.equal(post.status, 200);
      assert.equal(post.text, "ok");
      const res = await pending;
      assert.equal(res.status, 200);
      assert.equal(res.text, "6");
      assertEioError(await s.get(), 1, "Session ID unknown", "GET after close");
      assertEioError(await s.post("4x"), 1, "Session ID unknown", "POST after close");
    });

    it("a client that drops its pending GET closes the session", T, async () => {
      const s = new PollingSession(port);
      await s.handshake();
      const { req, response } = s.startGet();
      response.catch(() => {});
      await sleep(50);
      req.destroy();
      await sleep(100); // let the server see the TCP close
      assertEioError(await s.get(), 1, "Session ID unknown", "GET after the drop");
    });

    for (const [name, body] of [["abc", "abc"], ["an unknown packet type", "9x"], ["a client ping", "2"], ["an empty packet", ""]]) {
      it(`an invalid packet (${name}) closes the session`, T, async () => {
        const s = new PollingSession(port);
        await s.handshake();
        await s.post(body).catch(() => {});
        assertEioError(await s.get(), 1, "Session ID unknown", "GET after");
      });
    }
  });

  describe("websocket", () => {
    it("the echo path echoes text frames as text and binary frames as binary (no type byte)", T, async () => {
      const ws = await openWsSession(port, { path: ECHO });
      try {
        ws.send("4héllo");
        assert.deepEqual(await ws.next(), { text: "4héllo" });
        const bin = Buffer.from([0, 1, 2, 254, 255]);
        ws.send(bin);
        assert.deepEqual(await ws.next(), { binary: bin });
        ws.send("4");
        assert.deepEqual(await ws.next(), { text: "4" });
        ws.send(Buffer.alloc(0));
        assert.deepEqual(await ws.next(), { binary: Buffer.alloc(0) });
      } finally {
        ws.close();
      }
    });

    it("messages far larger than one receive chunk arrive whole, text and binary, and are echoed in order", T, async () => {
      const ws = await openWsSession(port, { path: ECHO });
      try {
        const text = "4" + "abcdefghij".repeat(50000) + "é"; // 500 KB, UTF-8 at the end
        const bin = Buffer.alloc(300000);
        for (let i = 0; i < bin.length; i++) bin[i] = (i * 7) & 0xff;
        const small = "4after";
        ws.send(text);
        ws.send(bin);
        ws.send(small);
        assert.deepEqual(await ws.next(), { text });
        assert.deepEqual(await ws.next(), { binary: bin });
        assert.deepEqual(await ws.next(), { text: small });
      } finally {
        ws.close();
      }
    });

    for (const [name, frame] of [["abc", "abc"], ["an unknown type", "9"], ["a client ping (not EIO4)", "2"]]) {
      it(`${name} from the client closes the connection`, T, async () => {
        const ws = await openWsSession(port, { path: ECHO });
        ws.send(frame);
        await ws.waitClose(2000);
      });
    }

    // The note says "1" closes at once; the reference (engine.io 6.6) ignores "1" on a WebSocket, and its
    // Socket.IO session is then closed by connectTimeout (1000 ms) - the official test-suite's check.
    it("a close packet \"1\" from the client ends in a close", T, async () => {
      const ws = await openWsSession(port);
      ws.send("1");
      await ws.waitClose(2000);
    });
  });

  describe("heartbeat", () => {
    it("polling: \"2\" after pingInterval, again pingInterval after each \"3\"", T, async () => {
      const s = new PollingSession(port, ECHO);
      await s.handshake();
      for (let i = 0; i < 3; i++) {
        const t0 = Date.now();
        const res = await s.get();
        const dt = Date.now() - t0;
        assert.equal(res.text, "2", `ping ${i}`);
        assert.ok(dt >= 150 && dt < 1000, `ping ${i} after ${dt} ms (pingInterval 300)`);
        assert.equal((await s.post("3")).text, "ok");
      }
    });

    it("polling: no pong within pingTimeout closes the session (pending GET gets \"1\", then 400)", T, async () => {
      const s = new PollingSession(port, ECHO);
      await s.handshake();
      assert.equal((await s.get()).text, "2");
      const t0 = Date.now();
      const res = await s.get();
      const dt = Date.now() - t0;
      assert.equal(res.status, 200);
      assert.equal(res.text, "1");
      assert.ok(dt >= 100 && dt < 1000, `closed ${dt} ms after the ping (pingTimeout 200)`);
      assertEioError(await s.get(), 1, "Session ID unknown", "GET after ping timeout");
    });

    it("the deadline is checked when a request arrives: a GET 520 ms after the handshake without pong gets 400", T, async () => {
      const s = new PollingSession(port, ECHO);
      await s.handshake();
      await sleep(520 - (Date.now() - s.handshakeAt));
      assertEioError(await s.get(), 1, "Session ID unknown", "late GET");
    });

    it("websocket: pings every pingInterval, answered pongs keep the session alive", T, async () => {
      const ws = await openWsSession(port, { path: ECHO, autoPong: false });
      try {
        const t0 = Date.now();
        for (let i = 0; i < 3; i++) {
          assert.equal(await ws.nextText(1000), "2", `ping ${i}`);
          ws.send("3");
        }
        const dt = Date.now() - t0;
        assert.ok(dt >= 600 && dt < 2000, `3 pings took ${dt} ms (pingInterval 300)`);
        ws.send("4still");
        assert.equal(await ws.nextText(), "4still");
      } finally {
        ws.close();
      }
    });

    it("websocket: no pong closes the connection (ping timeout)", T, async () => {
      const ws = await openWsSession(port, { path: ECHO, autoPong: false });
      const t0 = Date.now();
      assert.equal(await ws.nextText(1000), "2");
      await ws.waitClose(2000);
      const dt = Date.now() - t0;
      assert.ok(dt >= 350 && dt < 1500, `closed ${dt} ms after the handshake (300 + 200)`);
    });
  });

  describe("upgrade", () => {
    it("2probe -> 3probe, the pending GET is answered \"6\", 5 completes; then polling gets 400 and a second websocket is closed", T, async () => {
      const s = new PollingSession(port, ECHO);
      await s.handshake();
      const pending = s.get();
      const ws = new RawWs(`ws://127.0.0.1:${port}${eioPath({ path: ECHO, transport: "websocket", sid: s.sid })}`);
      const ws2 = { close() {} };
      try {
        await ws.opened;
        assert.ok(await ws.quietFor(100), "no open packet on the probing websocket");
        ws.send("2probe");
        assert.equal(await ws.nextText(), "3probe");
        const res = await pending;
        assert.equal(res.status, 200);
        assert.equal(res.text, "6");
        ws.send("5");
        ws.send("4after-upgrade");
        assert.equal(await ws.nextText(), "4after-upgrade");
        ws.send(Buffer.from([9, 8, 7]));
        assert.deepEqual(await ws.next(), { binary: Buffer.from([9, 8, 7]) });

        assertEioError(await s.get(), 3, "Bad request", "polling GET after upgrade");
        const post = await s.post("4x");
        assert.equal(post.status, 400, "polling POST after upgrade");

        const second = new RawWs(`ws://127.0.0.1:${port}${eioPath({ path: ECHO, transport: "websocket", sid: s.sid })}`);
        ws2.close = () => second.close();
        await second.waitClose(3000);
        assert.ok(!second.queue.some((m) => m.text && m.text.startsWith("0")), "no open packet on the second websocket");

        // the upgraded websocket keeps working, and the heartbeat now runs over it
        ws.send("4still-here");
        assert.equal(await ws.nextText(), "4still-here");
        const pings = ws.pings;
        const deadline = Date.now() + 1500;
        while (ws.pings === pings && Date.now() < deadline) await sleep(20);
        assert.ok(ws.pings > pings, "a ping arrived over the upgraded websocket");
        await sleep(400); // past pingInterval + pingTimeout: the pongs kept it open
        assert.ok(ws.isOpen, "still open");
      } finally {
        ws.close();
        ws2.close();
      }
    });

    it("2probe and 5 back to back, followed at once by a message, are handled in order", T, async () => {
      const s = new PollingSession(port, ECHO);
      await s.handshake();
      const ws = new RawWs(`ws://127.0.0.1:${port}${eioPath({ path: ECHO, transport: "websocket", sid: s.sid })}`);
      try {
        await ws.opened;
        ws.send("2probe");
        ws.send("5");
        ws.send("4m1");
        ws.send("4m2");
        assert.equal(await ws.nextText(), "3probe");
        assert.equal(await ws.nextText(), "4m1");
        assert.equal(await ws.nextText(), "4m2");
      } finally {
        ws.close();
      }
    });

    it("packets queued before the upgrade are not lost", T, async () => {
      const s = new PollingSession(port, ECHO);
      await s.handshake();
      assert.equal((await s.post("4before")).text, "ok");
      const ws = new RawWs(`ws://127.0.0.1:${port}${eioPath({ path: ECHO, transport: "websocket", sid: s.sid })}`);
      try {
        await ws.opened;
        ws.send("2probe");
        assert.equal(await ws.nextText(), "3probe");
        ws.send("5");
        // nobody polled: the queued message goes out over the websocket once the upgrade completes
        assert.equal(await ws.nextText(), "4before");
      } finally {
        ws.close();
      }
    });
  });
});

describe("engine.io maxPayload 1000", () => {
  let hub;
  let port;
  before(async () => {
    hub = await hubs.start({ config: hubs.conformanceConfig({ maxPayload: 1000 }) });
    port = hub.port;
  });
  after(async () => {
    if (hub) await hub.stop();
  });

  it("the handshake announces maxPayload 1000", T, async () => {
    const s = new PollingSession(port, ECHO);
    const open = await s.handshake();
    assertOpenPacket(open, { upgrades: ["websocket"], maxPayload: 1000 });
  });

  it("polling: a 1000-byte POST is accepted, a 1001-byte POST gets 413 and is not delivered", T, async () => {
    const s = new PollingSession(port, ECHO);
    await s.handshake();
    const ok = "4" + "a".repeat(999);
    const res = await s.post(ok);
    assert.equal(res.status, 200);
    assert.equal(res.text, "ok");
    assert.equal((await s.get()).text, ok);
    const big = await s.post("4" + "b".repeat(1000));
    assert.equal(big.status, 413);
    const next = await s.get().catch((e) => ({ text: `error ${e.message}` }));
    assert.ok(!next.text.includes("bbbb"), "the over-size payload was not echoed");
  });

  it("websocket: a 1000-byte frame is echoed, a 1001-byte frame closes the connection", T, async () => {
    const ws = await openWsSession(port, { path: ECHO });
    const ok = "4" + "a".repeat(999);
    ws.send(ok);
    assert.equal(await ws.nextText(), ok);
    ws.send("4" + "b".repeat(1000));
    const info = await ws.waitClose(2000);
    assert.ok(!ws.queue.some((m) => m.text && m.text.includes("bbbb")), "the over-size frame was not echoed");
    assert.notEqual(info.code, 1000, `closed as an error (${info.code})`);
  });

  it("websocket: a 1001-byte binary frame closes the connection", T, async () => {
    const ws = await openWsSession(port, { path: ECHO });
    ws.send(Buffer.alloc(1000, 1));
    assert.deepEqual(await ws.next(), { binary: Buffer.alloc(1000, 1) });
    ws.send(Buffer.alloc(1001, 2));
    await ws.waitClose(2000);
  });
});

describe("engine.io CORS", () => {
  const FOREIGN = "http://foreign.example";
  const preflightHeaders = (origin) => ({
    Origin: origin,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type",
  });

  it("default: no Access-Control-Allow-Origin for a foreign Origin; OPTIONS is a bad handshake method", T, async () => {
    const hub = await hubs.start({ config: hubs.conformanceConfig() });
    try {
      const res = await request({ port: hub.port, path: eioPath({}), headers: { Origin: FOREIGN } });
      assert.equal(res.status, 200);
      assert.equal(res.headers["access-control-allow-origin"], undefined);
      assert.equal(res.headers["access-control-allow-credentials"], undefined);
      const pre = await request({ port: hub.port, method: "OPTIONS", path: eioPath({}), headers: preflightHeaders(FOREIGN) });
      assertEioError(pre, 2, "Bad handshake method", "OPTIONS without cors");
      assert.equal(pre.headers["access-control-allow-origin"], undefined);
    } finally {
      await hub.stop();
    }
  });

  it("origin \"*\": the header is on handshakes, polling requests and errors; preflight is 204", T, async () => {
    const hub = await hubs.start({ config: hubs.conformanceConfig({ cors: { origin: "*" } }) });
    try {
      const port = hub.port;
      const hs = await request({ port, path: eioPath({ path: ECHO }), headers: { Origin: FOREIGN } });
      assert.equal(hs.status, 200);
      assert.equal(hs.headers["access-control-allow-origin"], "*");
      const sid = JSON.parse(hs.text.slice(1)).sid;
      const post = await request({ port, method: "POST", path: eioPath({ path: ECHO, sid }), body: "4x", headers: { Origin: FOREIGN } });
      assert.equal(post.text, "ok");
      assert.equal(post.headers["access-control-allow-origin"], "*");
      const get = await request({ port, path: eioPath({ path: ECHO, sid }), headers: { Origin: FOREIGN } });
      assert.equal(get.text, "4x");
      assert.equal(get.headers["access-control-allow-origin"], "*");
      const err = await request({ port, path: eioPath({ transport: "abc" }), headers: { Origin: FOREIGN } });
      assertEioError(err, 0, "Transport unknown", "error with cors");
      assert.equal(err.headers["access-control-allow-origin"], "*");

      const pre = await request({ port, method: "OPTIONS", path: eioPath({}), headers: preflightHeaders(FOREIGN) });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers["access-control-allow-origin"], "*");
      const methods = String(pre.headers["access-control-allow-methods"]).split(",").map((m) => m.trim());
      assert.ok(methods.includes("GET") && methods.includes("POST"), `allow-methods ${methods}`);
      assert.match(String(pre.headers["access-control-allow-headers"]), /content-type/i);
      const preSid = await request({ port, method: "OPTIONS", path: eioPath({ sid }), headers: preflightHeaders(FOREIGN) });
      assert.equal(preSid.status, 204, "preflight of a session request");
      assert.equal(preSid.headers["access-control-allow-origin"], "*");
    } finally {
      await hub.stop();
    }
  });

  it("origin list with credentials: the matching origin is echoed with credentials, a foreign one is not", T, async () => {
    const A = "http://a.example";
    const B = "http://b.example";
    const hub = await hubs.start({ config: hubs.conformanceConfig({ cors: { origin: [A, B], credentials: true } }) });
    try {
      const port = hub.port;
      for (const origin of [A, B]) {
        const res = await request({ port, path: eioPath({}), headers: { Origin: origin } });
        assert.equal(res.status, 200);
        assert.equal(res.headers["access-control-allow-origin"], origin);
        assert.equal(res.headers["access-control-allow-credentials"], "true");
        const pre = await request({ port, method: "OPTIONS", path: eioPath({}), headers: preflightHeaders(origin) });
        assert.equal(pre.status, 204);
        assert.equal(pre.headers["access-control-allow-origin"], origin);
        assert.equal(pre.headers["access-control-allow-credentials"], "true");
      }
      const res = await request({ port, path: eioPath({}), headers: { Origin: FOREIGN } });
      assert.equal(res.status, 200);
      assert.equal(res.headers["access-control-allow-origin"], undefined);
    } finally {
      await hub.stop();
    }
  });
});
