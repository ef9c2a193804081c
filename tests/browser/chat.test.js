// The chat page (web/index.html) in headless Chromium: two people chat through one hub.
//
// Alice and Bob (each in a browser context of their own) pick names and join a room; each sees
// the other in the presence list; Bob's typing shows on Alice's page; his message appears there
// and gets its delivery mark on his; when the hub stops, both pages show the reconnect banner, and
// when it is back on the same port the banner goes and the chat works again. Screenshots go to
// tests/artifacts/chat-*.png.
"use strict";

const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");

const lib = require("./lib");

const skip = lib.skipReason();
if (skip) console.log(`browser tests skipped: ${skip}`);

describe("chat page", { skip }, () => {
  let hub;
  let browser;
  let alice;
  let bob;

  before(async () => {
    hub = await lib.hubs.start({ config: { pingInterval: 2000, pingTimeout: 2000 } });
    browser = await lib.launch();
    alice = await lib.newPage(browser);
    bob = await lib.newPage(browser);
  });

  after(async () => {
    if (browser) await browser.close();
    if (hub) await hub.stop();
  });

  async function join(page, name, room) {
    await page.goto(`${hub.url}/`);
    await page.getByLabel("Your name", { exact: true }).fill(name);
    await page.getByLabel("Room", { exact: true }).fill(room);
    await page.getByRole("button", { name: "Join the chat" }).click();
    await page.locator("#chat-view").waitFor({ state: "visible" });
    assert.equal(await page.locator("#room-title").textContent(), `#${room}`);
  }

  function person(page, name) {
    return page.locator("#people li", { hasText: name });
  }

  it("serves the page with the hub's client bundle and connects", async () => {
    const res = await alice.goto(`${hub.url}/`);
    assert.equal(res.status(), 200);
    assert.match(res.headers()["content-type"], /^text\/html/);
    assert.equal(await alice.title(), "Hubbub chat");
    assert.equal(await alice.evaluate(() => typeof io), "function");
    await alice.locator('#conn[data-state="connected"]').waitFor();
    await lib.screenshot(alice, "chat-join");
  });

  it("two people join a room and see each other", async () => {
    await join(alice, "Alice", "lobby");
    await join(bob, "Bob", "lobby");
    await person(alice, "Bob").waitFor();
    await person(bob, "Alice").waitFor();
    assert.equal(await alice.locator("#people li").count(), 2);
    assert.equal(await bob.locator("#people li").count(), 2);
    assert.equal(await person(alice, "Alice").locator(".you").textContent(), "you");
    await alice.locator(".notice", { hasText: "Bob joined #lobby" }).waitFor();
  });

  it("shows who is typing", async () => {
    await bob.locator("#composer-input").pressSequentially("Hi Ali", { delay: 20 });
    await alice.locator("#typing", { hasText: "Bob is typing…" }).waitFor();
    await person(alice, "Bob").locator(".is-typing").waitFor();
  });

  it("delivers a message and marks it delivered", async () => {
    await bob.locator("#composer-input").pressSequentially("ce! How are you?");
    await bob.locator("#composer-input").press("Enter");
    const received = alice.locator("#messages li.msg", { hasText: "Hi Alice! How are you?" });
    await received.waitFor();
    assert.equal(await received.locator(".author").textContent(), "Bob");
    const sent = bob.locator("#messages li.msg.mine", { hasText: "Hi Alice! How are you?" });
    await sent.locator('.status[data-state="delivered"]').waitFor();
    assert.match(await sent.locator(".status").getAttribute("title"), /Delivered to Alice/);
    // the message ended Bob's typing
    await alice.waitForFunction(() => document.getElementById("typing").textContent === "");

    await alice.locator("#composer-input").fill("Great, thanks. Ship it?");
    await alice.getByRole("button", { name: "Send" }).click();
    await bob.locator("#messages li.msg", { hasText: "Ship it?" }).waitFor();
    await alice.locator('#messages li.mine .status[data-state="delivered"]').waitFor();
    await bob.locator("#composer-input").fill("Ship i");
    await alice.locator("#typing", { hasText: "Bob is typing…" }).waitFor();
    await lib.screenshot(alice, "chat-alice");
    await lib.screenshot(bob, "chat-bob");
    await bob.locator("#composer-input").fill("");
  });

  it("keeps rooms apart", async () => {
    await bob.locator("#new-room-input").fill("dev");
    await bob.locator("#room-form button").click();
    await bob.locator("#room-title", { hasText: "#dev" }).waitFor();
    await bob.locator("#composer-input").fill("only for #dev");
    await bob.locator("#composer-input").press("Enter");
    await bob.locator('#messages li.mine .status[data-state="sent"]').waitFor();
    // Alice is not in #dev: it must not show up in #lobby
    await alice.waitForTimeout(300);
    assert.equal(await alice.locator("#messages li", { hasText: "only for #dev" }).count(), 0);
    // a message in #lobby while Bob looks at #dev shows as unread there
    await alice.locator("#composer-input").fill("are you in dev?");
    await alice.locator("#composer-input").press("Enter");
    await bob.locator("#room-list .badge", { hasText: "1" }).waitFor();
    await bob.locator("#room-list button", { hasText: "lobby" }).click();
    await bob.locator("#messages li.msg", { hasText: "are you in dev?" }).waitFor();
  });

  it("shows a reconnect banner while the hub is down and recovers on the same port", async () => {
    const port = hub.port;
    assert.ok(await alice.locator("#banner").isHidden());
    await hub.stop();
    await alice.locator("#banner").waitFor({ state: "visible" });
    await bob.locator("#banner").waitFor({ state: "visible" });
    assert.match(await alice.locator("#banner-text").textContent(), /Reconnecting/);
    await alice.locator('#conn[data-state="reconnecting"]').waitFor();
    await lib.screenshot(alice, "chat-reconnecting");

    hub = await lib.hubs.start({ port, config: { pingInterval: 2000, pingTimeout: 2000 } });
    await alice.locator("#banner").waitFor({ state: "hidden", timeout: 20000 });
    await bob.locator("#banner").waitFor({ state: "hidden", timeout: 20000 });
    await alice.locator('#conn[data-state="connected"]').waitFor();

    // the pages joined their rooms again on the new hub: messages and presence flow
    await person(alice, "Bob").waitFor();
    await alice.locator("#composer-input").fill("back again");
    await alice.locator("#composer-input").press("Enter");
    await bob.locator("#messages li.msg", { hasText: "back again" }).waitFor({ timeout: 15000 });
    await alice.locator('#messages li.mine:has-text("back again") .status[data-state="delivered"]').waitFor();
  });

  it("follows the system's dark mode", async () => {
    await alice.emulateMedia({ colorScheme: "dark" });
    const bg = await alice.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const [r, g, b] = bg.match(/\d+/g).map(Number);
    assert.ok(r + g + b < 150, `a dark background, not ${bg}`);
    await lib.screenshot(alice, "chat-dark");
    await alice.emulateMedia({ colorScheme: "light" });
  });

  it("fits a phone screen, with rooms and people in a drawer", async () => {
    await bob.setViewportSize({ width: 390, height: 800 });
    await bob.waitForFunction(() => document.getElementById("sidebar").getBoundingClientRect().right <= 0);
    const toggle = bob.getByRole("button", { name: "Rooms and people" });
    await toggle.click();
    assert.equal(await toggle.getAttribute("aria-expanded"), "true");
    await bob.waitForFunction(() => document.getElementById("sidebar").getBoundingClientRect().left >= 0);
    await lib.screenshot(bob, "chat-phone-drawer");
    await bob.keyboard.press("Escape");
    assert.equal(await toggle.getAttribute("aria-expanded"), "false");
    await bob.waitForTimeout(300);
    await lib.screenshot(bob, "chat-phone");
    // nothing wider than the screen
    assert.ok(await bob.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
  });

  it("reported no page errors", () => {
    // while the hub was down, the pages' reconnection attempts failed: that is expected
    const expected = (p) => /ERR_CONNECTION_REFUSED|WebSocket connection to .* failed|socket\.io\/\?EIO=4/.test(p);
    lib.checkProblems(alice, expected);
    lib.checkProblems(bob, expected);
  });
});
