#!/usr/bin/env node
// Reference Node.js server with the same command line, config file and built-in apps as build/hubbub.
//
//   node tests/reference/server.js [--port N] [--host ADDR] [--config FILE] [--log-level L]
//
// Prints "listening on HOST:PORT" once it accepts connections; SIGTERM/SIGINT close every client and exit 0.
// Config keys (same as hubbub): port, host, path, pingInterval, pingTimeout, connectTimeout, upgradeTimeout,
// maxPayload, maxBufferedBytes (no Node equivalent: ignored), maxRoomsPerSocket, allowEIO3, cors, engineEchoPath,
// namespaces ({"/chat": {"app": "echo" | "relay" | "cluster"}}; without "namespaces", "/" runs relay),
// redis ("redis://HOST:PORT[/DB]": join the cluster with @socket.io/redis-adapter), redisKey,
// redisRequestsTimeout; the flag --redis URL overrides the file.
// The integration tests (HUB_TARGET=reference) and the benchmarks use it as the baseline.
"use strict";

const fs = require("node:fs");
const http = require("node:http");
const { Server } = require("socket.io");
const engine = require("engine.io");

function usage(msg) {
  if (msg) process.stderr.write(`server.js: ${msg}\n`);
  process.stderr.write("usage: server.js [--port N] [--host ADDR] [--config FILE] [--log-level L]\n");
  process.exit(2);
}

function parseArgs(argv) {
  const flags = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf("=");
    const name = eq > 0 ? a.slice(0, eq) : a;
    const value = () => (eq > 0 ? a.slice(eq + 1) : argv[++i]);
    switch (name) {
      case "--port": flags.port = Number(value()); break;
      case "--host": flags.host = value(); break;
      case "--config": flags.config = value(); break;
      case "--log-level": flags.logLevel = value(); break;
      case "--redis": flags.redis = value(); break;
      case "--help": process.stdout.write("usage: server.js [--port N] [--host ADDR] [--config FILE]\n"); process.exit(0);
      default: usage(`unknown argument ${a}`);
    }
  }
  if (flags.port !== undefined && !(Number.isInteger(flags.port) && flags.port >= 0 && flags.port < 65536)) {
    usage("--port needs an integer 0..65535");
  }
  return flags;
}

function loadConfig(flags) {
  let cfg = {};
  if (flags.config) {
    try {
      cfg = JSON.parse(fs.readFileSync(flags.config, "utf8"));
    } catch (e) {
      usage(`${flags.config}: ${e.message}`);
    }
    if (cfg === null || typeof cfg !== "object" || Array.isArray(cfg)) usage(`${flags.config}: not an object`);
  }
  const out = {
    host: cfg.host ?? "0.0.0.0",
    port: cfg.port ?? 3000,
    path: cfg.path ?? "/socket.io/",
    pingInterval: cfg.pingInterval ?? 25000,
    pingTimeout: cfg.pingTimeout ?? 20000,
    connectTimeout: cfg.connectTimeout ?? 45000,
    upgradeTimeout: cfg.upgradeTimeout ?? 10000,
    maxPayload: cfg.maxPayload ?? 1000000,
    maxRoomsPerSocket: cfg.maxRoomsPerSocket ?? 1000,
    allowEIO3: cfg.allowEIO3 ?? false,
    engineEchoPath: cfg.engineEchoPath ?? null,
    cors: cfg.cors ?? null,
    namespaces: cfg.namespaces ?? null,
    logLevel: cfg.logLevel ?? "info",
    redis: cfg.redis ?? null,
    redisKey: cfg.redisKey ?? "socket.io",
    redisRequestsTimeout: cfg.redisRequestsTimeout ?? 5000,
  };
  if (flags.redis !== undefined) out.redis = flags.redis;
  if (flags.host !== undefined) out.host = flags.host;
  if (flags.port !== undefined) out.port = flags.port;
  if (flags.logLevel !== undefined) out.logLevel = flags.logLevel;
  if (out.namespaces !== null) {
    for (const [name, nsp] of Object.entries(out.namespaces)) {
      if (!name.startsWith("/")) usage(`namespaces.${name}: a namespace starts with "/"`);
      if (!nsp || !["echo", "relay", "cluster"].includes(nsp.app)) usage(`namespaces.${name}.app: "echo", "relay" or "cluster"`);
    }
  }
  return out;
}

// "cors": "*" | "https://a" | ["https://a", ...] | {"origin": ..., "credentials": bool} -> options of the
// `cors` package that engine.io uses.
function corsOptions(cors) {
  if (cors === null || cors === undefined || cors === false) return undefined;
  if (typeof cors === "string" || Array.isArray(cors)) return { origin: cors };
  const o = { origin: cors.origin ?? false };
  if (cors.credentials) o.credentials = true;
  return o;
}

// echo: "auth" on connect with the handshake auth; "message" -> "message-back"; "message-with-ack" -> ack.
function echoApp(nsp) {
  nsp.on("connection", (socket) => {
    socket.emit("auth", socket.handshake.auth ?? {});
    socket.on("message", (...args) => {
      if (typeof args[args.length - 1] === "function") args.pop();
      socket.emit("message-back", ...args);
    });
    socket.on("message-with-ack", (...args) => {
      const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
      if (ack) ack(...args);
    });
  });
}

// relay: "join"/"leave" a room (ack {"ok":...}); every other event goes to the sender's rooms, or to the
// whole namespace when it joined none, never back to the sender; an ack is answered {"ok":true}.
function relayApp(nsp, cfg) {
  nsp.on("connection", (socket) => {
    const joined = new Set();
    const roomOp = (op) => (...args) => {
      const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
      const room = args[0];
      let reply;
      if (typeof room !== "string" || room.length === 0) {
        reply = { ok: false, error: "invalid room" };
      } else if (op === "join") {
        if (!joined.has(room) && joined.size >= cfg.maxRoomsPerSocket) {
          reply = { ok: false, error: "too many rooms" };
        } else {
          joined.add(room);
          socket.join(room);
          reply = { ok: true };
        }
      } else {
        joined.delete(room);
        socket.leave(room);
        reply = { ok: true };
      }
      if (ack) ack(reply);
    };
    socket.on("join", roomOp("join"));
    socket.on("leave", roomOp("leave"));
    socket.onAny((event, ...args) => {
      if (event === "join" || event === "leave") return;
      const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
      if (joined.size > 0) socket.to([...joined]).emit(event, ...args);
      else socket.broadcast.emit(event, ...args);
      if (ack) ack({ ok: true });
    });
  });
}

// cluster: "join"/"leave" as relay, plus the cluster operations on request (the same events and
// answers as hubbub's cluster app, hub/apps.h). spec: {rooms, except, volatile, local, exceptSelf,
// timeout}. Server-side events from other nodes ("sse-test", "sse-ack-test") are shown to this node's
// clients as "server-event" and acknowledged with {"kind": "node", "clients": N}.
function clusterApp(nsp) {
  const target = (spec, socket) => {
    spec = spec || {};
    let op = nsp;
    if (spec.rooms && spec.rooms.length) op = op.to(spec.rooms);
    if (spec.except && spec.except.length) op = op.except(spec.except);
    if (spec.exceptSelf) op = op.except(socket.id);
    if (spec.volatile) op = op.volatile;
    if (spec.local) op = op.local;
    return op;
  };
  const status = (err) => (err ? (/time/.test(err.message) ? "timeout" : err.message) : "ok");
  for (const ev of ["sse-test", "sse-ack-test"]) {
    nsp.on(ev, (...args) => {
      const ack = typeof args[args.length - 1] === "function" ? args.pop() : null;
      nsp.local.emit("server-event", ev, ...args);
      if (ack) ack({ kind: "node", clients: nsp.sockets.size });
    });
  }
  nsp.on("connection", (socket) => {
    const withAck = (fn) => (...args) => {
      const ack = typeof args[args.length - 1] === "function" ? args.pop() : () => {};
      fn(ack, ...args);
    };
    socket.on("join", withAck((ack, room) => { socket.join(room); ack({ ok: true }); }));
    socket.on("leave", withAck((ack, room) => { socket.leave(room); ack({ ok: true }); }));
    socket.on("cluster:emit", withAck((ack, spec, event, ...args) => {
      target(spec, socket).emit(event, ...args);
      ack({ ok: true });
    }));
    socket.on("cluster:emit-with-ack", withAck((ack, spec, event, ...args) => {
      target(spec, socket).timeout((spec && spec.timeout) || 2000).emit(event, ...args, (err, responses) =>
        ack({ status: status(err), responses }));
    }));
    socket.on("cluster:join", withAck((ack, spec, rooms) => { target(spec, socket).socketsJoin(rooms); ack({ ok: true }); }));
    socket.on("cluster:leave", withAck((ack, spec, rooms) => { target(spec, socket).socketsLeave(rooms); ack({ ok: true }); }));
    socket.on("cluster:disconnect", withAck((ack, spec, close) => {
      ack({ ok: true });
      target(spec, socket).disconnectSockets(!!close);
    }));
    socket.on("cluster:fetch", withAck((ack, spec) => {
      target(spec, socket).fetchSockets().then(
        (sockets) => ack({ status: "ok", sockets: sockets.map((s) => ({ id: s.id, rooms: [...s.rooms] })) }),
        (err) => ack({ status: status(err) }));
    }));
    socket.on("cluster:rooms", withAck((ack) => {
      nsp.adapter.allRooms().then((rooms) => ack({ status: "ok", rooms: [...rooms] }), (err) => ack({ status: status(err) }));
    }));
    socket.on("cluster:sse", withAck((ack, event, ...args) => { nsp.serverSideEmit(event, ...args); ack({ ok: true }); }));
    socket.on("cluster:sse-ack", withAck((ack, event, ...args) => {
      nsp.serverSideEmit(event, ...args, (err, responses) => ack({ status: status(err), responses }));
    }));
  });
}

// Joins io to the cluster on url with the official adapter; resolves once both clients connected.
async function attachRedis(io, cfg) {
  const { createClient } = require("redis");
  const { createAdapter } = require("@socket.io/redis-adapter");
  const pub = createClient({ url: cfg.redis });
  const sub = pub.duplicate();
  for (const c of [pub, sub]) c.on("error", (e) => process.stderr.write(`server.js: redis: ${e.message}\n`));
  await Promise.all([pub.connect(), sub.connect()]);
  io.adapter(createAdapter(pub, sub, { key: cfg.redisKey, requestsTimeout: cfg.redisRequestsTimeout }));
  return [pub, sub];
}

// The bare Engine.IO endpoint: every message goes back as it came (text stays text, binary stays binary).
function engineEcho(httpServer, cfg, cors) {
  const eio = new engine.Server({
    pingInterval: cfg.pingInterval,
    pingTimeout: cfg.pingTimeout,
    upgradeTimeout: cfg.upgradeTimeout,
    maxHttpBufferSize: cfg.maxPayload,
    allowEIO3: cfg.allowEIO3,
    cors,
  });
  eio.attach(httpServer, { path: cfg.engineEchoPath });
  eio.on("connection", (socket) => {
    socket.on("message", (data) => socket.send(data));
  });
  return eio;
}

async function main() {
  const cfg = loadConfig(parseArgs(process.argv.slice(2)));
  const cors = corsOptions(cfg.cors);

  const httpServer = http.createServer((req, res) => {
    res.writeHead(404, { "Content-Type": "text/plain" });
    res.end("Not Found");
  });

  const io = new Server(httpServer, {
    path: cfg.path.replace(/\/$/, ""),
    serveClient: false,
    pingInterval: cfg.pingInterval,
    pingTimeout: cfg.pingTimeout,
    connectTimeout: cfg.connectTimeout,
    upgradeTimeout: cfg.upgradeTimeout,
    maxHttpBufferSize: cfg.maxPayload,
    allowEIO3: cfg.allowEIO3,
    cors,
  });

  const redisClients = cfg.redis ? await attachRedis(io, cfg) : [];
  const namespaces = cfg.namespaces ?? { "/": { app: "relay" } };
  if (!("/" in namespaces)) io._nsps.delete("/"); // "/" always exists in socket.io; hubbub has only what is configured
  for (const [name, nsp] of Object.entries(namespaces)) {
    if (nsp.app === "echo") echoApp(io.of(name));
    else if (nsp.app === "cluster") clusterApp(io.of(name));
    else relayApp(io.of(name), cfg);
  }

  const eio = cfg.engineEchoPath ? engineEcho(httpServer, cfg, cors) : null;

  let closing = false;
  const shutdown = () => {
    if (closing) return;
    closing = true;
    const done = () => {
      for (const c of redisClients) c.disconnect().catch(() => {});
      process.exit(0);
    };
    setTimeout(() => {
      httpServer.closeAllConnections();
      done();
    }, 2000).unref();
    if (eio) eio.close();
    io.close(() => done());
    httpServer.closeIdleConnections();
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);

  httpServer.on("error", (e) => {
    process.stderr.write(`server.js: ${e.message}\n`);
    process.exit(1);
  });
  httpServer.listen(cfg.port, cfg.host, () => {
    const addr = httpServer.address();
    process.stdout.write(`listening on ${addr.address}:${addr.port}\n`);
  });
}

main().catch((e) => {
  process.stderr.write(`server.js: ${e.stack || e}\n`);
  process.exit(1);
});
