// The hub's own HTTP endpoints (hub/web.c): the socket.io-client bundle served as the Node.js
// server serves it, the pages from webRoot, path traversal, /healthz and /readyz.
//
// The reference for the bundle is npm socket.io's own serveClient code, run in this process on a
// free port (tests/reference/server.js runs with serveClient: false). Requests ask for
// "accept-encoding: identity", since the Node.js server compresses when asked and the hub does not.
// Run: node --test tests/integration/web.test.js
"use strict";

const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const http = require("node:http");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");

const hubs = require("./lib/hub");
const { request } = require("./lib/raw");

const SKIP = hubs.IS_REFERENCE ? "HUB_TARGET=reference: these are the hub's own endpoints" : undefined;
const CLIENT_DIR = path.join(hubs.SOURCE_DIR, "node_modules", "socket.io-client", "dist");
const CLIENT_VERSION = require(path.join(hubs.SOURCE_DIR, "node_modules", "socket.io-client", "package.json")).version;
const WEB_DIR = path.join(hubs.SOURCE_DIR, "web");
const BUNDLE = [
  "socket.io.js",
  "socket.io.js.map",
  "socket.io.min.js",
  "socket.io.min.js.map",
  "socket.io.esm.min.js",
  "socket.io.esm.min.js.map",
  "socket.io.msgpack.min.js",
  "socket.io.msgpack.min.js.map",
];
const IDENTITY = { "accept-encoding": "identity" };

// npm socket.io serving its client (serveClient: true), with options (cors, path).
async function startReference(opts = {}) {
  const { Server } = require("socket.io");
  const server = http.createServer((req, res) => {
    res.writeHead(404, { "Content-Type": "text/plain" });
    res.end("Not Found");
  });
  const io = new Server(server, { serveClient: true, ...opts });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: server.address().port,
    close: () => new Promise((resolve) => {
      io.close();
      server.closeAllConnections();
      resolve();
    }),
  };
}

const get = (port, p, headers = {}, method = "GET") =>
  request({ port, path: p, method, headers: { ...IDENTITY, ...headers } });

// One raw request line, as written (no client-side normalisation of the path); resolves with the
// status (0 when the connection closed without a reply) and the whole response text.
function rawGet(port, target) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, "127.0.0.1");
    let data = "";
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer to GET ${target}`));
    }, 3000);
    sock.setEncoding("latin1");
    sock.on("connect", () => sock.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    sock.on("data", (d) => (data += d));
    sock.on("error", () => {});
    sock.on("close", () => {
      clearTimeout(timer);
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(data);
      resolve({ status: m ? Number(m[1]) : 0, text: data });
    });
  });
}

describe("the socket.io-client bundle", { skip: SKIP }, () => {
  let hub;
  let ref;

  before(async () => {
    hub = await hubs.start({ config: {} });
    ref = await startReference();
  });
  after(async () => {
    if (hub) await hub.stop();
    if (ref) await ref.close();
  });

  for (const name of BUNDLE) {
    it(`serves ${name} as the Node.js server does`, async () => {
      const want = fs.readFileSync(path.join(CLIENT_DIR, name));
      const mine = await get(hub.port, `/socket.io/${name}`);
      const theirs = await get(ref.port, `/socket.io/${name}`);
      assert.equal(mine.status, 200);
      assert.equal(theirs.status, 200);
      assert.ok(mine.body.equals(want), `${name}: the bytes of node_modules/socket.io-client/dist/${name}`);
      assert.ok(theirs.body.equals(want), `${name}: the reference serves the same bytes`);
      for (const h of ["content-type", "etag", "cache-control"]) {
        assert.equal(mine.headers[h], theirs.headers[h], `${name}: ${h}`);
      }
      assert.equal(mine.headers.etag, `"${CLIENT_VERSION}"`);
      assert.equal(Number(mine.headers["content-length"]), want.length);
    });
  }

  it("answers If-None-Match with 304, strong or weak, as the reference does", async () => {
    for (const inm of [`"${CLIENT_VERSION}"`, `W/"${CLIENT_VERSION}"`]) {
      for (const name of ["socket.io.min.js", "socket.io.min.js.map"]) {
        const mine = await get(hub.port, `/socket.io/${name}`, { "if-none-match": inm });
        const theirs = await get(ref.port, `/socket.io/${name}`, { "if-none-match": inm });
        assert.equal(theirs.status, 304, `reference, ${inm}`);
        assert.equal(mine.status, 304, `hub, ${inm}`);
        assert.equal(mine.body.length, 0);
      }
    }
    const stale = await get(hub.port, "/socket.io/socket.io.min.js", { "if-none-match": '"0.0.1"' });
    assert.equal(stale.status, 200);
    assert.equal((await get(ref.port, "/socket.io/socket.io.min.js", { "if-none-match": '"0.0.1"' })).status, 200);
  });

  it("ignores a query string, as the reference does", async () => {
    const mine = await get(hub.port, "/socket.io/socket.io.js?v=123");
    const theirs = await get(ref.port, "/socket.io/socket.io.js?v=123");
    assert.equal(mine.status, 200);
    assert.equal(theirs.status, 200);
    assert.ok(mine.body.equals(theirs.body));
  });

  it("answers HEAD with the headers and no body", async () => {
    const res = await get(hub.port, "/socket.io/socket.io.min.js", {}, "HEAD");
    assert.equal(res.status, 200);
    assert.equal(res.headers.etag, `"${CLIENT_VERSION}"`);
    assert.equal(res.headers["content-type"], "application/javascript; charset=utf-8");
    assert.equal(res.body.length, 0);
    // the length a GET would get, as HTTP says for HEAD
    const full = await get(hub.port, "/socket.io/socket.io.min.js");
    assert.equal(Number(res.headers["content-length"]), full.body.length);
  });

  it("serves nothing else under the Engine.IO path", async () => {
    for (const p of ["/socket.io/socket.io.msgpack.js", "/socket.io/client.js", "/socket.io/socket.io.js.gz"]) {
      assert.equal((await get(hub.port, p)).status, 404, p);
    }
    // the Engine.IO endpoint itself is untouched
    const hs = await get(hub.port, "/socket.io/?EIO=4&transport=polling");
    assert.equal(hs.status, 200);
    assert.match(hs.text, /^0\{"sid":/);
  });

  it("the stock client loaded from the hub connects to it", async () => {
    const vm = require("node:vm");
    const res = await get(hub.port, "/socket.io/socket.io.min.js");
    // the UMD bundle defines `io` on the global it is given; run it against a bare global
    const sandbox = { window: {}, self: {} };
    sandbox.globalThis = sandbox;
    vm.runInNewContext(res.text, sandbox, { filename: "socket.io.min.js" });
    assert.equal(typeof sandbox.io, "function");
    assert.equal(typeof sandbox.io.Manager, "function");
  });
});

describe("the bundle with options", { skip: SKIP }, () => {
  it("sends CORS headers on the bundle like the reference's cors option", async () => {
    const hub = await hubs.start({ config: { cors: "*" } });
    const ref = await startReference({ cors: { origin: "*" } });
    try {
      const h = { origin: "https://elsewhere.example" };
      const mine = await get(hub.port, "/socket.io/socket.io.esm.min.js", h);
      const theirs = await get(ref.port, "/socket.io/socket.io.esm.min.js", h);
      assert.equal(theirs.headers["access-control-allow-origin"], "*");
      assert.equal(mine.headers["access-control-allow-origin"], "*");
    } finally {
      await hub.stop();
      await ref.close();
    }
  });

  it("moves with the Engine.IO path", async () => {
    const hub = await hubs.start({ config: { path: "/rt/" } });
    const ref = await startReference({ path: "/rt" });
    try {
      const mine = await get(hub.port, "/rt/socket.io.min.js");
      const theirs = await get(ref.port, "/rt/socket.io.min.js");
      assert.equal(mine.status, 200);
      assert.equal(theirs.status, 200);
      assert.ok(mine.body.equals(theirs.body));
      assert.equal((await get(hub.port, "/socket.io/socket.io.min.js")).status, 404);
    } finally {
      await hub.stop();
      await ref.close();
    }
  });

  it("is not served with serveClient false, and comes from clientBundleDir", async () => {
    const off = await hubs.start({ config: { serveClient: false } });
    try {
      assert.equal((await get(off.port, "/socket.io/socket.io.min.js")).status, 404);
    } finally {
      await off.stop();
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hubbub-client-"));
    fs.mkdirSync(path.join(dir, "dist"));
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ version: "7.7.7" }));
    fs.writeFileSync(path.join(dir, "dist", "socket.io.js"), "/* test bundle */\n");
    const hub = await hubs.start({ config: { clientBundleDir: path.join(dir, "dist") } });
    try {
      const res = await get(hub.port, "/socket.io/socket.io.js");
      assert.equal(res.status, 200);
      assert.equal(res.text, "/* test bundle */\n");
      assert.equal(res.headers.etag, '"7.7.7"');
      assert.equal((await get(hub.port, "/socket.io/socket.io.min.js")).status, 404);
    } finally {
      await hub.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("pages from webRoot", { skip: SKIP }, () => {
  let hub;
  let tmp;
  let root;
  const SECRET = "TOP-SECRET-OUTSIDE-THE-WEB-ROOT";

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hubbub-web-"));
    root = path.join(tmp, "www");
    fs.mkdirSync(path.join(root, "docs"), { recursive: true });
    fs.writeFileSync(path.join(root, "index.html"), "<!doctype html><title>test root</title>\n");
    fs.writeFileSync(path.join(root, "app.js"), "console.log('app');\n");
    fs.writeFileSync(path.join(root, "style.css"), "body { color: red; }\n");
    fs.writeFileSync(path.join(root, "docs", "index.html"), "<p>docs</p>\n");
    fs.writeFileSync(path.join(root, ".env"), `SECRET=${SECRET}\n`);
    fs.writeFileSync(path.join(tmp, "secret.txt"), `${SECRET}\n`);
    fs.symlinkSync(path.join(tmp, "secret.txt"), path.join(root, "link.txt"));
    hub = await hubs.start({ config: { webRoot: root } });
  });
  after(async () => {
    if (hub) await hub.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("serves files with their content types and ETags", async () => {
    const cases = [
      ["/", "text/html; charset=utf-8", "index.html"],
      ["/index.html", "text/html; charset=utf-8", "index.html"],
      ["/app.js", "text/javascript; charset=utf-8", "app.js"],
      ["/style.css", "text/css; charset=utf-8", "style.css"],
      ["/docs/", "text/html; charset=utf-8", "docs/index.html"],
    ];
    for (const [p, type, file] of cases) {
      const res = await get(hub.port, p);
      assert.equal(res.status, 200, p);
      assert.equal(res.headers["content-type"], type, p);
      assert.ok(res.body.equals(fs.readFileSync(path.join(root, file))), p);
      assert.match(res.headers.etag, /^"[0-9a-f]+-[0-9a-f]{16}"$/, p);
      assert.equal(res.headers["x-content-type-options"], "nosniff");
      const again = await get(hub.port, p, { "if-none-match": res.headers.etag });
      assert.equal(again.status, 304, `${p} revalidated`);
      assert.equal(again.body.length, 0);
    }
  });

  it("answers HEAD, refuses other methods, redirects a directory to its slash", async () => {
    const head = await get(hub.port, "/app.js", {}, "HEAD");
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(Number(head.headers["content-length"]), (await get(hub.port, "/app.js")).body.length);
    assert.equal((await get(hub.port, "/app.js", {}, "POST")).status, 405);
    const dir = await get(hub.port, "/docs?x=1");
    assert.equal(dir.status, 301);
    assert.equal(dir.headers.location, "/docs/?x=1");
    assert.equal((await get(hub.port, "/nope.html")).status, 404);
  });

  it("serves a changed file fresh, with a new ETag", async () => {
    const before1 = await get(hub.port, "/app.js");
    fs.writeFileSync(path.join(root, "app.js"), "console.log('changed, and longer');\n");
    const after1 = await get(hub.port, "/app.js");
    assert.equal(after1.text, "console.log('changed, and longer');\n");
    assert.notEqual(after1.headers.etag, before1.headers.etag);
  });

  it("refuses path traversal", async () => {
    const attempts = [
      "/../secret.txt",
      "/../../../../etc/passwd",
      "/docs/../../secret.txt",
      "/%2e%2e/secret.txt",
      "/%2E%2E/secret.txt",
      "/.%2e/secret.txt",
      "/%2e%2e%2fsecret.txt",
      "/..%2fsecret.txt",
      "/..%5csecret.txt",
      "/..\\secret.txt",
      "/%252e%252e/secret.txt",
      "/%c0%ae%c0%ae/secret.txt",
      "//secret.txt",
      `/${encodeURIComponent(path.join(tmp, "secret.txt"))}`,
      `/${path.join(tmp, "secret.txt")}`,
      "/.env",
      "/%2eenv",
      "/link.txt",
      "/socket.io/../../secret.txt",
      "/etc/passwd",
    ];
    for (const target of attempts) {
      const res = await rawGet(hub.port, target);
      assert.ok([400, 403, 404].includes(res.status), `${target}: status ${res.status}`);
      assert.ok(!res.text.includes(SECRET), `${target}: leaked the secret`);
      assert.ok(!res.text.includes("root:x:0:0"), `${target}: leaked /etc/passwd`);
    }
  });
});

describe("the shipped pages", { skip: SKIP }, () => {
  let hub;
  before(async () => {
    hub = await hubs.start({ config: {} }); // the default webRoot: the source tree's web/
  });
  after(async () => {
    if (hub) await hub.stop();
  });

  it("serves web/ with the chat page that loads the hub's client bundle", async () => {
    const index = await get(hub.port, "/");
    assert.equal(index.status, 200);
    assert.ok(index.body.equals(fs.readFileSync(path.join(WEB_DIR, "index.html"))));
    assert.match(index.text, /<script src="\/socket\.io\/socket\.io\.min\.js"/);
    assert.doesNotMatch(index.text, /https?:\/\//, "no external resources");
    for (const [p, type] of [["/chat.js", "text/javascript"], ["/chat.css", "text/css"], ["/favicon.svg", "image/svg+xml"]]) {
      const res = await get(hub.port, p);
      assert.equal(res.status, 200, p);
      assert.ok(res.headers["content-type"].startsWith(type), p);
      assert.ok(res.body.equals(fs.readFileSync(path.join(WEB_DIR, p.slice(1)))), p);
    }
  });
});

describe("health endpoints", { skip: SKIP }, () => {
  let hub;
  before(async () => {
    hub = await hubs.start({ config: {} });
  });
  after(async () => {
    if (hub) await hub.stop();
  });

  it("/healthz answers 200 {status: ok}", async () => {
    const res = await get(hub.port, "/healthz");
    assert.equal(res.status, 200);
    assert.match(res.headers["content-type"], /^application\/json/);
    assert.equal(res.headers["cache-control"], "no-store");
    assert.deepEqual(JSON.parse(res.text), { status: "ok" });
    assert.equal((await get(hub.port, "/healthz", {}, "HEAD")).status, 200);
    assert.equal((await get(hub.port, "/healthz", {}, "POST")).status, 405);
  });

  it("/readyz answers 200 when ready, with the checks", async () => {
    const res = await get(hub.port, "/readyz");
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.text), { status: "ready", checks: { server: "ok" } });
  });
});
