// The Admin UI's namespace (hub/admin.h) driven by a stock socket.io-client the way the official
// @socket.io/admin-ui front end drives it: the login (bcrypt hash in the config, sessions), the
// messages on connection, server_stats, the live socket/room/event messages, the actions, readonly
// and production modes, and a cluster of two Hubbub nodes on Redis seen from either node.
// Run: node --test tests/integration/admin.test.js
"use strict";

const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const bcrypt = require("bcryptjs");
const hubs = require("./lib/hub");
const { startRedis } = require("./lib/redis");
const { ClientPool, once, sleep } = require("./lib/clients");

const T = { timeout: 20000 };
const skip = hubs.IS_REFERENCE ? "HUB_TARGET=reference: instrument() is the reference's own" : undefined;
const PASSWORD = "correct horse battery";
const HASH = bcrypt.hashSync(PASSWORD, 8);

const adminConfig = (extra = {}) => ({ admin: { username: "admin", passwordHash: HASH, ...extra } });

// Records every admin message of a socket.
function record(socket) {
  socket.seen = [];
  socket.onAny((event, ...args) => socket.seen.push([event, args]));
  return socket;
}

async function waitFor(check, ms = 4000, what = "a condition") {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const seenOf = (s, event) => s.seen.filter(([e]) => e === event).map(([, args]) => args);

async function connectError(pool, url, nsp, auth) {
  const s = pool.socket(url, nsp, { auth });
  const [err] = await once(s, "connect_error", 5000);
  s.close();
  return err;
}

describe("the admin namespace", { skip }, () => {
  let hub;
  const pool = new ClientPool();

  before(async () => {
    hub = await hubs.start({ config: { ...adminConfig(), namespaces: { "/": { app: "relay" }, "/chat": { app: "relay" } } } });
  });

  after(async () => {
    pool.closeAll();
    if (hub) {
      const r = await hub.stop();
      assert.equal(r.code, 0, hub.logTail());
      assert.ok(!hub.stderr.includes(PASSWORD), "the password is never logged");
    }
  });

  it("refuses a CONNECT without credentials, or with wrong ones", T, async () => {
    let err = await connectError(pool, hub.url, "/admin", {});
    assert.equal(err.message, ""); // the Admin UI then shows its form without an error
    assert.deepEqual(err.data, { reason: "credentials required" });
    err = await connectError(pool, hub.url, "/admin", { username: "admin", password: "nope" });
    assert.equal(err.message, "invalid credentials");
    err = await connectError(pool, hub.url, "/admin", { username: "root", password: PASSWORD });
    assert.equal(err.message, "invalid credentials");
    err = await connectError(pool, hub.url, "/admin", { sessionId: "1234.abcd" });
    assert.deepEqual(err.data, { reason: "session expired or invalid" });
    // the dashboard's namespace takes the same login
    err = await connectError(pool, hub.url, "/dashboard", { username: "admin", password: "nope" });
    assert.equal(err.message, "invalid credentials");
  });

  it("logs in: session, config, all_sockets; the session logs in again", T, async () => {
    const user = await pool.connect(hub.url, "/chat", { transports: ["polling"] });
    assert.deepEqual(await user.emitWithAck("join", "lobby"), { ok: true });
    const a = record(pool.socket(hub.url, "/admin", { auth: { username: "admin", password: PASSWORD } }));
    await once(a, "connect", 5000);
    const [all] = await waitFor(() => seenOf(a, "all_sockets")[0], 4000, "all_sockets");
    // the first three of these, in this order (socket_connected about itself may come first)
    const order = a.seen.map(([e]) => e).filter((e) => ["session", "config", "all_sockets"].includes(e));
    assert.deepEqual(order.slice(0, 3), ["session", "config", "all_sockets"]);
    const [session] = seenOf(a, "session")[0];
    assert.match(session, /^[0-9a-f]+\.[0-9a-f]{64}$/);
    const [config] = seenOf(a, "config")[0];
    assert.deepEqual(config.supportedFeatures,
      ["EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT", "AGGREGATED_EVENTS", "ALL_EVENTS"]);
    const mine = all.find((s) => s.id === user.id);
    assert.ok(mine, JSON.stringify(all));
    assert.equal(mine.nsp, "/chat");
    assert.equal(mine.transport, "polling");
    assert.equal(mine.clientId, user.io.engine.id.slice(0, 12));
    assert.deepEqual(mine.rooms.sort(), [user.id, "lobby"].sort());
    assert.deepEqual(mine.data, {});
    assert.equal(mine.handshake.address, "127.0.0.1");
    assert.equal(mine.handshake.query.transport, "polling");
    assert.equal(typeof mine.handshake.issued, "number");
    // real request headers only, names in lower case (no "http/1.1" version pseudo-entry)
    assert.equal(mine.handshake.headers.host, `127.0.0.1:${hub.port}`);
    for (const name of Object.keys(mine.handshake.headers)) assert.match(name, /^[a-z0-9-]+$/, name);
    assert.equal(mine.handshake.auth, undefined);
    const self = all.find((s) => s.id === a.id);
    assert.equal(self.nsp, "/admin");
    assert.equal(JSON.stringify(self).includes(PASSWORD), false, "the password is not in the handshake");

    const again = record(pool.socket(hub.url, "/admin", { auth: { sessionId: session } }));
    await once(again, "connect", 3000);
    await waitFor(() => seenOf(again, "all_sockets")[0], 4000, "all_sockets");
    assert.equal(seenOf(again, "session").length, 0); // no new session for a session login
    const dash = pool.socket(hub.url, "/dashboard", { auth: { sessionId: session } });
    const [stats] = await once(dash, "stats", 4000);
    assert.ok(stats.node && stats.engine);
  });

  it("sends server_stats every 2 seconds", T, async () => {
    const a = record(pool.socket(hub.url, "/admin", { auth: { username: "admin", password: PASSWORD } }));
    await once(a, "connect", 5000);
    const [stats] = await waitFor(() => seenOf(a, "server_stats")[0], 3500, "server_stats");
    assert.match(stats.serverId, /#\d+$/);
    assert.equal(typeof stats.hostname, "string");
    assert.equal(typeof stats.pid, "number");
    assert.ok(stats.uptime > 0);
    assert.ok(stats.clientsCount >= 1);
    assert.equal(typeof stats.pollingClientsCount, "number");
    assert.ok(Array.isArray(stats.aggregatedEvents));
    for (const e of stats.aggregatedEvents) {
      assert.equal(e.timestamp % 1000, 0);
      assert.ok(["rawConnection", "rawDisconnection", "packetsIn", "packetsOut", "bytesIn", "bytesOut"].includes(e.type));
      assert.ok(e.count > 0);
    }
    const names = stats.namespaces.map((n) => n.name).sort();
    assert.deepEqual(names, ["/", "/admin", "/chat", "/dashboard"]);
  });

  it("reports sockets, rooms and events as they happen", T, async () => {
    const a = record(pool.socket(hub.url, "/admin", { auth: { username: "admin", password: PASSWORD } }));
    await once(a, "connect", 5000);
    const u = await pool.connect(hub.url, "/chat", { transports: ["polling"] });
    const [sock, date] = await waitFor(() => seenOf(a, "socket_connected").find(([s]) => s.id === u.id), 3000, "socket_connected");
    assert.equal(sock.nsp, "/chat");
    assert.ok(!Number.isNaN(Date.parse(date)));
    assert.deepEqual(await u.emitWithAck("join", "room-1"), { ok: true });
    await waitFor(() => seenOf(a, "room_joined").find(([nsp, room, id]) => nsp === "/chat" && room === "room-1" && id === u.id), 3000, "room_joined");
    await waitFor(() => seenOf(a, "event_received").find(([nsp, id, args]) => id === u.id && args[0] === "join"), 3000, "event_received");
    // the upgrade to the WebSocket
    const v = await pool.connect(hub.url, "/chat"); // polling, then upgrade
    await waitFor(() => seenOf(a, "socket_updated").find(([x]) => x.id === v.id && x.transport === "websocket"), 5000, "socket_updated");
    // an event sent to it
    await v.emitWithAck("join", "room-1");
    await u.emitWithAck("hello", "there");
    await waitFor(() => seenOf(a, "event_sent").find(([nsp, id, args]) => id === v.id && args[0] === "hello"), 3000, "event_sent");
    // no messages about the admin namespace's own events
    assert.equal(seenOf(a, "event_received").filter(([nsp]) => nsp === "/admin").length, 0);
    const uid = u.id; // the client forgets it on disconnect
    u.disconnect();
    await waitFor(() => seenOf(a, "socket_disconnected").find(([nsp, id, reason]) => id === uid && reason === "client namespace disconnect"), 3000, "socket_disconnected");
    // after the disconnect, each room it left
    await waitFor(() => seenOf(a, "room_left").filter(([nsp, room, id]) => id === uid).length === 2, 3000, "room_left");
  });

  it("acts: join, leave, emit, _disconnect", T, async () => {
    const a = record(pool.socket(hub.url, "/admin", { auth: { username: "admin", password: PASSWORD } }));
    await once(a, "connect", 5000);
    const u1 = await pool.connect(hub.url, "/chat", { transports: ["websocket"] });
    const u2 = await pool.connect(hub.url, "/chat", { transports: ["websocket"] });
    a.emit("join", "/chat", "vip", u1.id);
    await waitFor(() => seenOf(a, "room_joined").find(([, room, id]) => room === "vip" && id === u1.id), 3000, "join");
    const got = [];
    u1.on("notice", (x) => got.push(["u1", x]));
    u2.on("notice", (x) => got.push(["u2", x]));
    a.emit("emit", "/chat", "vip", "notice", "to the vips");
    a.emit("emit", "/chat", undefined, "notice", "to all");
    await waitFor(() => got.length === 3, 3000, "emits");
    assert.deepEqual(got.sort(), [["u1", "to all"], ["u1", "to the vips"], ["u2", "to all"]]);
    a.emit("leave", "/chat", "vip", u1.id);
    await waitFor(() => seenOf(a, "room_left").find(([, room, id]) => room === "vip" && id === u1.id), 3000, "leave");
    a.emit("_disconnect", "/nowhere", false); // an unknown namespace: nothing, and no error
    a.emit("_disconnect", "/chat", false, u2.id);
    const [reason] = await once(u2, "disconnect", 3000);
    assert.equal(reason, "io server disconnect");
    assert.equal(u1.connected, true);
  });
});

describe("the admin namespace's modes and config", { skip }, () => {
  const pool = new ClientPool();
  after(() => pool.closeAll());

  it("readonly: no actions; production: stats only", T, async () => {
    const hub = await hubs.start({ config: adminConfig({ readonly: true, mode: "production", serverId: "edge-1" }) });
    try {
      const u = await pool.connect(hub.url, "/", { transports: ["websocket"] });
      const a = record(pool.socket(hub.url, "/admin", { auth: { username: "admin", password: PASSWORD } }));
      await once(a, "connect", 5000);
      const [stats] = await waitFor(() => seenOf(a, "server_stats")[0], 3500, "server_stats");
      assert.equal(stats.serverId, "edge-1");
      assert.deepEqual(seenOf(a, "config")[0][0].supportedFeatures, ["AGGREGATED_EVENTS"]);
      assert.equal(seenOf(a, "all_sockets").length, 0);
      a.emit("_disconnect", "/", false, u.id);
      await sleep(300);
      assert.equal(u.connected, true);
      assert.equal(seenOf(a, "socket_connected").length, 0);
    } finally {
      await hub.stop();
    }
  });

  it("auth: false opens the namespace", T, async () => {
    const hub = await hubs.start({ config: { admin: { auth: false } } });
    try {
      const a = await pool.connect(hub.url, "/admin");
      assert.equal(a.connected, true);
      assert.match(hub.stderr, /authentication is off/);
    } finally {
      await hub.stop();
    }
  });

  it("refuses a plain password, a bad hash and missing credentials at start-up", T, async () => {
    for (const [admin, want] of [
      [{ username: "admin", password: "changeit" }, /admin\.password: a plain password is not accepted/],
      [{ username: "admin", passwordHash: "changeit" }, /admin\.passwordHash: must be a bcrypt hash/],
      [{ username: "admin" }, /admin\.passwordHash: is required unless "auth" is false/],
      [{ ...adminConfig().admin, namespace: "/dashboard" }, /need namespaces of their own/],
    ]) {
      await assert.rejects(hubs.start({ config: { admin } }), (err) => {
        assert.match(err.message, want);
        assert.ok(!err.message.includes("changeit\"") || want.source.includes("plain"), "a plain password is not echoed back");
        return true;
      });
    }
    // a namespace of the config that the dashboard wants
    await assert.rejects(hubs.start({ config: { namespaces: { "/dashboard": {} } } }), /the namespace \/dashboard is taken/);
    const ok = await hubs.start({ config: { namespaces: { "/dashboard": {} }, dashboard: false } });
    await ok.stop();
  });
});

describe("the admin namespace across a cluster", { skip }, () => {
  let redis, h1, h2;
  const pool = new ClientPool();

  before(async () => {
    redis = await startRedis();
    const config = { ...adminConfig(), redis: redis.url, redisRequestsTimeout: 1500 };
    h1 = await hubs.start({ config });
    h2 = await hubs.start({ config });
    await sleep(300); // both subscribed
  });

  after(async () => {
    pool.closeAll();
    for (const h of [h1, h2]) if (h) await h.stop();
    if (redis) await redis.cleanup();
  });

  it("an Admin UI on one node sees and acts on every node", T, async () => {
    const on1 = await pool.connect(h1.url, "/", { transports: ["websocket"] });
    const on2 = await pool.connect(h2.url, "/", { transports: ["websocket"] });
    await on2.emitWithAck("join", "far");
    const a = record(pool.socket(h1.url, "/admin", { auth: { username: "admin", password: PASSWORD } }));
    await once(a, "connect", 5000);
    const [all] = await waitFor(() => seenOf(a, "all_sockets")[0], 5000, "all_sockets");
    const ids = all.map((s) => s.id);
    assert.ok(ids.includes(on1.id) && ids.includes(on2.id), JSON.stringify(ids));
    assert.deepEqual(all.find((s) => s.id === on2.id).rooms.sort(), [on2.id, "far"].sort());
    // both nodes' stats
    await waitFor(() => new Set(seenOf(a, "server_stats").map(([s]) => s.serverId)).size === 2, 5000, "two servers");
    // a socket connecting on the other node is reported here
    const late = await pool.connect(h2.url, "/", { transports: ["websocket"] });
    await waitFor(() => seenOf(a, "socket_connected").find(([s]) => s.id === late.id), 3000, "remote socket_connected");
    // the session from node 1 logs in on node 2
    const [session] = seenOf(a, "session")[0];
    const b = await pool.connect(h2.url, "/admin", { auth: { sessionId: session } });
    assert.equal(b.connected, true);
    // disconnecting a socket of the other node
    const id2 = on2.id;
    a.emit("_disconnect", "/", false, id2);
    const [reason] = await once(on2, "disconnect", 4000);
    assert.equal(reason, "io server disconnect");
    await waitFor(() => seenOf(a, "socket_disconnected").find(([, id]) => id === id2), 3000, "remote socket_disconnected");
    assert.equal(on1.connected, true);
  });
});
