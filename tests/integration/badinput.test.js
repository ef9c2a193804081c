// Bad input: garbage, truncated, oversized and inconsistent packets on polling and WebSocket sessions.
// Each case gets the protocol's error and closes only the offending session: after every case two witness
// clients (stock socket.io-client, one on websocket, one on polling) must still get their echoes and acks.
// Run: node --test tests/integration/badinput.test.js   (HUB_TARGET=reference to check the reference server)
"use strict";

const net = require("node:net");
const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const hubs = require("./lib/hub");
const { request, encodePayload, decodePayload, eioPath, PollingSession, RawWs, openSioSession, sendAll } = require("./lib/raw");
const { ClientPool, once } = require("./lib/clients");

const T = { timeout: 15000 };
const MAX_PAYLOAD = 10000;

const SESSION_UNKNOWN = JSON.stringify({ code: 1, message: "Session ID unknown" });

// A polling session connected to Socket.IO "/" (CONNECT reply and auth event consumed).
async function sioPolling(port) {
  const s = new PollingSession(port);
  await s.handshake();
  assert.equal((await s.post("40")).text, "ok");
  const packets = [];
  while (!packets.some((p) => p.startsWith('42["auth",'))) {
    const res = await s.get();
    assert.equal(res.status, 200, `GET after CONNECT: ${res.text}`);
    packets.push(...decodePayload(res.text).filter((p) => p !== "2"));
  }
  assert.ok(packets[0].startsWith("40{"), `CONNECT reply ${packets[0]}`);
  return s;
}

// The session is closed: a GET gets 400 "Session ID unknown", or a last payload ending with the close packet
// "1" (a noop "6" may come first) and then 400.
async function assertPollingClosed(s, what) {
  const res = await s.get();
  if (res.status === 200) {
    const packets = decodePayload(res.text);
    assert.ok(
      packets.length > 0 && packets[packets.length - 1] === "1" && packets.every((p) => p === "1" || p === "6"),
      `${what}: session should be closed, GET returned ${JSON.stringify(res.text)}`,
    );
    const again = await s.get();
    assert.equal(again.status, 400, `${what}: GET after the close packet`);
    assert.equal(again.text, SESSION_UNKNOWN);
  } else {
    assert.equal(res.status, 400, `${what}: ${res.text}`);
    assert.equal(res.text, SESSION_UNKNOWN, what);
  }
}

// The websocket is closed without having sent anything but pings.
async function assertWsClosed(w, what, ms = 1500) {
  await w.waitClose(ms).catch((e) => assert.fail(`${what}: ${e.message}; received ${JSON.stringify(w.queue)}`));
  assert.deepEqual(w.queue, [], `${what}: nothing but the close`);
}

// Raw TCP: sends data, resolves {closed, data} when the server closes or after ms.
function rawTcp(port, data, ms = 1500) {
  return new Promise((resolve) => {
    const sock = net.connect(port, "127.0.0.1");
    let buf = "";
    let done = false;
    const finish = (closed) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ closed, data: buf });
    };
    const timer = setTimeout(() => finish(false), ms);
    sock.on("data", (d) => (buf += d.toString("latin1")));
    sock.on("error", () => finish(true));
    sock.on("close", () => finish(true));
    sock.write(data);
  });
}

describe("bad input", () => {
  let hub;
  let port;
  const pool = new ClientPool();
  let wsWitness;
  let pollWitness;
  let seq = 0;

  // Both witnesses still work: an echo and an ack each.
  async function witnessesOk(what) {
    assert.ok(!hub.exited, `${what}: the hub exited (${hub.exitCode}, ${hub.exitSignal})\n${hub.logTail()}`);
    const n = ++seq;
    for (const w of [wsWitness, pollWitness]) {
      assert.equal(w.connected, true, `${what}: witness ${w.io.engine && w.io.engine.transport.name} disconnected`);
      const back = once(w, "message-back");
      w.emit("message", n, Buffer.from([n & 255]));
      const [m, b] = await back;
      assert.equal(m, n, what);
      assert.deepEqual(Buffer.from(b), Buffer.from([n & 255]));
      assert.equal(await w.timeout(2000).emitWithAck("message-with-ack", n), n, `${what}: ack`);
    }
  }

  before(async () => {
    hub = await hubs.start({ config: hubs.conformanceConfig({ maxPayload: MAX_PAYLOAD }) });
    port = hub.port;
    wsWitness = await pool.connect(hub.url, "/", { transports: ["websocket"] });
    pollWitness = await pool.connect(hub.url, "/custom", { transports: ["polling"] });
    await witnessesOk("before");
  });
  after(async () => {
    pool.closeAll();
    if (hub) await hub.stop();
  });

  describe("polling POST", () => {
    const closingCases = [
      ["random binary bytes", Buffer.from([0xff, 0xfe, 0x00, 0x1e, 0x80])],
      ["empty packets (separators only)", "\x1e\x1e"],
      ["an unknown Engine.IO type", "7"],
      ["a client ping", "2"],
      ["binary packet with invalid base64", "b!!!"],
      ["empty binary packet without a placeholder packet", "b"],
      ["binary attachment with no BINARY_EVENT", encodePayload([Buffer.from([1, 2])])],
      ["truncated Socket.IO JSON", '42["message"'],
      ["truncated binary header", "452"],
      ["invalid JSON", '42["message",01]'],
      ["JSON with trailing garbage", '42["message"]]'],
      ["an unknown Socket.IO type", '49["x"]'],
      ["an empty Socket.IO packet", "4"],
      ["a non-array event payload", '42{"a":1}'],
      ["a non-numeric ack id", '42x["message-with-ack"]'],
      ["fewer attachments than announced", encodePayload(['452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]', Buffer.from([1]), '42["message",1]'])],
      ["a placeholder number out of range", encodePayload(['451-["message",{"_placeholder":true,"num":5}]', Buffer.from([1])])],
      ["a negative attachment count", '45-1-["message"]'],
      ["a second CONNECT to the same namespace", "40"],
      ["an EVENT for a namespace not connected", '42/custom,["message",1]'],
    ];
    for (const [name, body] of closingCases) {
      it(`${name}: the session closes, others keep working`, T, async () => {
        const s = await sioPolling(port);
        const res = await s.post(body);
        assert.ok(res.status === 200 || res.status === 400, `POST status ${res.status} ${res.text}`);
        await assertPollingClosed(s, name);
        await witnessesOk(name);
      });
    }

    it("an oversized POST gets 413 and is not delivered", T, async () => {
      const s = await sioPolling(port);
      const res = await s.post(`42["message","${"x".repeat(MAX_PAYLOAD)}"]`);
      assert.equal(res.status, 413);
      await witnessesOk("oversized POST");
    });

    it("an ACK for an unknown id is ignored", T, async () => {
      const s = await sioPolling(port);
      assert.equal((await s.post("43999[1]")).text, "ok");
      assert.equal((await s.post('42["message","alive"]')).text, "ok");
      const got = decodePayload((await s.get()).text).filter((p) => p !== "2");
      assert.deepEqual(got, ['42["message-back","alive"]']);
      await s.post("1");
      await witnessesOk("unknown ack id");
    });

    it("invalid UTF-8 in a text packet: replaced or refused, never a crash", T, async () => {
      const s = await sioPolling(port);
      const body = Buffer.concat([Buffer.from('42["message","'), Buffer.from([0xc3, 0x28]), Buffer.from('"]')]);
      const res = await s.post(body);
      if (res.status === 200) {
        const get = await s.get();
        if (get.status === 200 && get.text.startsWith("42")) {
          assert.equal(get.text, '42["message-back","\ufffd("]');
          await s.post("1");
        }
      }
      await witnessesOk("invalid UTF-8 over polling");
    });

    it("unknown sid: 400 Session ID unknown on GET and POST", T, async () => {
      for (const method of ["GET", "POST"]) {
        const res = await request({ port, method, path: eioPath({ sid: "AAAAAAAAAAAAAAAAAAAA" }), body: method === "POST" ? "40" : undefined });
        assert.equal(res.status, 400);
        assert.equal(res.text, SESSION_UNKNOWN);
      }
      await witnessesOk("unknown sid");
    });

    it("POST and GET to a websocket session: 400 Bad request, the websocket session is unaffected", T, async () => {
      const w = await openSioSession(port);
      try {
        for (const method of ["POST", "GET"]) {
          const res = await request({ port, method, path: eioPath({ sid: w.sid }), body: method === "POST" ? '42["message","via-post"]' : undefined });
          assert.equal(res.status, 400, `${method}: ${res.text}`);
          assert.equal(res.text, JSON.stringify({ code: 3, message: "Bad request" }));
        }
        w.send('42["message","ws"]');
        assert.equal(await w.nextText(), '42["message-back","ws"]');
      } finally {
        w.close();
      }
      await witnessesOk("POST to a websocket session");
    });

    it("a POST body cut short by the client does not disturb anyone else", T, async () => {
      const s = await sioPolling(port);
      const r = await rawTcp(port, `POST ${s.url()} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n42["mess`, 300);
      assert.ok(!r.data.startsWith("HTTP/1.1 200"), `no reply to an incomplete body: ${r.data}`);
      await witnessesOk("truncated POST body");
    });
  });

  describe("websocket frames", () => {
    const closingCases = [
      ["a garbage text frame", "garbage"],
      ["an empty text frame", ""],
      ["a binary frame with no BINARY_EVENT", Buffer.from([1, 2, 3])],
      ["an unknown Engine.IO type", "8"],
      ["truncated Socket.IO JSON", '42["message"'],
      ["invalid JSON", '42[message]'],
      ["an unknown Socket.IO type", '49["x"]'],
      ["an empty Socket.IO packet", "4"],
      ["a non-array event payload", '42"x"'],
      ["a non-numeric ack id", '42x["message-with-ack"]'],
      ["fewer attachments than announced", ['452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]', Buffer.from([1]), '42["message",1]']],
      ["a placeholder number out of range", ['451-["message",{"_placeholder":true,"num":5}]', Buffer.from([1])]],
      ["a negative attachment count", '45-1-["message"]'],
      ["a BINARY_EVENT with zero attachments", '450-["message",1]'],
      ["a huge attachment count", '45300000000000000000000-["message"]'],
      ["a second CONNECT to the same namespace", "40"],
      ["an EVENT for a namespace not connected", '42/custom,["message",1]'],
    ];
    for (const [name, data] of closingCases) {
      it(`${name}: the connection closes, others keep working`, T, async () => {
        const w = await openSioSession(port);
        try {
          if (Array.isArray(data)) sendAll(w, data);
          else w.send(data);
          await assertWsClosed(w, name);
        } finally {
          w.close();
        }
        await witnessesOk(name);
      });
    }

    it("invalid UTF-8 in a text frame closes the connection", T, async () => {
      const w = await openSioSession(port);
      try {
        // a masked text frame "4\xc3(" written below the ws library, which would refuse to send it
        w.ws._socket.write(Buffer.from([0x81, 0x83, 0, 0, 0, 0, 0x34, 0xc3, 0x28]));
        await assertWsClosed(w, "invalid UTF-8");
      } finally {
        w.close();
      }
      await witnessesOk("invalid UTF-8 over websocket");
    });

    it("an oversized frame closes the connection", T, async () => {
      const w = await openSioSession(port);
      try {
        w.send(`42["message","${"x".repeat(MAX_PAYLOAD)}"]`);
        await assertWsClosed(w, "oversized frame");
      } finally {
        w.close();
      }
      await witnessesOk("oversized frame");
    });

    it("an oversized binary attachment closes the connection", T, async () => {
      const w = await openSioSession(port);
      try {
        sendAll(w, ['451-["message",{"_placeholder":true,"num":0}]', Buffer.alloc(MAX_PAYLOAD + 1)]);
        await assertWsClosed(w, "oversized attachment");
      } finally {
        w.close();
      }
      await witnessesOk("oversized attachment");
    });

    it("a large ack id is answered with the same id", T, async () => {
      const w = await openSioSession(port);
      try {
        w.send('424294967296["message-with-ack",1]');
        assert.equal(await w.nextText(), "434294967296[1]");
      } finally {
        w.close();
      }
      await witnessesOk("large ack id");
    });

    it("a huge ack id (22 digits) is answered with an ACK or closes the connection, never more", T, async () => {
      const w = await openSioSession(port);
      try {
        w.send('4299999999999999999999["message-with-ack",1]');
        const m = await w.next(1500).catch(() => null);
        if (m !== null) assert.match(m.text ?? "", /^43\d+\[1\]$/, `reply ${JSON.stringify(m)}`);
        else assert.ok(!w.isOpen, "no reply: then the connection must be closed");
      } finally {
        w.close();
      }
      await witnessesOk("huge ack id");
    });

    it("an ACK for an unknown id is ignored; a placeholder object in a plain EVENT is just data", T, async () => {
      const w = await openSioSession(port);
      try {
        w.send("43999[1]");
        w.send('42["message",{"_placeholder":true,"num":0}]');
        assert.equal(await w.nextText(), '42["message-back",{"_placeholder":true,"num":0}]');
      } finally {
        w.close();
      }
      await witnessesOk("unknown ack id over websocket");
    });

    it("an upgrade with an unknown sid is refused", T, async () => {
      const w = new RawWs(`ws://127.0.0.1:${port}${eioPath({ transport: "websocket", sid: "AAAAAAAAAAAAAAAAAAAA" })}`);
      await w.waitClose(2000);
      assert.deepEqual(w.queue, []);
      await witnessesOk("upgrade with unknown sid");
    });
  });

  describe("raw TCP", () => {
    for (const [name, data] of [
      ["a request line that is not HTTP", "GARBAGE\r\n\r\n"],
      ["binary bytes", Buffer.from([0, 1, 2, 3, 255, 254, 13, 10, 13, 10])],
      ["a header without a colon", "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n"],
    ]) {
      it(`${name}: 400 or a close, others keep working`, T, async () => {
        const r = await rawTcp(port, data);
        assert.ok(r.closed || r.data.startsWith("HTTP/1.1 400"), `closed or 400: ${JSON.stringify(r)}`);
        if (r.data) assert.match(r.data, /^HTTP\/1\.[01] 4\d\d/);
        await witnessesOk(name);
      });
    }
  });
});
