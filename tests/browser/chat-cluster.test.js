// The chat page (web/index.html) on a cluster: two hubs on one Redis, Alice's browser on the first,
// Bob's on the second. They see each other join, type and chat; each message gets its delivery mark.
// Screenshots: tests/artifacts/chat-cluster-*.png.
"use strict";

const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");

const lib = require("./lib");
const { startRedis } = require("../integration/lib/redis");

const skip = lib.skipReason();
if (skip) console.log(`browser tests skipped: ${skip}`);

describe("chat page on two nodes", { skip }, () => {
  let redis;
  let h1;
  let h2;
  let browser;
  let alice;
  let bob;

  before(async () => {
    redis = await startRedis();
    const config = { redis: redis.url, pingInterval: 5000, pingTimeout: 5000 };
    h1 = await lib.hubs.start({ config });
    h2 = await lib.hubs.start({ config });
    browser = await lib.launch();
    alice = await lib.newPage(browser);
    bob = await lib.newPage(browser);
  });

  after(async () => {
    if (browser) await browser.close();
    for (const h of [h1, h2]) if (h) await h.stop();
    if (redis) await redis.cleanup();
  });

  async function join(page, hub, name, room) {
    await page.goto(`${hub.url}/`);
    await page.getByLabel("Your name", { exact: true }).fill(name);
    await page.getByLabel("Room", { exact: true }).fill(room);
    await page.getByRole("button", { name: "Join the chat" }).click();
    await page.locator("#chat-view").waitFor({ state: "visible" });
  }

  const person = (page, name) => page.locator("#people li", { hasText: name });

  it("Alice on one hub and Bob on the other see each other", async () => {
    assert.notEqual(h1.port, h2.port);
    await join(alice, h1, "Alice", "lobby");
    await join(bob, h2, "Bob", "lobby");
    await person(alice, "Bob").waitFor();
    await person(bob, "Alice").waitFor();
    await alice.locator(".notice", { hasText: "Bob joined #lobby" }).waitFor();
  });

  it("they chat across the cluster", async () => {
    await bob.locator("#composer-input").pressSequentially("Hello from hub 2", { delay: 15 });
    await alice.locator("#typing", { hasText: "Bob is typing…" }).waitFor();
    await bob.locator("#composer-input").press("Enter");
    await alice.locator("#messages li.msg", { hasText: "Hello from hub 2" }).waitFor();
    await bob.locator('#messages li.mine:has-text("Hello from hub 2") .status[data-state="delivered"]').waitFor();
    await alice.locator("#composer-input").fill("Hi Bob, this is hub 1");
    await alice.getByRole("button", { name: "Send" }).click();
    await bob.locator("#messages li.msg", { hasText: "this is hub 1" }).waitFor();
    await alice.locator('#messages li.mine:has-text("this is hub 1") .status[data-state="delivered"]').waitFor();
    await lib.screenshot(alice, "chat-cluster-alice");
    await lib.screenshot(bob, "chat-cluster-bob");
  });

  it("reported no page errors", () => {
    lib.checkProblems(alice);
    lib.checkProblems(bob);
  });
});
