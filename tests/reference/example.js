#!/usr/bin/env node
// Reference twin of build/examples/hubbub-example, on the Node.js socket.io server.
//
//   node tests/reference/example.js [--port N] [--host ADDR]
//
// Prints "listening on HOST:PORT". Namespace "/":
//   connect hook: rejects unless auth.token == "secret" (CONNECT_ERROR "unauthorized", data {"reason":"bad token"})
//   on connect:   emits "welcome" [socket id]
//   "ask" [ms]:   emits "question" ["what?"] with an ack and a timeout, then "ask-result"
//                 {"ok":true,"args":[...]} or {"ok":false,"error":"timeout"}
//   "join" room:  joins, ack {"ok":true}
//   "to-room" (room, payload): "room-msg" payload to the room except the sender
//   "ask-all" [ms]: broadcast-with-ack "question" to every socket, then "ask-all-result"
//                 {"count":N,"responses":[...]} (plus "error":"timeout" when some did not answer in time)
//   "kick":       the server disconnects the socket ("io server disconnect" on the client)
"use strict";

const http = require("node:http");
const { Server } = require("socket.io");

function main() {
  let port = 3000;
  let host = "127.0.0.1";
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--port") port = Number(argv[++i]);
    else if (argv[i] === "--host") host = argv[++i];
    else {
      process.stderr.write(`example.js: unknown argument ${argv[i]}\n`);
      process.exit(2);
    }
  }

  const httpServer = http.createServer((req, res) => {
    res.writeHead(404, { "Content-Type": "text/plain" });
    res.end("Not Found");
  });
  const io = new Server(httpServer, { serveClient: false });

  io.use((socket, next) => {
    const auth = socket.handshake.auth || {};
    if (auth.token === "secret") return next();
    const err = new Error("unauthorized");
    err.data = { reason: "bad token" };
    next(err);
  });

  io.on("connection", (socket) => {
    socket.emit("welcome", socket.id);

    socket.on("ask", (ms) => {
      socket.timeout(Number(ms) || 0).emit("question", "what?", (err, ...args) => {
        if (err) socket.emit("ask-result", { ok: false, error: "timeout" });
        else socket.emit("ask-result", { ok: true, args });
      });
    });

    socket.on("join", (room, ack) => {
      socket.join(String(room));
      if (typeof ack === "function") ack({ ok: true });
    });

    socket.on("to-room", (room, payload) => {
      socket.to(String(room)).emit("room-msg", payload);
    });

    socket.on("ask-all", (ms) => {
      const count = io.of("/").sockets.size;
      io.timeout(Number(ms) || 0).emit("question", "what?", (err, responses) => {
        const result = { count, responses };
        if (err) result.error = "timeout";
        socket.emit("ask-all-result", result);
      });
    });

    socket.on("kick", () => socket.disconnect());
  });

  let closing = false;
  const shutdown = () => {
    if (closing) return;
    closing = true;
    setTimeout(() => {
      httpServer.closeAllConnections();
      process.exit(0);
    }, 2000).unref();
    io.close(() => process.exit(0));
    httpServer.closeIdleConnections();
  };
  process.on("SIGTERM", shutdown);
  process.on("SIGINT", shutdown);

  httpServer.listen(port, host, () => {
    const addr = httpServer.address();
    process.stdout.write(`listening on ${addr.address}:${addr.port}\n`);
  });
}

main();
