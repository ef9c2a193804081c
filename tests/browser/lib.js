// Browser tests: Debian's Chromium (/usr/bin/chromium) driven by playwright-core, against real hubs.
//
// Never `npx playwright install`: the browser is the system package (scripts/setup.sh installs it).
// skipReason() says why the tests cannot run here (no Chromium, no playwright-core, or a target
// that does not serve the pages); launch() starts a headless Chromium with a fresh profile (Playwright
// makes a new temporary --user-data-dir per launch); newPage() opens a page in a context of its own
// (its own storage, as a second person on another machine) that records the page's errors;
// screenshot() writes tests/artifacts/<name>.png.
"use strict";

const fs = require("node:fs");
const path = require("node:path");

const hubs = require("../integration/lib/hub");

const CHROMIUM = process.env.CHROMIUM_BIN || "/usr/bin/chromium";
const ARTIFACTS = path.join(hubs.SOURCE_DIR, "tests", "artifacts");

// The flags this machine needs: no GPU, no QUIC, and nothing that phones home (the network is
// closed, and Chromium's background requests would be refused many at a time).
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

function loadPlaywright() {
  try {
    return require("playwright-core");
  } catch {
    return null;
  }
}

// A reason to skip, or undefined when the browser tests can run.
function skipReason() {
  if (!fs.existsSync(CHROMIUM)) return `${CHROMIUM} is missing (apt-get install chromium, or run scripts/setup.sh)`;
  if (!loadPlaywright()) return "playwright-core is not installed (npm ci)";
  if (hubs.IS_REFERENCE) return "HUB_TARGET=reference: the Node.js reference server does not serve the pages";
  return undefined;
}

async function launch() {
  const { chromium } = loadPlaywright();
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30000 });
}

// A page in a new context; page.problems collects uncaught errors, console errors and failed
// requests (checkProblems() fails the test on any).
async function newPage(browser, opts = {}) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 760 }, ...opts });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  page.problems = [];
  const closedByPage = new Set(); // see the "request" handler
  page.on("pageerror", (err) => page.problems.push(`page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    const where = msg.location().url || "";
    const sid = where.includes("/socket.io/") && new URL(where).searchParams.get("sid");
    if (/status of 400/.test(msg.text()) && closedByPage.has(sid)) return; // the race below
    page.problems.push(`console error: ${msg.text()} ${where}`);
  });
  page.trace = []; // the Engine.IO requests, for the report of a failure
  // Sessions the page closed itself (it POSTed the close packet "1"). engine.io-client does not
  // abort its pending GET when it closes, so that GET races the close: if it reaches the server
  // after the POST, the session is gone and the answer is 400 "Session ID unknown", from the Node.js
  // reference as from Hubbub (engineio.test.js checks both). That 400 is the protocol's, not a fault.
  const t0 = Date.now();
  page.on("request", (req) => {
    if (!req.url().includes("/socket.io/")) return;
    const body = req.postData() || "";
    page.trace.push(`${Date.now() - t0}ms ${req.method()} ${req.url()} ${body}`);
    const sid = new URL(req.url()).searchParams.get("sid");
    if (req.method() === "POST" && sid && body.split("\x1e").includes("1")) closedByPage.add(sid);
  });
  page.on("requestfailed", (req) => {
    if (req.url().includes("/socket.io/")) page.trace.push(`${Date.now() - t0}ms failed ${req.method()} ${req.url()}: ${req.failure() && req.failure().errorText}`);
  });
  page.on("response", async (res) => {
    const req = res.request();
    if (res.url().includes("/socket.io/")) page.trace.push(`${Date.now() - t0}ms ${res.status()} for ${req.method()} ${res.url()}`);
    if (res.status() < 400) return;
    const sid = res.url().includes("/socket.io/") && new URL(res.url()).searchParams.get("sid");
    if (res.status() === 400 && req.method() === "GET" && closedByPage.has(sid)) {
      page.trace.push(`(the 400 above raced the page's own close of ${sid})`);
      page.closeRaces = (page.closeRaces || 0) + 1;
      return;
    }
    const entry = page.problems.push(`HTTP ${res.status()} for ${req.method()} ${res.url()}`) - 1;
    const body = await res.text().catch(() => "");
    if (body) page.problems[entry] += ` ${body.slice(0, 200)}`;
  });
  return page;
}

// Problems that a test expects (a reconnecting page logs failed connections) can be filtered out.
function checkProblems(page, ignore = () => false) {
  const left = page.problems.filter((p) => !ignore(p));
  if (left.length) {
    const trace = (page.trace || []).slice(-40);
    throw new Error(`the page reported problems:\n  ${left.join("\n  ")}\nlast Engine.IO requests:\n  ${trace.join("\n  ")}`);
  }
}

async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

module.exports = { CHROMIUM, CHROMIUM_ARGS, ARTIFACTS, skipReason, launch, newPage, checkProblems, screenshot, hubs };
