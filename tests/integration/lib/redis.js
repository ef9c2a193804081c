// A throwaway redis-server for the cluster tests, and Node.js reference nodes joined to it.
//
// startRedis() runs /usr/bin/redis-server (REDIS_SERVER overrides) on a free loopback port with its own
// temp dir, no persistence (--save '' --appendonly no) unless opts.args (extra arguments, after those)
// turn it on, and waits until it answers; stop() sends SIGTERM to its PID (SIGKILL after a timeout),
// kill() sends SIGKILL, and restart() starts it again on the same port and dir. Every server still
// running when the test process exits is killed by PID and its dir removed.
//
// startNode(config) runs tests/reference/server.js (socket.io 4.8 with @socket.io/redis-adapter when the
// config names "redis") whatever HUB_TARGET says: the Node.js member of a mixed cluster.
"use strict";

const { spawn } = require("node:child_process");
const fs = require("node:fs");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");
const { Hub, writeConfig, SOURCE_DIR } = require("./hub");

const REDIS_SERVER = process.env.REDIS_SERVER || "/usr/bin/redis-server";

const live = new Set();
const nodes = new Set();
process.on("exit", () => {
  for (const h of nodes) {
    try {
      process.kill(h.pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
  for (const r of live) {
    try {
      process.kill(r.pid, "SIGKILL");
    } catch {
      /* gone */
    }
    fs.rmSync(r.dir, { recursive: true, force: true });
  }
});

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Resolves once something accepts TCP connections on port (rejects after ms).
function waitListening(port, ms) {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve();
      });
      s.once("error", () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on 127.0.0.1:${port} after ${ms} ms`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

class RedisServer {
  constructor(port, dir, args = []) {
    this.port = port;
    this.dir = dir;
    this.args = args;
    this.proc = null;
    this.log = "";
  }

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid() {
    return this.proc ? this.proc.pid : 0;
  }

  async start() {
    const args = ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
      "--dir", this.dir, "--daemonize", "no", "--protected-mode", "no", ...this.args];
    const proc = spawn(REDIS_SERVER, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.proc = proc;
    live.add(this);
    proc.stdout.setEncoding("utf8");
    proc.stdout.on("data", (d) => { this.log = (this.log + d).slice(-20000); });
    proc.stderr.on("data", (d) => { this.log = (this.log + d).slice(-20000); });
    this.exited = new Promise((resolve) => proc.on("exit", () => {
      if (this.proc === proc) live.delete(this);
      resolve();
    }));
    await waitListening(this.port, 5000).catch((e) => {
      throw new Error(`${e.message}\n${this.log}`);
    });
  }

  // SIGTERM by PID, SIGKILL after ms.
  async stop(ms = 3000) {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill("SIGTERM");
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), ms);
    await this.exited;
    clearTimeout(timer);
  }

  // SIGKILL by PID: no shutdown, no final save.
  async kill() {
    if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill("SIGKILL");
    await this.exited;
  }

  async restart() {
    await this.stop();
    await this.start();
  }

  async cleanup() {
    await this.stop();
    live.delete(this);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

async function startRedis(opts = {}) {
  const port = opts.port ?? (await freePort());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hubbub-redis-"));
  const r = new RedisServer(port, dir, opts.args || []);
  await r.start();
  return r;
}

// A Node.js reference node (tests/reference/server.js) with config (an object), resolved once listening.
async function startNode(config, opts = {}) {
  const file = writeConfig(config);
  const args = [path.join(SOURCE_DIR, "tests", "reference", "server.js"), "--port", "0", "--host", "127.0.0.1",
    "--config", file];
  const env = { ...process.env, NODE_PATH: process.env.NODE_PATH || path.join(SOURCE_DIR, "node_modules") };
  const proc = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  const hub = new Hub(proc, "node-reference");
  nodes.add(hub);
  proc.on("exit", () => nodes.delete(hub));
  proc.stderr.setEncoding("utf8");
  proc.stderr.on("data", (d) => { hub.stderr = (hub.stderr + d).slice(-100000); });
  proc.stdout.setEncoding("utf8");
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`server.js did not listen within ${opts.startTimeout ?? 10000} ms\n${hub.stderr}`));
    }, opts.startTimeout ?? 10000);
    proc.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server.js exited (${code}) before listening\n${hub.stderr}`));
    });
    proc.stdout.on("data", (d) => {
      hub.stdout += d;
      const m = /listening on (\S+):(\d+)/.exec(hub.stdout);
      if (m && !hub.port) {
        hub.host = m[1];
        hub.port = Number(m[2]);
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return hub;
}

module.exports = { startRedis, startNode, freePort, RedisServer };
