#!/usr/bin/env node
// Reference Node.js server with the same command line, config file and built-in apps as build/hubbub.
//
//   node tests/reference/server.js [--port N] [--host ADDR] [--config FILE] [--log-level L]
//
// Prints "listening on HOST:PORT" once it accepts connections; SIGTERM/SIGINT close every client and exit 0.
// Config keys (same as hubbub): port, host, path, pingInterval, pingTimeout, connectTimeout, upgradeTimeout,
// maxPayload, maxBufferedBytes (no Node equivalent: ignored), maxRoomsPerSocket, cors, engineEchoPath,
// namespaces ({"/chat": {"app": "echo" | "relay"}}; without "namespaces", "/" runs relay).
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
    engineEchoPath: cfg.engineEchoPath ?? null,
    cors: cfg.cors ?? null,
    namespaces: cfg.namespaces ?? null,
    logLevel: cfg.logLevel ?? "info",
  };
  if (flags.host !== undefined) out.host = flags.host;
  if (flags.port !== undefined) out.port = flags.port;
  if (flags.logLevel !== undefined) out.logLevel = flags.logLevel;
  if (out.namespaces !== null) {
    for (const [name, nsp] of Object.entries(out.namespaces)) {
      if (!name.startsWith("/")) usage(`namespaces.${name}: a namespace starts with "/"`);
      if (!nsp || (nsp.app !== "echo" && nsp.app !== "relay")) usage(`namespaces.${name}.app: "echo" or "relay"`);
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

// The bare Engine.IO endpoint: every message goes back as it came (text stays text, binary stays binary).
function engineEcho(httpServer, cfg, cors) {
  const eio = new engine.Server({
    pingInterval: cfg.pingInterval,
    pingTimeout: cfg.pingTimeout,
    upgradeTimeout: cfg.upgradeTimeout,
    maxHttpBufferSize: cfg.maxPayload,
    cors,
  });
  eio.attach(httpServer, { path: cfg.engineEchoPath });
  eio.on("connection", (socket) => {
    socket.on("message", (data) => socket.send(data));
  });
  return eio;
}

function main() {
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
    cors,
  });

  const namespaces = cfg.namespaces ?? { "/": { app: "relay" } };
  if (!("/" in namespaces)) io._nsps.delete("/"); // "/" always exists in socket.io; hubbub has only what is configured
  for (const [name, nsp] of Object.entries(namespaces)) {
    if (nsp.app === "echo") echoApp(io.of(name));
    else relayApp(io.of(name), cfg);
  }

  const eio = cfg.engineEchoPath ? engineEcho(httpServer, cfg, cors) : null;

  let closing = false;
  const shutdown = () => {
    if (closing) return;
    closing = true;
    const done = () => process.exit(0);
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

main();
