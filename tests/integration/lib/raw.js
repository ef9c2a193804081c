// Raw protocol helpers: HTTP requests (node:http), WebSockets (ws), Engine.IO payloads and Socket.IO packets.
// Every wait takes a timeout and rejects with a message saying what it was waiting for.
"use strict";

const http = require("node:http");
const WebSocket = require("ws");

const SEP = "\x1e";

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Resolves/rejects like p, or rejects after ms with "timeout: <what>".
function withTimeout(p, ms, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

// Resolves with the arguments of the next `event` on an EventEmitter-like object (on/off or once).
function waitEvent(emitter, event, ms = 3000) {
  let handler;
  const p = new Promise((resolve) => {
    handler = (...args) => resolve(args);
    emitter.once(event, handler);
  });
  return withTimeout(p, ms, `event "${event}"`).finally(() => emitter.off(event, handler));
}

// Resolves true if `event` fires within ms, false otherwise (to prove an absence, keep ms short).
async function eventWithin(emitter, event, ms) {
  try {
    await waitEvent(emitter, event, ms);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------
// HTTP

// One request. opts: port, method (GET), path, headers, body (string|Buffer), agent (default: false, a fresh
// connection with "Connection: close"), timeout (ms, default 3000). Returns {req, response} where response is
// a promise of {status, headers, body (Buffer), text}.
function startRequest(opts) {
  const body = opts.body === undefined ? null : Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(String(opts.body));
  const headers = { ...(opts.headers || {}) };
  if (body && headers["Content-Type"] === undefined && headers["content-type"] === undefined) {
    headers["Content-Type"] = "text/plain;charset=UTF-8";
  }
  if (body) headers["Content-Length"] = body.length;
  const req = http.request({
    host: "127.0.0.1",
    port: opts.port,
    method: opts.method || "GET",
    path: opts.path,
    headers,
    agent: opts.agent === undefined ? false : opts.agent,
  });
  const timeoutMs = opts.timeout ?? 3000;
  const response = new Promise((resolve, reject) => {
    req.on("error", reject);
    req.on("response", (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const buf = Buffer.concat(chunks);
        resolve({ status: res.statusCode, headers: res.headers, body: buf, text: buf.toString("utf8") });
      });
      res.on("aborted", () => reject(new Error("response aborted")));
    });
    if (body) req.write(body);
    req.end();
  });
  const guarded = withTimeout(response, timeoutMs, `${opts.method || "GET"} ${opts.path}`);
  guarded.catch(() => req.destroy());
  return { req, response: guarded };
}

function request(opts) {
  return startRequest(opts).response;
}

// ---------------------------------------------------------------------------------------------------------
// Engine.IO

function eioPath(opts = {}) {
  const base = opts.path || "/socket.io/";
  const q = [];
  if (opts.EIO !== null) q.push(`EIO=${opts.EIO ?? 4}`);
  if (opts.transport !== null) q.push(`transport=${opts.transport ?? "polling"}`);
  if (opts.sid) q.push(`sid=${encodeURIComponent(opts.sid)}`);
  if (opts.extra) q.push(opts.extra);
  return `${base}?${q.join("&")}`;
}

// Encodes a list of packets (strings, or Buffers for binary) into a polling payload.
function encodePayload(packets) {
  return packets.map((p) => (Buffer.isBuffer(p) ? "b" + p.toString("base64") : p)).join(SEP);
}

// Splits a polling payload; binary packets ("b"+base64) come back as Buffers.
function decodePayload(text) {
  if (text === "") return [];
  return text.split(SEP).map((p) => (p.startsWith("b") ? Buffer.from(p.slice(1), "base64") : p));
}

function parseOpen(packet) {
  if (typeof packet !== "string" || packet[0] !== "0") throw new Error(`not an open packet: ${packet}`);
  return JSON.parse(packet.slice(1));
}

// A polling session on a given path: handshake, get, post.
class PollingSession {
  constructor(port, path = "/socket.io/") {
    this.port = port;
    this.path = path;
    this.sid = null;
  }

  async handshake() {
    const res = await request({ port: this.port, path: eioPath({ path: this.path }) });
    if (res.status !== 200) throw new Error(`polling handshake: ${res.status} ${res.text}`);
    this.open = parseOpen(res.text);
    this.sid = this.open.sid;
    this.handshakeAt = Date.now();
    return this.open;
  }

  url(extra) {
    return eioPath({ path: this.path, sid: this.sid, extra });
  }

  startGet(opts = {}) {
    return startRequest({ port: this.port, path: this.url(), timeout: 3000, ...opts });
  }

  get(opts = {}) {
    return this.startGet(opts).response;
  }

  post(body, opts = {}) {
    return request({ port: this.port, method: "POST", path: this.url(), body, ...opts });
  }
}

// ---------------------------------------------------------------------------------------------------------
// WebSocket

// A raw WebSocket with a message queue. Messages: {text} for text frames, {binary: Buffer} for binary ones.
// autoPong (default true): answers Engine.IO pings "2" with "3" and keeps them out of the queue.
class RawWs {
  constructor(url, opts = {}) {
    this.url = url;
    this.autoPong = opts.autoPong ?? true;
    this.queue = [];
    this.waiters = [];
    this.pings = 0;
    this.error = null;
    this.closeInfo = null;
    this.ws = new WebSocket(url, { perMessageDeflate: false, headers: opts.headers, maxPayload: 0 });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once("open", resolve);
      this.ws.once("close", () => reject(new Error(`websocket ${url} closed before open: ${this.error && this.error.message}`)));
    });
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) => {
      this.ws.on("close", (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
        this.flush();
      });
    });
    this.ws.on("error", (e) => {
      this.error = e;
    });
    this.ws.on("message", (data, isBinary) => {
      const msg = isBinary ? { binary: Buffer.from(data) } : { text: data.toString("utf8") };
      if (!isBinary && msg.text === "2") {
        this.pings++;
        if (this.autoPong) {
          if (this.ws.readyState === WebSocket.OPEN) this.ws.send("3");
          return;
        }
      }
      this.queue.push(msg);
      this.flush();
    });
  }

  // HTTP status of a refused upgrade, if any.
  get refusedStatus() {
    const m = this.error && /Unexpected server response: (\d+)/.exec(this.error.message);
    return m ? Number(m[1]) : null;
  }

  flush() {
    while (this.waiters.length && (this.queue.length || this.closeInfo)) {
      const w = this.waiters.shift();
      if (this.queue.length) w.resolve(this.queue.shift());
      else w.reject(new Error(`websocket closed (${this.closeInfo.code}) while waiting for a message`));
    }
  }

  // The next message; rejects on timeout or close.
  next(ms = 3000) {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    if (this.closeInfo) return Promise.reject(new Error(`websocket closed (${this.closeInfo.code}) while waiting for a message`));
    let waiter;
    const p = new Promise((resolve, reject) => {
      waiter = { resolve, reject };
      this.waiters.push(waiter);
    });
    return withTimeout(p, ms, `next websocket message on ${this.url}`).catch((e) => {
      const i = this.waiters.indexOf(waiter);
      if (i >= 0) this.waiters.splice(i, 1);
      throw e;
    });
  }

  // The next text message (fails on a binary one).
  async nextText(ms = 3000) {
    const m = await this.next(ms);
    if (m.text === undefined) throw new Error(`expected a text frame, got binary ${m.binary.toString("hex")}`);
    return m.text;
  }

  async nextBinary(ms = 3000) {
    const m = await this.next(ms);
    if (m.binary === undefined) throw new Error(`expected a binary frame, got text ${m.text}`);
    return m.binary;
  }

  // Resolves true if nothing arrives within ms (and the socket is still open).
  async quietFor(ms) {
    try {
      const m = await this.next(ms);
      this.queue.unshift(m);
      return false;
    } catch {
      return this.queue.length === 0;
    }
  }

  send(data) {
    this.ws.send(data);
  }

  // Waits for the close; rejects after ms.
  waitClose(ms = 3000) {
    return withTimeout(this.closed, ms, `close of websocket ${this.url}`);
  }

  get isOpen() {
    return this.ws.readyState === WebSocket.OPEN;
  }

  close() {
    try {
      this.ws.terminate();
    } catch {
      /* already gone */
    }
  }
}

// Opens an Engine.IO WebSocket session (no sid) and reads the open packet.
async function openWsSession(port, opts = {}) {
  const ws = new RawWs(`ws://127.0.0.1:${port}${eioPath({ path: opts.path, transport: "websocket" })}`, opts);
  await withTimeout(ws.opened, 3000, "websocket open");
  ws.open = parseOpen(await ws.nextText());
  ws.sid = ws.open.sid;
  return ws;
}

// Opens a WebSocket session and connects Socket.IO to nsp ("/" by default), consuming the CONNECT reply and
// (for echo namespaces) the "auth" event. Returns the RawWs with .sioSid.
async function openSioSession(port, opts = {}) {
  const ws = await openWsSession(port, opts);
  const nsp = opts.nsp || "/";
  ws.send(sio.connect(nsp, opts.auth));
  const reply = await ws.nextText();
  const prefix = nsp === "/" ? "40" : `40${nsp},`;
  if (!reply.startsWith(prefix)) throw new Error(`unexpected CONNECT reply ${reply}`);
  ws.sioSid = JSON.parse(reply.slice(prefix.length)).sid;
  if (opts.echo !== false) {
    const auth = await ws.nextText();
    if (!auth.startsWith(`${nsp === "/" ? "42" : `42${nsp},`}["auth",`)) throw new Error(`expected auth event, got ${auth}`);
  }
  return ws;
}

// ---------------------------------------------------------------------------------------------------------
// Socket.IO packets (Engine.IO "4" message prefix included)

function nspPart(nsp) {
  return !nsp || nsp === "/" ? "" : `${nsp},`;
}

const sio = {
  connect(nsp = "/", auth) {
    return `40${nspPart(nsp)}${auth === undefined ? "" : JSON.stringify(auth)}`;
  },
  disconnect(nsp = "/") {
    return `41${nspPart(nsp)}`;
  },
  event(args, { nsp, id } = {}) {
    return `42${nspPart(nsp)}${id ?? ""}${JSON.stringify(args)}`;
  },
  ack(args, id, { nsp } = {}) {
    return `43${nspPart(nsp)}${id}${JSON.stringify(args)}`;
  },
  // Returns [text packet, ...Buffers]: Buffers found in args are replaced by placeholders.
  binaryEvent(args, { nsp, id } = {}) {
    const { data, buffers } = deconstruct(args);
    return [`45${buffers.length}-${nspPart(nsp)}${id ?? ""}${JSON.stringify(data)}`, ...buffers];
  },
  binaryAck(args, id, { nsp } = {}) {
    const { data, buffers } = deconstruct(args);
    return [`46${buffers.length}-${nspPart(nsp)}${id}${JSON.stringify(data)}`, ...buffers];
  },
};

function deconstruct(value) {
  const buffers = [];
  const walk = (v) => {
    if (Buffer.isBuffer(v)) {
      buffers.push(v);
      return { _placeholder: true, num: buffers.length - 1 };
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") {
      const o = {};
      for (const [k, x] of Object.entries(v)) o[k] = walk(x);
      return o;
    }
    return v;
  };
  return { data: walk(value), buffers };
}

// Sends every element of a [text, ...Buffers] list on a RawWs.
function sendAll(ws, parts) {
  for (const p of parts) ws.send(p);
}

module.exports = {
  SEP,
  sleep,
  withTimeout,
  waitEvent,
  eventWithin,
  startRequest,
  request,
  eioPath,
  encodePayload,
  decodePayload,
  parseOpen,
  PollingSession,
  RawWs,
  openWsSession,
  openSioSession,
  sio,
  sendAll,
};
