// The parcels demo (web/demo/parcels/) in headless Chromium against a hub running
// examples/parcels.json as shipped: a vendor requests a pickup, the parcel waits in the FIFO queue,
// a driver starts a shift, takes it, reports it in transit and delivered; the vendor sees each step
// and the queue's numbers follow. A driver who ends a shift hands the parcel back. Screenshots:
// tests/artifacts/parcels-*.png.
"use strict";

const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");

const lib = require("./lib");

const skip = lib.skipReason();
if (skip) console.log(`browser tests skipped: ${skip}`);

describe("parcels demo", { skip }, () => {
  let hub;
  let browser;
  let page;

  before(async () => {
    hub = await lib.hubs.start({ configFile: path.join(lib.hubs.SOURCE_DIR, "examples", "parcels.json") });
    browser = await lib.launch();
    page = await lib.newPage(browser, { viewport: { width: 1300, height: 900 } });
  });

  after(async () => {
    if (browser) await browser.close();
    if (hub) await hub.stop();
  });

  const vendor = (id) => page.locator(`[data-vendor="${id}"]`);
  const driver = (id) => page.locator(`[data-driver="${id}"]`);
  const number = (id, value) => page.locator(`#${id}`, { hasText: new RegExp(`^${value}$`) });

  it("loads, with every vendor and driver connected", async () => {
    const res = await page.goto(`${hub.url}/demo/parcels/`);
    assert.equal(res.status(), 200);
    assert.equal(await page.title(), "Parcels demo · Hubbub");
    for (const v of ["acme", "globex", "initech"]) await vendor(v).getByRole("button", { name: "Request pickup" }).and(page.locator(":enabled")).waitFor();
    for (const d of ["1", "2"]) await driver(d).getByRole("button", { name: "Start shift" }).and(page.locator(":enabled")).waitFor();
    await number("q-visible", 0).waitFor();
    await number("q-inflight", 0).waitFor();
    assert.equal(await page.locator("#setup-error").isVisible(), false);
  });

  it("completes a delivery", async () => {
    await vendor("acme").getByRole("button", { name: "Request pickup" }).click();
    const parcel = vendor("acme").locator("li[data-parcel]").first();
    await parcel.and(page.locator('[data-status="requested"]')).waitFor();
    const id = await parcel.getAttribute("data-parcel");
    await number("q-visible", 1).waitFor(); // waiting in the queue: no driver on shift

    await driver("1").getByRole("button", { name: "Start shift" }).click();
    const job = driver("1").locator(`.job[data-parcel="${id}"]`);
    await job.waitFor();
    await number("q-inflight", 1).waitFor();
    await number("q-visible", 0).waitFor();
    await job.getByRole("button", { name: "Start delivery" }).click();
    await vendor("acme").locator(`li[data-parcel="${id}"][data-status="transit"]`).waitFor();
    await job.getByRole("button", { name: "Delivered" }).and(page.locator(":enabled")).waitFor();
    await lib.screenshot(page, "parcels-in-transit");
    await job.getByRole("button", { name: "Delivered" }).click();
    await vendor("acme").locator(`li[data-parcel="${id}"][data-status="delivered"]`).waitFor();
    await number("q-inflight", 0).waitFor();
    await page.locator("#q-totals", { hasText: "1 delivered" }).waitFor();
    assert.match(await vendor("acme").locator(`li[data-parcel="${id}"]`).textContent(), /driver 1/);
    // the other vendors heard nothing about it
    assert.equal(await vendor("globex").locator("li[data-parcel]").count(), 0);
    await page.locator("#log li", { hasText: `delivered by driver 1` }).waitFor();
  });

  it("a driver who ends the shift hands the parcel back; another delivers it", async () => {
    await vendor("globex").getByRole("button", { name: "Request pickup" }).click();
    const job = driver("1").locator(".job");
    await job.waitFor();
    const id = await job.getAttribute("data-parcel");
    assert.match(id, /^globex-/);
    await driver("1").getByRole("button", { name: "End shift" }).click();
    await number("q-visible", 1).waitFor();
    await number("q-inflight", 0).waitFor();
    // driver 2 drives by itself
    await driver("2").getByLabel("Drive by myself").check();
    await driver("2").getByRole("button", { name: "Start shift" }).click();
    await vendor("globex").locator(`li[data-parcel="${id}"][data-status="delivered"]`).waitFor({ timeout: 15000 });
    assert.match(await vendor("globex").locator(`li[data-parcel="${id}"]`).textContent(), /driver 2/);
    await number("q-visible", 0).waitFor();
    await number("q-inflight", 0).waitFor();
    await page.locator("#q-totals", { hasText: "2 delivered · 1 handed out again" }).waitFor();
    await lib.screenshot(page, "parcels");
  });

  it("reported no page errors", () => {
    lib.checkProblems(page);
  });
});
