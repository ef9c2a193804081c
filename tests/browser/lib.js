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
  page.on("pageerror", (err) => page.problems.push(`page error: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") page.problems.push(`console error: ${msg.text()}`);
  });
  page.on("response", (res) => {
    if (res.status() >= 400) page.problems.push(`HTTP ${res.status()} for ${res.url()}`);
  });
  return page;
}

// Problems that a test expects (a reconnecting page logs failed connections) can be filtered out.
function checkProblems(page, ignore = () => false) {
  const left = page.problems.filter((p) => !ignore(p));
  if (left.length) throw new Error(`the page reported problems:\n  ${left.join("\n  ")}`);
}

async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

module.exports = { CHROMIUM, CHROMIUM_ARGS, ARTIFACTS, skipReason, launch, newPage, checkProblems, screenshot, hubs };
