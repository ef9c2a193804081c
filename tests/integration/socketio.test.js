// Raw Socket.IO v5 conformance over raw WebSockets and polling (modelled on the socket.io-protocol test-suite),
// against the conformance config: "/" and "/custom" run the echo app, connectTimeout 1000 ms.
// Run: node --test tests/integration/socketio.test.js   (HUB_TARGET=reference to check the reference server)
"use strict";

const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const hubs = require("./lib/hub");
const { sleep, encodePayload, decodePayload, PollingSession, openWsSession, openSioSession, sio, sendAll } = require("./lib/raw");

const T = { timeout: 15000 };

function parseConnect(text, nsp = "/") {
  const prefix = nsp === "/" ? "40" : `40${nsp},`;
  assert.ok(text.startsWith(prefix), `CONNECT reply for ${nsp}: ${text}`);
  const body = JSON.parse(text.slice(prefix.length));
  assert.deepEqual(Object.keys(body), ["sid"], `CONNECT reply has only sid: ${text}`);
  assert.equal(typeof body.sid, "string");
  assert.ok(body.sid.length > 0);
  return body.sid;
}

describe("socket.io (conformance config)", () => {
  let hub;
  let port;
  const open = [];
  const ws = async (opts) => {
    const w = await openWsSession(port, opts);
    open.push(w);
    return w;
  };
  const sioWs = async (opts) => {
    const w = await openSioSession(port, opts);
    open.push(w);
    return w;
  };

  before(async () => {
    hub = await hubs.start({ config: hubs.conformanceConfig() });
    port = hub.port;
  });
  after(async () => {
    for (const w of open) w.close();
    if (hub) await hub.stop();
  });

  describe("connect", () => {
    it("CONNECT to / without auth: 40{sid} only, then the auth event with {}", T, async () => {
      const w = await ws();
      w.send("40");
      const sid = parseConnect(await w.nextText());
      assert.notEqual(sid, w.sid, "the Socket.IO id is not the Engine.IO sid");
      assert.equal(await w.nextText(), '42["auth",{}]');
    });

    it("CONNECT to / with an auth payload: it comes back in the auth event", T, async () => {
      const w = await ws();
      w.send('40{"token":"123","n":[1,{"b":2,"a":1}]}');
      parseConnect(await w.nextText());
      assert.equal(await w.nextText(), '42["auth",{"token":"123","n":[1,{"b":2,"a":1}]}]');
    });

    it("CONNECT to /custom without and with auth", T, async () => {
      const w = await ws();
      w.send("40/custom,");
      parseConnect(await w.nextText(), "/custom");
      assert.equal(await w.nextText(), '42/custom,["auth",{}]');
      const w2 = await ws();
      w2.send('40/custom,{"token":"abc"}');
      parseConnect(await w2.nextText(), "/custom");
      assert.equal(await w2.nextText(), '42/custom,["auth",{"token":"abc"}]');
    });

    it("\"40/custom\" without a comma is a valid CONNECT", T, async () => {
      const w = await ws();
      w.send("40/custom");
      parseConnect(await w.nextText(), "/custom");
      assert.equal(await w.nextText(), '42/custom,["auth",{}]');
    });

    it("two namespaces on one connection get different ids and both work", T, async () => {
      const w = await ws();
      w.send("40");
      const a = parseConnect(await w.nextText());
      assert.equal(await w.nextText(), '42["auth",{}]');
      w.send("40/custom,");
      const b = parseConnect(await w.nextText(), "/custom");
      assert.equal(await w.nextText(), '42/custom,["auth",{}]');
      assert.notEqual(a, b);
      w.send('42/custom,["message","c"]');
      assert.equal(await w.nextText(), '42/custom,["message-back","c"]');
      w.send('42["message","m"]');
      assert.equal(await w.nextText(), '42["message-back","m"]');
    });

    it("unknown namespace: exactly 44/random,{\"message\":\"Invalid namespace\"}, the connection stays open", T, async () => {
      const w = await ws();
      w.send("40/random");
      assert.equal(await w.nextText(), '44/random,{"message":"Invalid namespace"}');
      w.send('40/random,{"token":"x"}');
      assert.equal(await w.nextText(), '44/random,{"message":"Invalid namespace"}');
      w.send("40/custom,");
      parseConnect(await w.nextText(), "/custom");
      assert.equal(await w.nextText(), '42/custom,["auth",{}]');
    });

    it("CONNECT over polling: the reply and the auth event come in one GET body", T, async () => {
      const s = new PollingSession(port);
      await s.handshake();
      assert.equal((await s.post('40{"k":"v"}')).text, "ok");
      const res = await s.get();
      const packets = decodePayload(res.text);
      assert.equal(packets.length, 2, `two packets in ${JSON.stringify(res.text)}`);
      parseConnect(packets[0]);
      assert.equal(packets[1], '42["auth",{"k":"v"}]');
      await s.post("1");
    });
  });

  describe("invalid packets close the connection", () => {
    for (const [name, packet] of [
      ["an invalid type (4abc) before CONNECT", "4abc"],
      ["an invalid type (4abc)", "4abc"],
      ["a Socket.IO type out of range (47)", '47["x"]'],
      ["a non-array event payload (42{})", "42{}"],
      ["a string event payload (42\"x\")", '42"x"'],
      ["an empty event array (42[])", "42[]"],
      ["a non-numeric ack id (42abc[...])", '42abc["message-with-ack",1,"2",{"3":[false]}]'],
      ["truncated JSON (42[\"message\")", '42["message"'],
    ]) {
      it(name, T, async () => {
        const sock = name.includes("before CONNECT") ? await ws() : await sioWs();
        sock.send(packet);
        await sock.waitClose(800); // well before connectTimeout
      });
    }
  });

  describe("disconnect", () => {
    it("41 on / gets no reply and the Engine.IO connection stays open", T, async () => {
      const w = await sioWs();
      w.send("41");
      assert.ok(await w.quietFor(300), "nothing sent back");
      assert.ok(w.isOpen, "still open");
      // the connection is still usable: connect again
      w.send("40");
      parseConnect(await w.nextText());
      assert.equal(await w.nextText(), '42["auth",{}]');
      w.send('42["message","again"]');
      assert.equal(await w.nextText(), '42["message-back","again"]');
    });

    it("41/custom leaves / connected", T, async () => {
      const w = await sioWs();
      w.send("40/custom");
      parseConnect(await w.nextText(), "/custom");
      assert.equal(await w.nextText(), '42/custom,["auth",{}]');
      w.send("41/custom,");
      w.send('42["message","message to main namespace"]');
      assert.equal(await w.nextText(), '42["message-back","message to main namespace"]');
    });

    it("an EVENT for a namespace the client is not connected to closes the connection", T, async () => {
      const w = await sioWs();
      w.send('42/custom,["message","x"]');
      await w.waitClose(2000);
    });
  });

  describe("connectTimeout", () => {
    it("a websocket session with no CONNECT is closed after connectTimeout", T, async () => {
      const w = await ws();
      const t0 = Date.now();
      await w.waitClose(3000);
      const dt = Date.now() - t0;
      assert.ok(dt >= 700 && dt < 2500, `closed after ${dt} ms (connectTimeout 1000)`);
    });

    it("a polling session with no CONNECT is closed after connectTimeout", T, async () => {
      const s = new PollingSession(port);
      await s.handshake();
      const deadline = Date.now() + 3000;
      let res;
      for (;;) {
        res = await s.get();
        if (res.status !== 200 || res.text !== "2" || Date.now() > deadline) break;
        await s.post("3");
      }
      const dt = Date.now() - s.handshakeAt;
      assert.ok((res.status === 200 && res.text === "1") || res.status === 400, `closed: ${res.status} ${res.text}`);
      assert.ok(dt >= 700 && dt < 2500, `closed after ${dt} ms (connectTimeout 1000)`);
    });

    it("a session that connected stays open past connectTimeout", T, async () => {
      const w = await sioWs();
      await sleep(1300);
      w.send('42["message","late"]');
      assert.equal(await w.nextText(), '42["message-back","late"]');
    });
  });

  describe("events and acks", () => {
    it("EVENT: 42[\"message\",...] -> 42[\"message-back\",...] in compact JSON with key order kept", T, async () => {
      const w = await sioWs();
      w.send('42["message",1,"2",{"3":[true]}]');
      assert.equal(await w.nextText(), '42["message-back",1,"2",{"3":[true]}]');
      w.send('42["message",{"z":1,"a":{"y":null,"b":[1.5,-2,"\\u00e9\\n"]}},false]');
      assert.equal(await w.nextText(), '42["message-back",{"z":1,"a":{"y":null,"b":[1.5,-2,"é\\n"]}},false]');
      w.send('42["message"]');
      assert.equal(await w.nextText(), '42["message-back"]');
    });

    it("EVENT with an ack id is answered by ACK 43<id>[...]", T, async () => {
      const w = await sioWs();
      w.send('42456["message-with-ack",1,"2",{"3":[false]}]');
      assert.equal(await w.nextText(), '43456[1,"2",{"3":[false]}]');
      w.send('420["message-with-ack"]');
      assert.equal(await w.nextText(), "430[]");
    });

    it("EVENT and ACK in a custom namespace", T, async () => {
      const w = await sioWs({ nsp: "/custom" });
      w.send('42/custom,["message","x"]');
      assert.equal(await w.nextText(), '42/custom,["message-back","x"]');
      w.send('42/custom,7["message-with-ack","y",{"k":[]}]');
      assert.equal(await w.nextText(), '43/custom,7["y",{"k":[]}]');
    });

    it("BINARY_EVENT with two attachments: placeholders, then the frames in order", T, async () => {
      const w = await sioWs();
      w.send('452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
      w.send(Buffer.from([1, 2, 3]));
      w.send(Buffer.from([4, 5, 6]));
      assert.equal(await w.nextText(), '452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
      assert.deepEqual(await w.nextBinary(), Buffer.from([1, 2, 3]));
      assert.deepEqual(await w.nextBinary(), Buffer.from([4, 5, 6]));
    });

    it("BINARY_EVENT with an ack id is answered by BINARY_ACK 462-<id>[...] and its frames", T, async () => {
      const w = await sioWs();
      w.send('452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
      w.send(Buffer.from([1, 2, 3]));
      w.send(Buffer.from([4, 5, 6]));
      assert.equal(await w.nextText(), '462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
      assert.deepEqual(await w.nextBinary(), Buffer.from([1, 2, 3]));
      assert.deepEqual(await w.nextBinary(), Buffer.from([4, 5, 6]));
    });

    it("nested binary anywhere in the args, in a custom namespace, keeps its place", T, async () => {
      const w = await sioWs({ nsp: "/custom" });
      const b0 = Buffer.from("first");
      const b1 = Buffer.alloc(0);
      const b2 = Buffer.from([0, 255, 0x1e]);
      sendAll(w, sio.binaryEvent(["message", { a: [1, b0, { c: b1 }] }, "s", b2], { nsp: "/custom" }));
      assert.equal(
        await w.nextText(),
        '453-/custom,["message-back",{"a":[1,{"_placeholder":true,"num":0},{"c":{"_placeholder":true,"num":1}}]},"s",{"_placeholder":true,"num":2}]',
      );
      assert.deepEqual(await w.nextBinary(), b0);
      assert.deepEqual(await w.nextBinary(), b1);
      assert.deepEqual(await w.nextBinary(), b2);
    });

    it("binary over polling: attachments travel as b+base64 packets after the placeholder packet", T, async () => {
      const s = new PollingSession(port);
      await s.handshake();
      await s.post("40");
      const first = decodePayload((await s.get()).text);
      parseConnect(first[0]);
      const post = await s.post(
        encodePayload(['451-12["message-with-ack",{"_placeholder":true,"num":0}]', Buffer.from([7, 8, 9])]),
      );
      assert.equal(post.text, "ok");
      const res = await s.get();
      assert.equal(res.text, `461-12[{"_placeholder":true,"num":0}]\x1eb${Buffer.from([7, 8, 9]).toString("base64")}`);
      await s.post(encodePayload(['451-["message",{"_placeholder":true,"num":0}]', Buffer.from("xyz")]));
      const res2 = await s.get();
      assert.equal(res2.text, `451-["message-back",{"_placeholder":true,"num":0}]\x1eb${Buffer.from("xyz").toString("base64")}`);
      await s.post("1");
    });

    it("several packets in one POST are handled in order", T, async () => {
      const s = new PollingSession(port);
      await s.handshake();
      await s.post("40");
      await s.get();
      await s.post(encodePayload(['42["message",1]', '421["message-with-ack",2]', '42["message",3]']));
      const got = [];
      while (got.length < 3) {
        for (const p of decodePayload((await s.get()).text)) if (p !== "2") got.push(p);
      }
      assert.deepEqual(got, ['42["message-back",1]', "431[2]", '42["message-back",3]']);
      await s.post("1");
    });
  });
});
