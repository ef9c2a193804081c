// The parcel-delivery flow of examples/parcels.json, end to end with stock socket.io-clients:
// vendors emit "pickup" (bridged to the FIFO topic pickup.fifo), it fans out to the FIFO queue
// packages.fifo and to the vendors' room; drivers consume the queue over their sockets
// (bus:subscribe), emit "in-transit" and "delivered" (bridged to topics whose room subscriptions
// pick the vendor's room from the message, "/caps#vendor:{vendorId}") and acknowledge. A driver
// that disconnects without acknowledging makes its parcel go to another driver at once.
// Run: node --test tests/integration/parcels.test.js
"use strict";

const { describe, it, before, after } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const hubs = require("./lib/hub");
const { ClientPool, once, Collector } = require("./lib/clients");
const { withTimeout } = require("./lib/raw");

const EXAMPLE = path.join(__dirname, "..", "..", "examples", "parcels.json");
const VENDORS = ["acme", "globex", "initech"];
const PARCELS_PER_VENDOR = 6;
const T = { timeout: 30000 };

// The example as shipped, with a visibility timeout short enough that a lost acknowledgement would
// show up as a duplicate within the test (none must).
function exampleConfig() {
  const cfg = JSON.parse(fs.readFileSync(EXAMPLE, "utf8"));
  cfg.queues["packages.fifo"].visibilityTimeout = 3;
  return cfg;
}

describe("parcel delivery (examples/parcels.json)", () => {
  let hub;
  const pool = new ClientPool();

  before(async () => {
    hub = await hubs.start({ config: exampleConfig() });
  });

  after(async () => {
    pool.closeAll();
    if (hub) {
      const r = await hub.stop();
      assert.equal(r.code, 0, `hub exit ${JSON.stringify(r)}\n${hub.logTail()}`);
    }
  });

  it("the example config loads as shipped", async () => {
    const h = await hubs.start({ configFile: EXAMPLE });
    const r = await h.stop();
    assert.equal(r.code, 0, h.logTail());
  });

  it("every parcel is delivered once, in order per vendor, status to its vendor only", T, async () => {
    // Vendors: each in its own room and in "vendors".
    const vendors = {};
    for (const id of VENDORS) {
      const s = await pool.connect(hub.url, "/caps");
      assert.deepEqual(await s.emitWithAck("bus:join", `vendor:${id}`), { ok: true, room: `vendor:${id}` });
      assert.deepEqual(await s.emitWithAck("bus:join", "vendors"), { ok: true, room: "vendors" });
      vendors[id] = {
        socket: s,
        pickups: new Collector(s, "pickup"),
        inTransit: new Collector(s, "in-transit"),
        delivered: new Collector(s, "delivered"),
      };
    }

    // The unreliable driver subscribes first, so the store hands it the first parcel; it
    // disconnects without acknowledging it.
    const flaky = await pool.connect(hub.url, "/caps");
    const flakyGot = [];
    const flakyGone = new Promise((resolve) => {
      flaky.on("bus:message", (queue, msg) => {
        flakyGot.push(JSON.parse(msg.body));
        flaky.disconnect();
        resolve();
      });
    });
    const sub = await flaky.emitWithAck("bus:subscribe", "packages.fifo", { maxInFlight: 1 });
    assert.equal(sub.ok, true, JSON.stringify(sub));

    // Reliable drivers: take a parcel, report in transit, deliver, acknowledge.
    const handled = []; // {driver, parcel, receiveCount}
    const drivers = [];
    for (let d = 0; d < 3; d++) {
      const s = await pool.connect(hub.url, "/caps");
      s.on("bus:message", async (queue, msg, ack) => {
        assert.equal(queue, "packages.fifo");
        const parcel = JSON.parse(msg.body);
        assert.equal(msg.groupId, parcel.vendorId);
        assert.deepEqual(msg.attributes, { vendorId: parcel.vendorId });
        handled.push({ driver: d, parcel: parcel.parcelId, receiveCount: msg.receiveCount });
        const t = await s.emitWithAck("in-transit", { vendorId: parcel.vendorId, parcelId: parcel.parcelId, driver: d });
        assert.equal(t.ok, true, JSON.stringify(t));
        const r = await s.emitWithAck("delivered", { vendorId: parcel.vendorId, parcelId: parcel.parcelId, driver: d });
        assert.equal(r.ok, true, JSON.stringify(r));
        ack();
      });
      drivers.push(s);
    }

    // The first parcel, before the reliable drivers subscribe: it goes to the flaky one.
    const first = await vendors[VENDORS[0]].socket.emitWithAck("pickup", { vendorId: VENDORS[0], parcelId: `${VENDORS[0]}-0` });
    assert.equal(first.ok, true, JSON.stringify(first));
    assert.match(first.messageId, /^[0-9a-f-]{36}$/);
    await withTimeout(flakyGone, 5000, "the flaky driver's parcel");
    for (const s of drivers) {
      const r = await s.emitWithAck("bus:subscribe", "packages.fifo", { maxInFlight: 2 });
      assert.equal(r.ok, true, JSON.stringify(r));
    }

    // Every vendor's parcels, emitted concurrently across vendors, in order within one vendor.
    const emitted = { [VENDORS[0]]: [`${VENDORS[0]}-0`] };
    await Promise.all(
      VENDORS.map(async (v) => {
        emitted[v] = emitted[v] || [];
        for (let i = v === VENDORS[0] ? 1 : 0; i < PARCELS_PER_VENDOR; i++) {
          const parcelId = `${v}-${i}`;
          const r = await vendors[v].socket.emitWithAck("pickup", { vendorId: v, parcelId, weight: i + 1 });
          assert.equal(r.ok, true, JSON.stringify(r));
          emitted[v].push(parcelId);
        }
        // A retried pickup (same parcel id) is a duplicate: stored once, delivered once.
        const dup = await vendors[v].socket.emitWithAck("pickup", { vendorId: v, parcelId: `${v}-1`, weight: 2 });
        assert.equal(dup.ok, true);
        assert.equal(dup.duplicate, true);
      }),
    );

    // Each vendor hears about exactly its own parcels, each once, in the order it sent them.
    for (const v of VENDORS) {
      const delivered = await vendors[v].delivered.wait(PARCELS_PER_VENDOR, 15000);
      const inTransit = await vendors[v].inTransit.wait(PARCELS_PER_VENDOR, 5000);
      const ids = (c) => c.map(([m]) => JSON.parse(m.body).parcelId);
      assert.deepEqual(ids(delivered), emitted[v], `${v}: delivered in order, exactly once`);
      assert.deepEqual(ids(inTransit), emitted[v], `${v}: in transit in order, exactly once`);
      for (const [m] of delivered) {
        assert.equal(m.topic, "delivered");
        assert.deepEqual(m.attributes, { vendorId: v });
      }
    }
    // The vendors' room saw every pickup once (the duplicates were not published again).
    for (const v of VENDORS) {
      const pickups = await vendors[v].pickups.wait(VENDORS.length * PARCELS_PER_VENDOR, 5000);
      const seen = pickups.map(([m]) => JSON.parse(m.body).parcelId).sort();
      assert.deepEqual(seen, Object.values(emitted).flat().sort());
    }

    // The flaky driver's parcel went to a reliable driver as a second receive; nothing else was
    // received twice, nothing was lost.
    assert.equal(flakyGot.length, 1);
    const total = VENDORS.length * PARCELS_PER_VENDOR;
    assert.equal(handled.length, total, JSON.stringify(handled));
    assert.equal(new Set(handled.map((h) => h.parcel)).size, total);
    const redelivered = handled.filter((h) => h.receiveCount > 1);
    assert.deepEqual(redelivered.map((h) => [h.parcel, h.receiveCount]), [[flakyGot[0].parcelId, 2]]);
    // Several drivers shared the work.
    assert.ok(new Set(handled.map((h) => h.driver)).size >= 2, JSON.stringify(handled));

    // No more deliveries, and no status event reached another vendor late.
    const late = await Promise.race([
      once(drivers[0], "bus:message", 400).then(() => true, () => false),
      once(drivers[1], "bus:message", 400).then(() => true, () => false),
    ]);
    assert.equal(late, false);
    for (const v of VENDORS) {
      assert.equal(vendors[v].delivered.items.length, PARCELS_PER_VENDOR);
      assert.equal(vendors[v].inTransit.items.length, PARCELS_PER_VENDOR);
    }
  });
});
