// Starting and stopping a target server for the integration tests.
//
// HUB_TARGET=hubbub (default): HUBBUB_BIN (or build/hubbub under HUB_SOURCE_DIR / the repo root), and the
//   example program next to it (build/examples/hubbub-example, or HUBBUB_EXAMPLE_BIN).
// HUB_TARGET=reference: node tests/reference/server.js and tests/reference/example.js (socket.io 4.8.1).
//
// start() writes the config to a temp file, runs `<bin> --port P --host 127.0.0.1 --config FILE`, waits for
// "listening on 127.0.0.1:PORT" on stdout and returns a handle; stop() sends SIGTERM, then SIGKILL after a
// timeout. Every server still running when the test process exits is killed.
"use strict";

const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const SOURCE_DIR = process.env.HUB_SOURCE_DIR || path.resolve(__dirname, "..", "..", "..");
const TARGET = (process.env.HUB_TARGET || "hubbub").toLowerCase();
if (TARGET !== "hubbub" && TARGET !== "reference") {
  throw new Error(`HUB_TARGET must be "hubbub" or "reference", not ${JSON.stringify(TARGET)}`);
}
const IS_REFERENCE = TARGET === "reference";

const CONFORMANCE_FILE = path.join(SOURCE_DIR, "tests", "conformance.json");
const CONFORMANCE_DEFAULT = {
  pingInterval: 300,
  pingTimeout: 200,
  connectTimeout: 1000,
  engineEchoPath: "/engine.io/",
  namespaces: { "/": { app: "echo" }, "/custom": { app: "echo" } },
};

// The conformance config (tests/conformance.json), plus overrides.
function conformanceConfig(overrides = {}) {
  let base = CONFORMANCE_DEFAULT;
  try {
    base = JSON.parse(fs.readFileSync(CONFORMANCE_FILE, "utf8"));
  } catch {
    /* the built-in copy above */
  }
  return { ...base, ...overrides };
}

function hubCommand(kind) {
  const nodeArgs = (file) => ({ cmd: process.execPath, args: [path.join(SOURCE_DIR, "tests", "reference", file)] });
  if (IS_REFERENCE) return kind === "example" ? nodeArgs("example.js") : nodeArgs("server.js");
  const bin = process.env.HUBBUB_BIN || path.join(SOURCE_DIR, "build", "hubbub");
  if (kind === "example") {
    const ex = process.env.HUBBUB_EXAMPLE_BIN || path.join(path.dirname(bin), "examples", "hubbub-example");
    return { cmd: ex, args: [] };
  }
  return { cmd: bin, args: [] };
}

const running = new Set();

// A sanitizer report from any server this process started fails the test run, even when every
// assertion passed (the sanitizer build runs these tests against an ASan/UBSan hub).
const SANITIZER_RE = /ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:|UndefinedBehaviorSanitizer/;
const sanitizerReports = [];
process.on("exit", () => {
  if (sanitizerReports.length) {
    for (const r of sanitizerReports) process.stderr.write(`\nsanitizer report from ${r.kind} pid ${r.pid}:\n${r.text}\n`);
    process.exitCode = 1;
  }
});
process.on("exit", () => {
  for (const h of running) {
    try {
      process.kill(h.pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
});

let tmpDir = null;
let configSeq = 0;
function writeConfig(config) {
  if (!tmpDir) tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "hubbub-it-"));
  const file = path.join(tmpDir, `config-${process.pid}-${++configSeq}.json`);
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}
process.on("exit", () => {
  if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
});

class Hub {
  constructor(proc, kind) {
    this.proc = proc;
    this.pid = proc.pid;
    this.kind = kind;
    this.stdout = "";
    this.stderr = "";
    this.exited = false;
    this.exitCode = null;
    this.exitSignal = null;
    // 'close' comes after the last stderr bytes, so a report written just before exit is seen.
    proc.on("close", () => {
      if (SANITIZER_RE.test(this.stderr)) sanitizerReports.push({ kind: this.kind, pid: this.pid, text: this.logTail(60) });
    });
    this.exitPromise = new Promise((resolve) => {
      proc.on("exit", (code, signal) => {
        this.exited = true;
        this.exitCode = code;
        this.exitSignal = signal;
        running.delete(this);
        resolve({ code, signal });
      });
    });
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl() {
    return `ws://127.0.0.1:${this.port}`;
  }

  // Last lines of stderr, for failure messages.
  logTail(n = 30) {
    const lines = this.stderr.split("\n");
    return lines.slice(-n).join("\n");
  }

  signal(sig) {
    if (!this.exited) this.proc.kill(sig);
  }

  // Waits for the process to exit; rejects after ms.
  async waitExit(ms = 5000) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.kind} pid ${this.pid} did not exit within ${ms} ms\n${this.logTail()}`)), ms);
    });
    try {
      return await Promise.race([this.exitPromise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  // SIGTERM, then SIGKILL after `timeout` ms. Resolves {code, signal, killed}.
  async stop(timeout = 3000) {
    if (this.exited) return { code: this.exitCode, signal: this.exitSignal, killed: false };
    this.proc.kill("SIGTERM");
    try {
      const r = await this.waitExit(timeout);
      return { ...r, killed: false };
    } catch {
      this.proc.kill("SIGKILL");
      const r = await this.exitPromise;
      return { ...r, killed: true };
    }
  }

  async kill() {
    if (this.exited) return { code: this.exitCode, signal: this.exitSignal };
    this.proc.kill("SIGKILL");
    return this.exitPromise;
  }
}

// Starts a server. opts: config (object; written to a temp file), configFile, port (default 0),
// kind ("server" | "example"), startTimeout (ms), extraArgs.
async function start(opts = {}) {
  const kind = opts.kind || "server";
  const { cmd, args } = hubCommand(kind);
  if (cmd !== process.execPath && !fs.existsSync(cmd)) {
    throw new Error(`${cmd} does not exist (HUB_TARGET=${TARGET}); build it or set HUBBUB_BIN`);
  }
  const argv = [...args, "--port", String(opts.port ?? 0)];
  if (kind !== "example") {
    argv.push("--host", "127.0.0.1");
    const file = opts.configFile || (opts.config !== undefined ? writeConfig(opts.config) : null);
    if (file) argv.push("--config", file);
  }
  if (opts.extraArgs) argv.push(...opts.extraArgs);

  const env = { ...process.env };
  if (cmd === process.execPath) env.NODE_PATH = env.NODE_PATH || path.join(SOURCE_DIR, "node_modules");
  const proc = spawn(cmd, argv, { env, stdio: ["ignore", "pipe", "pipe"] });
  const hub = new Hub(proc, kind);
  running.add(hub);
  proc.stderr.setEncoding("utf8");
  proc.stderr.on("data", (d) => {
    hub.stderr += d;
    if (hub.stderr.length > 200000) hub.stderr = hub.stderr.slice(-100000);
  });
  proc.stdout.setEncoding("utf8");

  const timeoutMs = opts.startTimeout ?? 10000;
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      fail(new Error(`${cmd} did not print "listening on" within ${timeoutMs} ms`));
    }, timeoutMs);
    function fail(err) {
      clearTimeout(timer);
      proc.kill("SIGKILL");
      err.message += `\nargs: ${argv.join(" ")}\nstdout: ${hub.stdout}\nstderr: ${hub.logTail()}`;
      reject(err);
    }
    const onExit = (code, signal) => fail(new Error(`${cmd} exited (code ${code}, signal ${signal}) before listening`));
    proc.on("error", fail);
    proc.on("exit", onExit);
    proc.stdout.on("data", (d) => {
      hub.stdout += d;
      const m = /listening on (\S+):(\d+)/.exec(hub.stdout);
      if (m && !hub.port) {
        hub.host = m[1];
        hub.port = Number(m[2]);
        clearTimeout(timer);
        proc.removeListener("error", fail);
        proc.removeListener("exit", onExit);
        resolve();
      }
    });
  });
  proc.on("error", () => {});
  return hub;
}

module.exports = {
  TARGET,
  IS_REFERENCE,
  SOURCE_DIR,
  conformanceConfig,
  writeConfig,
  start,
  Hub,
};
