/* Hubbub parcels demo: vendors, the FIFO queue and drivers of examples/parcels.json, each vendor
 * and driver on a Socket.IO connection of its own to the "/caps" bus namespace, as they would be
 * on separate devices. Plain script, no build step.
 *
 *   vendor  emits "pickup" {vendorId, parcelId, weight}      (bridged to the topic pickup.fifo)
 *           joins the rooms "vendor:<id>" and "vendors"      (bus:join)
 *           hears "in-transit" and "delivered" in its room   ({id, topic, body, attributes})
 *   driver  bus:subscribe "packages.fifo" {maxInFlight: 1}   (one parcel at a time)
 *           gets "bus:message" (queue, msg, ack)             msg.body is the pickup
 *           emits "in-transit", "delivered", then ack()      (the message is deleted)
 *           ack(false) hands a parcel back (ending a shift); bus:unsubscribe ends the shift
 *
 * The queue's numbers come from the dashboard's feed (ops/feed.js), this node's snapshot. */
(() => {
  "use strict";

  const QUEUE = "packages.fifo";
  const DLQ = "lost-packages.fifo";
  const VENDORS = [
    { id: "acme", name: "Acme Supplies", color: "#b42318" },
    { id: "globex", name: "Globex", color: "#067647" },
    { id: "initech", name: "Initech", color: "#175cd3" },
  ];
  const DRIVERS = [
    { id: "1", name: "Dana (driver 1)", color: "#6941c6" },
    { id: "2", name: "Sam (driver 2)", color: "#c4320a" },
  ];
  const AUTO_STEP_MS = 1200;
  const STATUS = {
    requested: ["waiting", "pill accent"],
    transit: ["in transit", "pill warn"],
    delivered: ["delivered", "pill ok"],
    failed: ["not accepted", "pill danger"],
  };

  const $ = (id) => document.getElementById(id);
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === "dataset") Object.assign(node.dataset, v);
      else if (k === "className") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  function log(text) {
    const list = $("log");
    const empty = list.querySelector(".empty");
    if (empty) empty.remove();
    list.prepend(el("li", {}, el("time", {}, timeFormat.format(new Date())), el("span", {}, text)));
    while (list.children.length > 60) list.lastChild.remove();
  }

  function avatar(who) {
    const a = el("span", { className: "avatar", "aria-hidden": "true" }, who.name[0]);
    a.style.background = who.color;
    return a;
  }

  function connectSocket() {
    // forceNew: a connection of its own, like a separate device
    return io("/caps", { forceNew: true, reconnectionDelay: 500, reconnectionDelayMax: 3000 });
  }

  function bodyOf(message) {
    try {
      return typeof message.body === "string" ? JSON.parse(message.body) : message.body;
    } catch {
      return null;
    }
  }

  // A run id keeps parcel ids new across page loads (the FIFO queue drops repeats for 5 minutes).
  const run = Date.now().toString(36).slice(-5);

  // ---- vendors ----

  function setupVendor(v) {
    const list = el("ul", { className: "parcels" }, el("li", { className: "empty" }, "No pickups yet."));
    const button = el("button", { type: "button", className: "primary small", disabled: "" }, "Request pickup");
    const card = el("article", { className: "card actor", dataset: { vendor: v.id }, "aria-label": v.name },
      el("div", { className: "actor-head" }, avatar(v), el("h3", {}, v.name), button),
      list);
    $("vendors").append(card);
    const parcels = new Map();
    let seq = 0;
    const socket = connectSocket();

    function show(parcelId, status, who) {
      let p = parcels.get(parcelId);
      if (!p) {
        const pill = el("span", {});
        const whoEl = el("span", { className: "who" });
        const li = el("li", { dataset: { parcel: parcelId } }, el("span", { className: "id" }, parcelId), whoEl, pill);
        list.querySelector(".empty")?.remove();
        list.prepend(li);
        while (list.children.length > 8) list.lastChild.remove();
        p = { li, pill, whoEl };
        parcels.set(parcelId, p);
      }
      const [text, cls] = STATUS[status];
      p.li.dataset.status = status;
      p.pill.className = cls;
      p.pill.textContent = text;
      if (who) p.whoEl.textContent = who;
    }

    socket.on("connect", async () => {
      const a = await socket.emitWithAck("bus:join", `vendor:${v.id}`);
      const b = await socket.emitWithAck("bus:join", "vendors");
      if (!a.ok || !b.ok) setupError("The hub does not run examples/parcels.json: the /caps namespace has no event bus.");
      button.disabled = false;
    });
    socket.on("disconnect", () => { button.disabled = true; });
    socket.on("connect_error", (err) => {
      if (!socket.active) setupError(`The hub refused the /caps namespace (${err.message}): run it with examples/parcels.json.`);
    });
    socket.on("in-transit", (m) => {
      const b = bodyOf(m);
      if (b && b.vendorId === v.id) {
        show(b.parcelId, "transit", `driver ${b.driver}`);
        log(`${v.name}: parcel ${b.parcelId} is on its way with driver ${b.driver}.`);
      }
    });
    socket.on("delivered", (m) => {
      const b = bodyOf(m);
      if (b && b.vendorId === v.id) {
        show(b.parcelId, "delivered", `driver ${b.driver}`);
        log(`${v.name}: parcel ${b.parcelId} was delivered by driver ${b.driver}.`);
      }
    });

    button.addEventListener("click", async () => {
      const parcelId = `${v.id}-${run}-${++seq}`;
      show(parcelId, "requested");
      const r = await socket.timeout(10000).emitWithAck("pickup", { vendorId: v.id, parcelId, weight: 1 + (seq % 5) }).catch(() => null);
      if (r && r.ok) log(`${v.name} requested a pickup for ${parcelId}.`);
      else {
        show(parcelId, "failed");
        log(`${v.name}: the hub did not accept ${parcelId}${r && r.error ? ` (${r.error.message})` : ""}.`);
      }
    });
  }

  // ---- drivers ----

  function setupDriver(d) {
    const shift = el("button", { type: "button", className: "small", disabled: "" }, "Start shift");
    const auto = el("input", { type: "checkbox" });
    const status = el("p", { className: "status" }, "Off shift.");
    const jobBox = el("div", {}, el("p", { className: "idle" }, "No parcel."));
    const card = el("article", { className: "card actor", dataset: { driver: d.id, shift: "off" }, "aria-label": d.name },
      el("div", { className: "actor-head" }, avatar(d), el("h3", {}, d.name), shift),
      el("label", { className: "toggle" }, auto, "Drive by myself"),
      status, jobBox);
    $("drivers").append(card);
    const socket = connectSocket();
    let onShift = false;
    let job = null; // {parcel, ack, stage}
    let delivered = 0;

    function renderJob() {
      if (!job) {
        jobBox.replaceChildren(el("p", { className: "idle" }, onShift ? "Waiting for a parcel…" : "No parcel."));
        return;
      }
      const p = job.parcel;
      const startBtn = el("button", { type: "button", className: "small primary", onclick: () => step("transit") }, "Start delivery");
      const doneBtn = el("button", { type: "button", className: "small ok", onclick: () => step("delivered") }, "Delivered");
      startBtn.disabled = job.stage !== "received";
      doneBtn.disabled = job.stage !== "transit";
      jobBox.replaceChildren(el("div", { className: "job", dataset: { parcel: p.parcelId, stage: job.stage } },
        el("div", { className: "what" }, "Parcel ", el("span", { className: "mono" }, p.parcelId), ` for ${p.vendorId}`,
          job.receiveCount > 1 ? el("span", { className: "pill warn", style: "margin-left:6px" }, `delivery attempt ${job.receiveCount}`) : null),
        el("div", { className: "buttons" }, startBtn, doneBtn)));
    }

    async function step(stage) {
      if (!job) return;
      const current = job;
      const p = current.parcel;
      const event = stage === "transit" ? "in-transit" : "delivered";
      current.stage = stage === "transit" ? "sending" : "closing";
      renderJob();
      const r = await socket.timeout(10000).emitWithAck(event, { vendorId: p.vendorId, parcelId: p.parcelId, driver: d.id }).catch(() => null);
      if (!r || !r.ok) {
        current.stage = stage === "transit" ? "received" : "transit";
        log(`${d.name}: the hub did not take "${event}" for ${p.parcelId}.`);
        renderJob();
        return;
      }
      if (stage === "transit") {
        current.stage = "transit";
        renderJob();
        if (auto.checked) setTimeout(() => job === current && step("delivered"), AUTO_STEP_MS);
        return;
      }
      current.ack(); // acknowledged: the message is deleted from the queue
      delivered++;
      job = null;
      status.textContent = `On shift · ${delivered} delivered.`;
      renderJob();
    }

    socket.on("connect", async () => {
      shift.disabled = false;
      if (onShift) await subscribe(); // a reconnection: take up the shift again
    });
    socket.on("disconnect", () => {
      shift.disabled = true;
      job = null; // the hub makes an unacknowledged parcel visible again
      renderJob();
    });
    socket.on("bus:message", (queue, msg, ack) => {
      const parcel = bodyOf(msg);
      if (queue !== QUEUE || !parcel) {
        if (typeof ack === "function") ack(false);
        return;
      }
      job = { parcel, ack: typeof ack === "function" ? ack : () => {}, stage: "received", receiveCount: msg.receiveCount || 1 };
      log(`${d.name} picked up ${parcel.parcelId}${msg.receiveCount > 1 ? ` (attempt ${msg.receiveCount})` : ""}.`);
      renderJob();
      if (auto.checked) setTimeout(() => job && job.parcel === parcel && step("transit"), AUTO_STEP_MS);
    });

    async function subscribe() {
      const r = await socket.emitWithAck("bus:subscribe", QUEUE, { maxInFlight: 1 });
      if (!r.ok) setupError(`bus:subscribe failed: ${r.error ? r.error.message : "?"}`);
      return r.ok;
    }

    shift.addEventListener("click", async () => {
      shift.disabled = true;
      if (!onShift) {
        if (await subscribe()) {
          onShift = true;
          card.dataset.shift = "on";
          shift.textContent = "End shift";
          status.textContent = `On shift · ${delivered} delivered.`;
          log(`${d.name} started a shift.`);
        }
      } else {
        await socket.emitWithAck("bus:unsubscribe", QUEUE);
        // then released: back in the queue at once, for another driver (an acknowledgement
        // outlives the subscription; released before, it could come straight back here)
        if (job) job.ack(false);
        onShift = false;
        card.dataset.shift = "off";
        shift.textContent = "Start shift";
        status.textContent = "Off shift.";
        if (job) log(`${d.name} ended the shift with ${job.parcel.parcelId}: it goes back to the queue.`);
        else log(`${d.name} ended the shift.`);
        job = null;
      }
      shift.disabled = false;
      renderJob();
    });
    auto.addEventListener("change", () => {
      if (auto.checked && job && job.stage === "received") step("transit");
      else if (auto.checked && job && job.stage === "transit") step("delivered");
    });
  }

  // ---- the queue ----

  function setupQueue() {
    const chart = new HubbubChart($("q-chart"), { minMax: 4, windowMs: 60000, minWindowMs: 20000 });
    const legend = [["waiting", "var(--c1)"], ["in flight", "var(--c3)"]];
    $("q-legend").replaceChildren(...legend.map(([name, color]) => {
      const sw = el("i");
      sw.style.background = color;
      return el("span", {}, sw, name);
    }));
    const feed = HubbubFeed.connect({
      onUpdate(node) {
        if (feed.self && node !== feed.self) return; // the in-memory queue lives on this node
        const h = feed.nodes.get(node);
        const queues = (s) => ((s.bus && s.bus.queues) || []);
        const find = (s, name) => queues(s).find((q) => q.name === name && !q.gone);
        const q = find(h[h.length - 1].snap, QUEUE);
        const dlq = find(h[h.length - 1].snap, DLQ);
        if (!q) {
          setupError("This hub has no packages.fifo queue: run it with examples/parcels.json.");
          return;
        }
        $("q-visible").textContent = q.visible + q.delayed;
        $("q-inflight").textContent = q.inflight;
        $("q-dlq").textContent = dlq ? dlq.visible : 0;
        $("q-dlq").dataset.nonzero = String(Boolean(dlq && dlq.visible));
        $("q-totals").textContent = `${q.sent} picked up · ${q.deleted} delivered · ${q.redelivered} handed out again`;
        chart.set([
          { name: "waiting", color: "var(--c1)", points: h.map((x) => { const y = find(x.snap, QUEUE); return [x.seen, y ? y.visible + y.delayed : 0]; }) },
          { name: "in flight", color: "var(--c3)", points: h.map((x) => { const y = find(x.snap, QUEUE); return [x.seen, y ? y.inflight : 0]; }) },
        ]);
      },
      onState(name) {
        $("q-login").hidden = name !== "login";
        if (name === "connected") setConn("connected", "Live");
        else if (name === "offline") setConn("offline", "Reconnecting…");
        else if (name === "login") setConn("offline", "Queue numbers need a sign-in");
      },
    });
    window.hubbubParcels.feed = feed;
  }

  function setConn(state, text) {
    $("conn").dataset.state = state;
    $("conn-text").textContent = text;
  }

  function setupError(text) {
    const p = $("setup-error");
    p.textContent = text;
    p.hidden = false;
  }

  if (typeof io !== "function" || !window.HubbubFeed || !window.HubbubChart) {
    setupError("The Socket.IO client did not load from the hub.");
    return;
  }
  window.hubbubParcels = {};
  $("log").append(el("li", { className: "empty" }, "Request a pickup, then start a driver's shift."));
  VENDORS.forEach(setupVendor);
  DRIVERS.forEach(setupDriver);
  setupQueue();
})();
