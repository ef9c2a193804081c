// Engine.IO v3 / Socket.IO protocol v4 clients (socket.io-client 2.x) with allowEIO3: true, as the
// reference (engine.io 6 allowEIO3, socket.io 4's conn.protocol === 3 branches) serves them: the
// socket.io-client 2.5.0 package (npm alias socket.io-client-v2) on every transport, next to a v4 client,
// and raw HTTP/WebSocket checks of the v3 framing. Without allowEIO3, EIO=3 is refused (code 5).
// Run: node --test tests/integration/eio3.test.js   (HUB_TARGET=reference to check the reference server)
"use strict";

const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const hubs = require("./lib/hub");
const { startRedis, startNode } = require("./lib/redis");
const { sleep, request, startRequest, eioPath, RawWs, withTimeout } = require("./lib/raw");
const ioV2 = require("socket.io-client-v2");
const ioV4 = require("socket.io-client");

const T = { timeout: 20000 };

function config(overrides = {}) {
  return hubs.conformanceConfig({
    allowEIO3: true,
    namespaces: {
      "/": { app: "echo" },
      "/custom": { app: "echo" },
      "/chat": { app: "relay" },
      "/cluster": { app: "cluster" },
    },
    ...overrides,
  });
}

// A v3 text payload: "<UTF-16 length>:<packet>" for each packet.
function v3Payload(packets) {
  return packets.map((p) => `${p.length}:${p}`).join("");
}

// Splits a v3 text payload (lengths in UTF-16 code units, as a JS string counts them).
function v3Decode(text) {
  const out = [];
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(":", i);
    assert.ok(colon > i, `length before ':' at ${i} in ${JSON.stringify(text)}`);
    const n = Number(text.slice(i, colon));
    assert.ok(Number.isInteger(n), `a decimal length in ${JSON.stringify(text)}`);
    out.push(text.slice(colon + 1, colon + 1 + n));
    i = colon + 1 + n;
  }
  assert.equal(i, text.length, `records fill the payload ${JSON.stringify(text)}`);
  return out;
}

// Splits a v3 binary payload: [0|1][length digits as bytes][255][record].
function v3DecodeBinary(buf) {
  const out = [];
  let i = 0;
  while (i < buf.length) {
    const isString = buf[i] === 0;
    let j = i + 1;
    let digits = "";
    while (buf[j] !== 255) digits += String(buf[j++]);
    const n = Number(digits);
    const rec = buf.subarray(j + 1, j + 1 + n);
    out.push(isString ? rec.toString("utf8") : Buffer.from(rec));
    i = j + 1 + n;
  }
  return out;
}

// What a v3 session on "/" gets first: CONNECT without payload, then the echo app's "auth" event.
const CONNECTED = v3Payload(["40", '42["auth",{}]']);

function v3Path(extra) {
  return eioPath({ EIO: 3, extra });
}

// A raw v3 polling session.
async function v3Handshake(port, extra) {
  const res = await request({ port, path: v3Path(extra) });
  assert.equal(res.status, 200, res.text);
  const [open] = v3Decode(res.text);
  assert.equal(open[0], "0");
  const o = JSON.parse(open.slice(1));
  return { sid: o.sid, open: o, text: res.text, headers: res.headers };
}

function sidPath(sid, extra) {
  return eioPath({ EIO: 3, sid, extra });
}

function v2(url, opts = {}) {
  return ioV2(url, { forceNew: true, reconnection: false, timeout: 5000, ...opts });
}

function v4(url, opts = {}) {
  return ioV4(url, { forceNew: true, reconnection: false, timeout: 5000, ...opts });
}

function once(emitter, event, ms = 3000) {
  return withTimeout(new Promise((resolve) => emitter.once(event, (...args) => resolve(args))), ms, event);
}

async function connected(socket) {
  if (socket.connected) return;
  await withTimeout(
    new Promise((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("connect_error", reject);
      socket.once("error", reject);
    }),
    5000,
    "connect",
  );
}

function emitAck(socket, ...args) {
  return withTimeout(new Promise((resolve) => socket.emit(...args, (...reply) => resolve(reply))), 3000, `ack of ${args[0]}`);
}

describe("engine.io v3 / socket.io-client 2.x (allowEIO3: true)", () => {
  let hub;
  let port;
  before(async () => {
    hub = await hubs.start({ config: config() });
    port = hub.port;
  });
  after(async () => {
    if (hub) await hub.stop();
  });

  describe("raw Engine.IO v3", () => {
    it("polling handshake: a '<length>:' framed open packet with the v4 keys", T, async () => {
      const hs = await v3Handshake(port);
      assert.match(hs.text, /^\d+:0\{/);
      assert.deepEqual(Object.keys(hs.open).sort(), ["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"]);
      assert.deepEqual(hs.open.upgrades, ["websocket"]);
      assert.equal(hs.open.pingInterval, 300);
      assert.equal(hs.open.pingTimeout, 200);
      assert.match(String(hs.headers["content-type"]), /^text\/plain; charset=UTF-8/);
      // the main namespace is joined at once: CONNECT without a payload (then the echo app's "auth")
      const res = await request({ port, path: sidPath(hs.sid) });
      assert.equal(res.text, CONNECTED);
    });

    it("no EIO at all counts as v3", T, async () => {
      const res = await request({ port, path: eioPath({ EIO: null }) });
      assert.equal(res.status, 200);
      assert.match(res.text, /^\d+:0\{/);
    });

    it("the client pings, the server answers pong '1:3'", T, async () => {
      const { sid } = await v3Handshake(port);
      assert.equal((await request({ port, path: sidPath(sid) })).text, CONNECTED);
      const post = await request({ port, method: "POST", path: sidPath(sid), body: "1:2" });
      assert.equal(post.status, 200);
      assert.equal(post.text, "ok");
      assert.equal((await request({ port, path: sidPath(sid) })).text, "1:3");
    });

    it("text payloads: lengths in UTF-16 code units both ways, several packets per body", T, async () => {
      const { sid } = await v3Handshake(port);
      await request({ port, path: sidPath(sid) });
      const a = '42["message","é😀"]';
      const b = '42["message",1]';
      assert.equal(a.length, 19); // the emoji is two UTF-16 units, four UTF-8 bytes
      const body = v3Payload([a, b]);
      assert.equal((await request({ port, method: "POST", path: sidPath(sid), body })).text, "ok");
      await sleep(50);
      const res = await request({ port, path: sidPath(sid) });
      assert.equal(res.text, v3Payload(['42["message-back","é😀"]', '42["message-back",1]']));
    });

    it("binary with b64=1: 'b4<base64>' records in a text payload, both ways", T, async () => {
      const { sid } = await v3Handshake(port, "b64=1");
      await request({ port, path: sidPath(sid, "b64=1") });
      const body = v3Payload(['451-["message",{"_placeholder":true,"num":0}]', "b4AQID"]);
      assert.equal((await request({ port, method: "POST", path: sidPath(sid, "b64=1"), body })).text, "ok");
      await sleep(50);
      const res = await request({ port, path: sidPath(sid, "b64=1") });
      assert.match(String(res.headers["content-type"]), /^text\/plain/);
      assert.equal(res.text, v3Payload(['451-["message-back",{"_placeholder":true,"num":0}]', "b4AQID"]));
    });

    it("binary without b64: the XHR2 binary payload both ways", T, async () => {
      const { sid } = await v3Handshake(port);
      await request({ port, path: sidPath(sid) });
      const text = '451-["message",{"_placeholder":true,"num":0}]';
      const body = Buffer.concat([
        Buffer.from([0, ...String(text.length).split("").map(Number), 255]),
        Buffer.from(text),
        Buffer.from([1, 4, 255, 4, 1, 2, 3]),
      ]);
      const post = await request({
        port, method: "POST", path: sidPath(sid), body, headers: { "Content-Type": "application/octet-stream" },
      });
      assert.equal(post.text, "ok");
      await sleep(50);
      const res = await request({ port, path: sidPath(sid) });
      assert.equal(res.headers["content-type"], "application/octet-stream");
      const recs = v3DecodeBinary(res.body);
      assert.equal(recs.length, 2);
      assert.equal(recs[0], '451-["message-back",{"_placeholder":true,"num":0}]');
      assert.deepEqual(recs[1], Buffer.from([4, 1, 2, 3]));
    });

    it("a bad payload closes the session", T, async () => {
      for (const body of ["abc", "5:42[]", "3:9xy"]) {
        const { sid } = await v3Handshake(port);
        await request({ port, path: sidPath(sid) });
        await request({ port, method: "POST", path: sidPath(sid), body });
        await sleep(30);
        const res = await request({ port, path: sidPath(sid) });
        assert.equal(res.status, 400, `${body}: ${res.text}`);
      }
    });

    it("a pong from a v3 client is the wrong heartbeat direction: the session closes", T, async () => {
      const { sid } = await v3Handshake(port);
      await request({ port, path: sidPath(sid) });
      await request({ port, method: "POST", path: sidPath(sid), body: "1:3" });
      await sleep(30);
      assert.equal((await request({ port, path: sidPath(sid) })).status, 400);
    });

    it("a silent client is closed after pingInterval + pingTimeout; the server never pings", T, async () => {
      const { sid } = await v3Handshake(port);
      await request({ port, path: sidPath(sid) });
      const t0 = Date.now();
      const res = await startRequest({ port, path: sidPath(sid), timeout: 3000 }).response;
      const waited = Date.now() - t0;
      assert.equal(res.text, "1:1", "the held GET ends with a close packet, not a ping");
      assert.ok(waited >= 350, `closed after ${waited} ms`);
      assert.equal((await request({ port, path: sidPath(sid) })).status, 400);
    });

    it("a request with another EIO than the session's is a bad request (code 3)", T, async () => {
      const { sid } = await v3Handshake(port);
      const res = await request({ port, path: eioPath({ EIO: 4, sid }) });
      assert.equal(res.status, 400);
      assert.equal(res.text, JSON.stringify({ code: 3, message: "Bad request" }));
    });

    it("websocket: open packet, '40', binary frames with a type byte, ping/pong", T, async () => {
      const ws = new RawWs(`ws://127.0.0.1:${port}${eioPath({ EIO: 3, transport: "websocket" })}`, { autoPong: false });
      const open = await ws.next();
      assert.equal(open.text[0], "0");
      assert.deepEqual(JSON.parse(open.text.slice(1)).upgrades, []);
      assert.equal((await ws.next()).text, "40");
      assert.equal((await ws.next()).text, '42["auth",{}]');
      ws.send('451-["message",{"_placeholder":true,"num":0}]');
      ws.send(Buffer.from([4, 7, 8]));
      assert.equal((await ws.next()).text, '451-["message-back",{"_placeholder":true,"num":0}]');
      assert.deepEqual((await ws.next()).binary, Buffer.from([4, 7, 8]));
      ws.send("2");
      assert.equal((await ws.next()).text, "3");
      ws.close();
    });

    it("websocket with b64=1: binary as 'b4<base64>' text frames", T, async () => {
      const ws = new RawWs(`ws://127.0.0.1:${port}${eioPath({ EIO: 3, transport: "websocket", extra: "b64=1" })}`, { autoPong: false });
      await ws.next();
      assert.equal((await ws.next()).text, "40");
      assert.equal((await ws.next()).text, '42["auth",{}]');
      ws.send('451-["message",{"_placeholder":true,"num":0}]');
      ws.send("b4BwgJ");
      assert.equal((await ws.next()).text, '451-["message-back",{"_placeholder":true,"num":0}]');
      assert.equal((await ws.next()).text, "b4BwgJ");
      ws.close();
    });

    it("upgrade: 2probe/3probe, the held GET gets '1:6', then 5", T, async () => {
      const { sid } = await v3Handshake(port);
      assert.equal((await request({ port, path: sidPath(sid) })).text, CONNECTED);
      const held = startRequest({ port, path: sidPath(sid), timeout: 3000 });
      await sleep(50);
      const ws = new RawWs(`ws://127.0.0.1:${port}${eioPath({ EIO: 3, transport: "websocket", sid })}`, { autoPong: false });
      await ws.opened;
      ws.send("2probe");
      assert.equal((await ws.next()).text, "3probe");
      assert.equal((await held.response).text, "1:6");
      ws.send("5");
      ws.send('42["message","up"]');
      assert.equal((await ws.next()).text, '42["message-back","up"]');
      ws.close();
    });
  });

  // JSONP polling (engine.io's polling-jsonp.js): any polling handshake with a `j` query parameter, on
  // either revision. engine.io-client 3.x's JSONP transport needs a DOM (it adds <script> and <form>
  // elements), so these are raw HTTP requests, shaped as that client sends them.
  describe("JSONP polling (j=)", () => {
    const FORM = { "Content-Type": "application/x-www-form-urlencoded" };
    // What engine.io-client 3.x's JSONP doWrite puts in its form's textarea.
    const escapeNewlines = (data) => data.replace(/\\n/g, "\\\\n").replace(/\n/g, "\\n");
    const form = (data) => `d=${encodeURIComponent(escapeNewlines(data))}`;
    const js = (index, payload) => `___eio[${index}](${JSON.stringify(payload).replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029")});`;
    // The payload inside a JSONP body.
    function unwrap(text, index) {
      const head = `___eio[${index}](`;
      assert.ok(text.startsWith(head) && text.endsWith(");"), text);
      return JSON.parse(text.slice(head.length, -2));
    }
    async function jsonpOpen(EIO, extra) {
      const res = await request({ port, path: eioPath({ EIO, extra }) });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers["content-type"], "text/plain; charset=UTF-8");
      return res;
    }

    it("v3 handshake and GET: '___eio[<j digits>](\"<payload>\");'", T, async () => {
      const res = await jsonpOpen(3, "j=1a2");
      const [open] = v3Decode(unwrap(res.text, "12"));
      const { sid } = JSON.parse(open.slice(1));
      assert.equal(res.text, js(12, v3Payload([open])));
      // the session keeps the handshake's index, whatever later requests say
      const get = await request({ port, path: sidPath(sid, "j=7") });
      assert.equal(get.headers["content-type"], "text/plain; charset=UTF-8");
      assert.equal(get.text, js(12, CONNECTED));
      const noj = request({ port, path: sidPath(sid) });
      await sleep(30);
      assert.equal((await request({ port, method: "POST", path: sidPath(sid), body: form("1:2"), headers: FORM })).text, "ok");
      assert.equal((await noj).text, js(12, "1:3"));
    });

    it("v3 messages both ways, with escaped and raw newlines, U+2028 and U+2029", T, async () => {
      const { text } = await jsonpOpen(3, "j=0");
      const { sid } = JSON.parse(v3Decode(unwrap(text, 0))[0].slice(1));
      assert.equal((await request({ port, path: sidPath(sid, "j=0") })).text, js(0, CONNECTED));
      // "a\nb" in the JSON (an escaped newline), a raw newline as JSON whitespace, a literal backslash-n
      const packets = ['42["message","a\\nb"]', '42["message",\n"c\u2028d\u2029"]', '42["message","e\\\\nf"]'];
      const post = await request({ port, method: "POST", path: sidPath(sid, "j=0"), body: form(v3Payload(packets)), headers: FORM });
      assert.equal(post.status, 200);
      assert.equal(post.text, "ok");
      await sleep(50);
      const res = await request({ port, path: sidPath(sid, "j=0") });
      const back = ['42["message-back","a\\nb"]', '42["message-back","c\u2028d\u2029"]', '42["message-back","e\\\\nf"]'];
      assert.equal(res.text, js(0, v3Payload(back)));
      assert.match(res.text, /c\\u2028d\\u2029/, "U+2028/U+2029 escaped");
    });

    it("v3 binary: b4<base64> records with b64, a JSON Buffer without", T, async () => {
      for (const b64 of [true, false]) {
        const extra = b64 ? "j=5&b64=1" : "j=5";
        const { text } = await jsonpOpen(3, extra);
        const { sid } = JSON.parse(v3Decode(unwrap(text, 5))[0].slice(1));
        await request({ port, path: sidPath(sid, extra) });
        const body = form(v3Payload(['451-["message",{"_placeholder":true,"num":0}]', "b4AQID"]));
        assert.equal((await request({ port, method: "POST", path: sidPath(sid, extra), body, headers: FORM })).text, "ok");
        await sleep(50);
        const res = await request({ port, path: sidPath(sid, extra) });
        const text0 = '451-["message-back",{"_placeholder":true,"num":0}]';
        if (b64) {
          assert.equal(res.text, js(5, v3Payload([text0, "b4AQID"])));
        } else {
          const bin = Buffer.concat([Buffer.from([0, ...String(text0.length).split("").map(Number), 255]), Buffer.from(text0),
            Buffer.from([1, 4, 255, 4, 1, 2, 3])]);
          assert.equal(res.text, `___eio[5](${JSON.stringify(bin)});`);
        }
      }
    });

    it("a form without exactly one d is ignored; a bad payload in d closes the session", T, async () => {
      const { text } = await jsonpOpen(3, "j=0");
      const { sid } = JSON.parse(v3Decode(unwrap(text, 0))[0].slice(1));
      await request({ port, path: sidPath(sid, "j=0") });
      for (const body of ["", "x=1:2", "d=1:2&d=1:2", "1:2"]) {
        const post = await request({ port, method: "POST", path: sidPath(sid), body, headers: FORM });
        assert.equal(post.text, "ok", body);
      }
      // %64 is d, + a space: the ping goes through
      const pong = request({ port, path: sidPath(sid) });
      await request({ port, method: "POST", path: sidPath(sid), body: "%64=1%3A2&x=+", headers: FORM });
      assert.equal((await pong).text, js(0, "1:3"));
      await request({ port, method: "POST", path: sidPath(sid), body: "d=abc", headers: FORM });
      await sleep(30);
      assert.equal((await request({ port, path: sidPath(sid) })).status, 400);
    });

    it("EIO=4 with j is JSONP too: '\\u001e' between packets", T, async () => {
      const res = await jsonpOpen(4, "j=3");
      const open = unwrap(res.text, 3);
      const { sid } = JSON.parse(open.slice(1));
      assert.equal(res.text, js(3, open));
      const p4 = (extra) => eioPath({ EIO: 4, sid, extra });
      const post = await request({ port, method: "POST", path: p4(), body: form("40"), headers: FORM });
      assert.equal(post.text, "ok");
      const connect = await request({ port, path: p4() });
      const packets = unwrap(connect.text, 3);
      assert.match(packets, /^40\{"sid":"[^"]+"\}\x1e42\["auth",\{\}\]$/);
      assert.equal(connect.text, js(3, packets));
      assert.match(connect.text, /\\u001e/);
      const msg = form('42["message","x\\ny"]\x1e42["message",2]');
      assert.equal((await request({ port, method: "POST", path: p4(), body: msg, headers: FORM })).text, "ok");
      await sleep(50);
      const get = await request({ port, path: p4() });
      assert.equal(get.text, js(3, '42["message-back","x\\ny"]\x1e42["message-back",2]'));
    });
  });

  describe("socket.io-client 2.x", () => {
    for (const transports of [["polling"], ["websocket"], ["polling", "websocket"]]) {
      it(`${transports.join("+")}: connects to "/", events, acks and binary both ways`, T, async () => {
        const s = v2(hub.url, { transports });
        try {
          const [auth] = await once(s, "auth");
          assert.deepEqual(auth, {});
          assert.equal(s.connected, true);
          if (transports.length === 2) {
            await sleep(200);
            assert.equal(s.io.engine.transport.name, "websocket", "upgraded");
          }
          const bin = Buffer.from([1, 2, 3, 255]);
          const back = once(s, "message-back");
          s.emit("message", 1, "two é😀", bin, { nested: [bin] });
          assert.deepEqual(await back, [1, "two é😀", bin, { nested: [bin] }]);
          assert.deepEqual(await emitAck(s, "message-with-ack", "x", Buffer.from([9])), ["x", Buffer.from([9])]);
        } finally {
          s.close();
        }
      });
    }

    it("server-to-client acknowledgements (with binary)", T, async () => {
      const s = v2(`${hub.url}/cluster`);
      try {
        await connected(s);
        s.on("ask", (arg, ack) => ack({ got: arg }, Buffer.from([5])));
        const [reply] = await emitAck(s, "cluster:emit-with-ack", {}, "ask", "q");
        assert.equal(reply.status, "ok");
        assert.deepEqual(reply.responses, [{ got: "q" }]);
      } finally {
        s.close();
      }
    });

    it("a second namespace with a query: the query is the auth", T, async () => {
      const s = v2(`${hub.url}/custom`, { query: { a: "b", n: "1" } });
      try {
        const [auth] = await once(s, "auth");
        assert.deepEqual(auth, { a: "b", n: "1" });
        const back = once(s, "message-back");
        s.emit("message", Buffer.from([42]));
        assert.deepEqual(await back, [Buffer.from([42])]);
        assert.match(s.id, /^\/custom#/);
      } finally {
        s.close();
      }
    });

    it("socket ids outside '/' are '/nsp#<engine id>', and what is sent to them arrives", T, async () => {
      const chat = v2(`${hub.url}/chat`);
      const a = v2(`${hub.url}/cluster`);
      const b = v4(`${hub.url}/cluster`);
      try {
        await Promise.all([connected(chat), connected(a), connected(b)]);
        assert.equal(chat.id, `/chat#${chat.io.engine.id}`);
        assert.equal(a.id, `/cluster#${a.io.engine.id}`);
        assert.doesNotMatch(b.id, /#/, "a v4 client keeps a random id");
        // the server knows the socket by that id, which is also its own room
        const [fetched] = await emitAck(b, "cluster:fetch", {});
        assert.deepEqual(fetched.sockets.find((x) => x.id === a.id), { id: a.id, rooms: [a.id] });
        // another (v4) client sends to it: socket.to(id)
        const direct = once(a, "direct");
        const [sent] = await emitAck(b, "cluster:emit", { rooms: [a.id] }, "direct", "hi", Buffer.from([7]));
        assert.equal(sent.ok, true);
        assert.deepEqual(await direct, ["hi", Buffer.from([7])]);
        // with an acknowledgement
        a.on("ask", (x, ack) => ack(`${x}!`));
        const [asked] = await emitAck(b, "cluster:emit-with-ack", { rooms: [a.id] }, "ask", "q");
        assert.equal(asked.status, "ok");
        assert.deepEqual(asked.responses, ["q!"]);
        // the v2 client addresses itself by the id it computed
        const self = once(a, "self");
        await emitAck(a, "cluster:emit", { rooms: [a.id] }, "self", 1);
        assert.deepEqual(await self, [1]);
        // disconnect by id
        const gone = once(a, "disconnect");
        await emitAck(b, "cluster:disconnect", { rooms: [a.id] }, false);
        assert.deepEqual(await gone, ["io server disconnect"]);
        const [after] = await emitAck(b, "cluster:fetch", {});
        assert.deepEqual(after.sockets.map((x) => x.id), [b.id]);
      } finally {
        chat.close();
        a.close();
        b.close();
      }
    });

    it("an unknown namespace: the 'Invalid namespace' error", T, async () => {
      const s = v2(`${hub.url}/nope`);
      try {
        const [err] = await once(s, "error");
        assert.deepEqual(err, { message: "Invalid namespace" });
      } finally {
        s.close();
      }
    });

    it("rooms and broadcasts between a v2 client and a v4 client", T, async () => {
      const a = v2(`${hub.url}/chat`);
      const b = v4(`${hub.url}/chat`);
      try {
        await Promise.all([connected(a), connected(b)]);
        assert.deepEqual(await emitAck(a, "join", "room1"), [{ ok: true }]);
        assert.deepEqual(await emitAck(b, "join", "room1"), [{ ok: true }]);
        const atB = once(b, "hello");
        a.emit("hello", "from v2", Buffer.from([1]));
        assert.deepEqual(await atB, ["from v2", Buffer.from([1])]);
        const atA = once(a, "hello");
        b.emit("hello", "from v4", Buffer.from([2]));
        assert.deepEqual(await atA, ["from v4", Buffer.from([2])]);
      } finally {
        a.close();
        b.close();
      }
    });

    it("heartbeat: the client's pings keep the session open well past pingInterval + pingTimeout", T, async () => {
      const s = v2(hub.url, { transports: ["websocket"] });
      try {
        await connected(s);
        const pongs = [];
        s.io.engine.on("pong", () => pongs.push(Date.now()));
        let disconnected = false;
        s.on("disconnect", () => (disconnected = true));
        await sleep(1500);
        assert.equal(disconnected, false);
        assert.ok(pongs.length >= 3, `pongs: ${pongs.length}`);
      } finally {
        s.close();
      }
    });

    it("disconnect both ways", T, async () => {
      const watcher = v4(`${hub.url}/cluster`);
      const s = v2(`${hub.url}/cluster`);
      try {
        await Promise.all([connected(watcher), connected(s)]);
        const count = async () => (await emitAck(watcher, "cluster:fetch", {}))[0].sockets.length;
        assert.equal(await count(), 2);
        // server side: the v2 client hears "io server disconnect"
        const gone = once(s, "disconnect");
        await emitAck(watcher, "cluster:disconnect", { exceptSelf: true }, false);
        assert.deepEqual(await gone, ["io server disconnect"]);
        assert.equal(await count(), 1);
        // client side
        const s2 = v2(`${hub.url}/cluster`);
        await connected(s2);
        assert.equal(await count(), 2);
        s2.close();
        await sleep(200);
        assert.equal(await count(), 1);
      } finally {
        watcher.close();
        s.close();
      }
    });
  });
});

// The long ids cross the Redis adapter: a hub (HUB_TARGET) and a Node.js reference node on one Redis.
describe("v3 socket ids in a cluster (Redis adapter)", () => {
  let redis, hub, node;
  before(async () => {
    redis = await startRedis();
    const cfg = config({ redis: redis.url, redisRequestsTimeout: 2000 });
    [hub, node] = await Promise.all([hubs.start({ config: cfg }), startNode(cfg)]);
  });
  after(async () => {
    for (const h of [hub, node]) if (h) await h.stop();
    if (redis) await redis.stop();
  });

  it("a v2 client on one node gets what a client of the other node sends to '/cluster#<engine id>'", T, async () => {
    const pairs = [[v2(`${hub.url}/cluster`), v4(`${node.url}/cluster`)], [v2(`${node.url}/cluster`), v4(`${hub.url}/cluster`)]];
    try {
      for (const [a, b] of pairs) {
        await Promise.all([connected(a), connected(b)]);
        assert.equal(a.id, `/cluster#${a.io.engine.id}`);
        let fetched;
        for (let i = 0; i < 50; i++) { // until the nodes see each other
          [fetched] = await emitAck(b, "cluster:fetch", {});
          if (fetched.sockets.some((x) => x.id === a.id)) break;
          await sleep(100);
        }
        assert.deepEqual(fetched.sockets.find((x) => x.id === a.id), { id: a.id, rooms: [a.id] });
        const direct = once(a, "direct");
        const [sent] = await emitAck(b, "cluster:emit", { rooms: [a.id] }, "direct", "over redis");
        assert.equal(sent.ok, true);
        assert.deepEqual(await direct, ["over redis"]);
        a.on("ask", (x, ack) => ack(`${x}!`));
        const [asked] = await emitAck(b, "cluster:emit-with-ack", { rooms: [a.id] }, "ask", "q");
        assert.deepEqual(asked.responses, ["q!"]);
        const gone = once(a, "disconnect");
        await emitAck(b, "cluster:disconnect", { rooms: [a.id] }, false);
        assert.deepEqual(await gone, ["io server disconnect"]);
      }
    } finally {
      for (const p of pairs) for (const s of p) s.close();
    }
  });
});

describe("engine.io v3 refused (allowEIO3: false, the default)", () => {
  let hub;
  before(async () => {
    hub = await hubs.start({ config: hubs.conformanceConfig() });
  });
  after(async () => {
    if (hub) await hub.stop();
  });

  it("EIO=3 and a missing EIO get 400 code 5", T, async () => {
    for (const path of [eioPath({ EIO: 3 }), eioPath({ EIO: null })]) {
      const res = await request({ port: hub.port, path });
      assert.equal(res.status, 400);
      assert.equal(res.text, JSON.stringify({ code: 5, message: "Unsupported protocol version" }));
    }
  });

  it("a socket.io-client 2.x cannot connect", T, async () => {
    const s = v2(hub.url, { transports: ["polling"] });
    try {
      await once(s, "connect_error", 5000);
      assert.equal(s.connected, false);
    } finally {
      s.close();
    }
  });
});
