// The dashboard (web/dashboard/) in headless Chromium: it signs in with the Admin UI's credentials,
// then shows the event bus's queues, topics and subscriptions live; a queue's depth changes on the
// page after messages are sent to it, without a reload. Screenshots: tests/artifacts/dashboard-*.png.
"use strict";

const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const bcrypt = require("bcryptjs");
const { io } = require("socket.io-client");

const lib = require("./lib");

const skip = lib.skipReason();
if (skip) console.log(`browser tests skipped: ${skip}`);

const PASSWORD = "dashboard-test";

describe("dashboard", { skip }, () => {
  let hub;
  let browser;
  let page;
  let client;

  before(async () => {
    hub = await lib.hubs.start({
      config: {
        admin: { username: "ops", passwordHash: bcrypt.hashSync(PASSWORD, 8) },
        dashboard: { interval: 500 },
        namespaces: { "/": { app: "relay" }, "/bus": { bus: true } },
        queues: { orders: { deadLetterQueue: { queue: "orders-dead", maxReceiveCount: 3 } }, "orders-dead": {} },
        topics: { "order-events": { subscriptions: [{ queue: "orders" }, { room: "/bus#watchers" }] } },
      },
    });
    client = io(`${hub.url}/bus`, { forceNew: true, reconnection: false, transports: ["websocket"] });
    await new Promise((resolve, reject) => {
      client.once("connect", resolve);
      client.once("connect_error", reject);
    });
    browser = await lib.launch();
    page = await lib.newPage(browser, { viewport: { width: 1280, height: 1000 } });
  });

  after(async () => {
    if (client) client.close();
    if (browser) await browser.close();
    if (hub) await hub.stop();
  });

  const cell = (queue, field) => page.locator(`#queues tr[data-queue="${queue}"] td[data-field="${field}"]`);

  it("asks for the Admin UI's credentials", async () => {
    const res = await page.goto(`${hub.url}/dashboard`);
    assert.equal(res.status(), 200);
    assert.equal(page.url(), `${hub.url}/dashboard/`);
    assert.equal(await page.title(), "Hubbub dashboard");
    await page.locator("#login").waitFor();
    assert.equal(await page.locator("#dash").isVisible(), false);
    await page.getByLabel("User name").fill("ops");
    await page.getByLabel("Password").fill("wrong");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator("#login-error", { hasText: "Wrong user name or password." }).waitFor();
    await lib.screenshot(page, "dashboard-login");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator("#dash").waitFor();
    await page.locator('#conn[data-state="connected"]').waitFor();
  });

  it("shows the queues, topics and subscriptions of the bus", async () => {
    assert.equal(await cell("orders", "visible").textContent(), "0");
    assert.equal(await cell("orders", "inflight").textContent(), "0");
    assert.match(await cell("orders", "dlq").textContent(), /0\s*orders-dead/);
    await page.locator('#topics tr[data-topic="order-events"] td[data-field="subscriptions"]', { hasText: "2" }).waitFor();
    await page.locator('#subscriptions tr[data-endpoint="orders"]').waitFor();
    await page.locator('#subscriptions tr[data-endpoint="/bus#watchers"]').waitFor();
    assert.equal(await page.locator("#node-tabs button").count(), 1);
  });

  it("shows a queue's depth change after a send, live", async () => {
    for (let i = 0; i < 3; i++) assert.equal((await client.emitWithAck("bus:send", "orders", `order ${i}`)).ok, true);
    await cell("orders", "visible").filter({ hasText: /^3$/ }).waitFor();
    assert.equal(await cell("orders", "sent").textContent(), "3");
    // a publish fans out to the queue too
    assert.equal((await client.emitWithAck("bus:publish", "order-events", "shipped")).ok, true);
    await cell("orders", "visible").filter({ hasText: /^4$/ }).waitFor();
    await page.locator('#topics tr[data-topic="order-events"] td[data-field="published"]', { hasText: /^1$/ }).waitFor();
    // a consumer takes one and keeps it: it moves to in flight
    const got = new Promise((resolve) => client.once("bus:message", resolve));
    assert.equal((await client.emitWithAck("bus:subscribe", "orders", { maxInFlight: 1 })).ok, true);
    await got;
    await cell("orders", "inflight").filter({ hasText: /^1$/ }).waitFor();
    await cell("orders", "visible").filter({ hasText: /^3$/ }).waitFor();
    await page.locator("#tile-queued .value", { hasText: /^3$/ }).waitFor();
    await page.waitForTimeout(1500); // a few more points on the charts
    await lib.screenshot(page, "dashboard");
  });

  it("keeps the sign-in for the next visit", async () => {
    await page.reload();
    await page.locator("#dash").waitFor();
    assert.equal(await page.locator("#login").isVisible(), false);
  });

  it("follows the system's dark mode", async () => {
    await page.emulateMedia({ colorScheme: "dark" });
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const [r, g, b] = bg.match(/\d+/g).map(Number);
    assert.ok(r + g + b < 150, `a dark background, not ${bg}`);
    await page.waitForTimeout(600);
    await lib.screenshot(page, "dashboard-dark");
    await page.emulateMedia({ colorScheme: "light" });
  });

  it("reported no page errors", () => {
    lib.checkProblems(page);
  });
});
