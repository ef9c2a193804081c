// Helpers around the stock socket.io-client: connect with a timeout, collect events, clean up.
"use strict";

const { io, Manager } = require("socket.io-client");
const { withTimeout, sleep } = require("./raw");

const DEFAULTS = { reconnection: false, forceNew: true, timeout: 3000 };

// A set of clients closed together (call closeAll() in after()).
class ClientPool {
  constructor() {
    this.sockets = new Set();
    this.managers = new Set();
  }

  // Creates a socket (not yet waited for). nsp is appended to the url.
  socket(url, nsp = "/", opts = {}) {
    const s = io(url + (nsp === "/" ? "" : nsp), { ...DEFAULTS, ...opts });
    this.sockets.add(s);
    return s;
  }

  manager(url, opts = {}) {
    const m = new Manager(url, { ...DEFAULTS, ...opts });
    this.managers.add(m);
    return m;
  }

  // Creates a socket and waits for "connect"; rejects on connect_error or timeout.
  async connect(url, nsp = "/", opts = {}) {
    const s = this.socket(url, nsp, opts);
    await waitConnect(s);
    return s;
  }

  closeAll() {
    for (const s of this.sockets) s.disconnect();
    for (const m of this.managers) m._close && m._close();
    this.sockets.clear();
    this.managers.clear();
  }
}

function waitConnect(socket, ms = 4000) {
  if (socket.connected) return Promise.resolve(socket);
  let onConnect;
  let onError;
  const p = new Promise((resolve, reject) => {
    onConnect = () => resolve(socket);
    onError = (err) => reject(Object.assign(new Error(`connect_error: ${err.message}`), { cause: err, data: err.data }));
    socket.once("connect", onConnect);
    socket.once("connect_error", onError);
  });
  return withTimeout(p, ms, `connect of ${socket.nsp}`).finally(() => {
    socket.off("connect", onConnect);
    socket.off("connect_error", onError);
  });
}

// Next `event` on a socket.io-client socket (or Manager / engine); resolves with its argument list.
function once(emitter, event, ms = 3000) {
  let handler;
  const p = new Promise((resolve) => {
    handler = (...args) => resolve(args);
    emitter.once(event, handler);
  });
  return withTimeout(p, ms, `event "${event}"`).finally(() => emitter.off(event, handler));
}

// Records every `event` on a socket; wait(n) resolves once n have arrived.
class Collector {
  constructor(socket, event) {
    this.socket = socket;
    this.event = event;
    this.items = [];
    this.waiters = [];
    this.handler = (...args) => {
      this.items.push(args);
      this.waiters = this.waiters.filter((w) => {
        if (this.items.length >= w.n) {
          w.resolve(this.items.slice());
          return false;
        }
        return true;
      });
    };
    socket.on(event, this.handler);
  }

  wait(n = 1, ms = 3000) {
    if (this.items.length >= n) return Promise.resolve(this.items.slice());
    const p = new Promise((resolve) => this.waiters.push({ n, resolve }));
    return withTimeout(p, ms, `${n} "${this.event}" event(s) on ${this.socket.nsp} (got ${this.items.length})`);
  }

  stop() {
    this.socket.off(this.event, this.handler);
  }
}

module.exports = { io, Manager, ClientPool, waitConnect, once, Collector, sleep };
