// The official Socket.IO Admin UI (@socket.io/admin-ui's prebuilt ui/dist, served by the hub at
// /admin/) in headless Chromium against Hubbub's admin namespace: it logs in with the configured
// credentials, shows the connected sockets and their rooms, and disconnects one. Screenshots go to
// tests/artifacts/admin-*.png.
"use strict";

const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const bcrypt = require("bcryptjs");
const { io } = require("socket.io-client");

const lib = require("./lib");

const skip = lib.skipReason();
if (skip) console.log(`browser tests skipped: ${skip}`);

const PASSWORD = "admin-ui-test";

describe("Admin UI", { skip }, () => {
  let hub;
  let browser;
  let page;
  const users = [];
  const requests = [];

  before(async () => {
    hub = await lib.hubs.start({
      config: {
        admin: { username: "admin", passwordHash: bcrypt.hashSync(PASSWORD, 8), serverId: "hub-1" },
        namespaces: { "/": { app: "relay" }, "/orders": { app: "relay" } },
      },
    });
    for (const [nsp, room] of [["/", "lobby"], ["/", "lobby"], ["/orders", "eu"]]) {
      const s = io(hub.url + nsp, { forceNew: true, reconnection: false, transports: ["websocket"] });
      await new Promise((resolve, reject) => {
        s.once("connect", resolve);
        s.once("connect_error", reject);
      });
      assert.deepEqual(await s.emitWithAck("join", room), { ok: true });
      users.push(s);
    }
    browser = await lib.launch();
    page = await lib.newPage(browser, { viewport: { width: 1280, height: 800 } });
    page.on("request", (r) => requests.push(r.url()));
  });

  after(async () => {
    for (const s of users) s.close();
    if (browser) await browser.close();
    if (hub) await hub.stop();
  });

  it("is served by the hub, without a CDN, and asks for the credentials", async () => {
    const res = await page.goto(`${hub.url}/admin`);
    assert.equal(res.status(), 200);
    assert.ok(page.url().startsWith(`${hub.url}/admin/`), page.url()); // the UI adds "#/"
    assert.equal(await page.title(), "Socket.IO Admin UI");
    await page.getByLabel("Password").waitFor();
    // the first visit is pointed at this hub, and says nothing is wrong yet
    assert.equal(await page.getByLabel("Server URL").inputValue(), hub.url);
    assert.equal(await page.getByText("Invalid credentials").count(), 0);
    // the icon font is the hub's copy
    await page.waitForFunction(() => document.fonts.check('24px "Material Design Icons"'));
  });

  it("refuses a wrong password", async () => {
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Connect" }).click();
    await page.getByText("Invalid credentials").waitFor();
  });

  it("logs in and shows the server and its namespaces", async () => {
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Connect" }).click();
    await page.locator(".v-chip", { hasText: "CONNECTED" }).first().waitFor();
    await page.getByLabel("Password").waitFor({ state: "hidden" });
    // server_stats: one healthy server; the namespaces with their sockets
    await page.locator("td", { hasText: "/orders" }).waitFor();
    await page.getByText("HEALTHY").first().waitFor();
    await page.waitForTimeout(2500); // a second server_stats: the charts have bars
    await lib.screenshot(page, "admin-dashboard");
    // the session is kept: a reload logs in again without the form
    const session = await page.evaluate(() => localStorage.getItem("session_id"));
    assert.match(session, /^[0-9a-f]+\.[0-9a-f]{64}$/);
    await page.reload();
    await page.locator(".v-chip", { hasText: "CONNECTED" }).first().waitFor();
    assert.equal(await page.getByLabel("Password").isVisible(), false);
  });

  it("shows the connected sockets, with their rooms", async () => {
    await page.getByRole("link", { name: "Sockets" }).click();
    for (const s of users.slice(0, 2)) await page.getByText(s.id).waitFor();
    await page.waitForTimeout(600); // the page's transition
    await lib.screenshot(page, "admin-sockets");
    // the other namespace
    await page.locator(".v-select", { hasText: "/" }).first().click();
    await page.getByRole("option", { name: "/orders" }).click();
    await page.getByText(users[2].id).waitFor();
    await page.getByRole("link", { name: "Rooms" }).click();
    await page.getByText("eu", { exact: true }).waitFor();
  });

  it("disconnects one socket", async () => {
    const [target, other] = users;
    await page.getByRole("link", { name: "Sockets" }).click();
    await page.locator(".v-select", { hasText: "/orders" }).first().click();
    await page.getByRole("option", { name: "/", exact: true }).click();
    await page.getByText(target.id).click();
    await page.getByText("Initial HTTP request").waitFor();
    const gone = new Promise((resolve) => target.once("disconnect", resolve));
    // the Socket part's Status row (the first one is the client's)
    await page.locator("tr", { hasText: "Status" }).nth(1).locator("button").click();
    assert.equal(await gone, "io server disconnect");
    await page.locator("tr", { hasText: "Status" }).nth(1).getByText("DISCONNECTED").waitFor();
    assert.equal(other.connected, true);
    assert.equal(users[2].connected, true);
    await page.waitForTimeout(600);
    await lib.screenshot(page, "admin-socket-disconnected");
  });

  it("loaded nothing from other sites and reported no page errors", () => {
    const foreign = requests.filter((u) => !u.startsWith(hub.url) && !u.startsWith("data:"));
    assert.deepEqual(foreign, []);
    lib.checkProblems(page);
  });
});
