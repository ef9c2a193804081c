/* Hubbub dashboard: what the Admin UI does not show. The event bus's queues (visible, in flight,
 * delayed, dead letters), topics and subscriptions, and each node's traffic as charts, live from
 * the hub's dashboard namespace (ops/feed.js). Plain script, no build step. */
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const SERIES = ["var(--c1)", "var(--c2)", "var(--c3)", "var(--c4)", "var(--c5)", "var(--c6)"];
  const MAX_LINES = 6;

  const state = { feed: null, selected: null, charts: {} };

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === "dataset") Object.assign(node.dataset, v);
      else if (k === "className") node.className = v;
      else node.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  const int = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
  const dec = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
  const n = (v) => int.format(v || 0);
  const r = (v) => (v >= 10 || v === 0 ? int.format(v) : dec.format(v));

  function duration(s) {
    if (s < 60) return `${Math.floor(s)} s`;
    if (s < 3600) return `${Math.floor(s / 60)} min`;
    if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
    return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
  }

  function ms(seconds) {
    const v = seconds * 1000;
    return v < 10 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`;
  }

  function setConn(stateName, text) {
    $("conn").dataset.state = stateName;
    $("conn-text").textContent = text;
  }

  function tile(id, value, sub, tone) {
    const t = $(id);
    t.querySelector(".value").textContent = value;
    t.querySelector(".sub").textContent = sub || "";
    if (tone) t.dataset.tone = tone;
    else delete t.dataset.tone;
  }

  function legend(id, names) {
    $(id).replaceChildren(
      ...names.map((name, i) => {
        const sw = el("i");
        sw.style.background = SERIES[i % SERIES.length];
        return el("span", {}, sw, name);
      }),
    );
  }

  function chart(id) {
    if (!state.charts[id]) state.charts[id] = new HubbubChart($(id), { windowMs: 120000, minWindowMs: 30000 });
    return state.charts[id];
  }

  // The queues and topics of a snapshot, those a store reported (not deleted meanwhile).
  const queues = (snap) => ((snap.bus && snap.bus.queues) || []).filter((q) => !q.gone);
  const topics = (snap) => ((snap.bus && snap.bus.topics) || []).filter((t) => !t.gone);
  const sum = (list, f) => list.reduce((a, x) => a + (f(x) || 0), 0);
  const last = (h) => h[h.length - 1].snap;
  const lastRate = (points) => (points.length ? points[points.length - 1][1] : 0);

  // ---- tabs ----

  function renderTabs() {
    const ids = [...state.feed.nodes.keys()].sort();
    if (!state.selected || !state.feed.nodes.has(state.selected))
      state.selected = state.feed.nodes.has(state.feed.self) ? state.feed.self : ids[0] || null;
    const tabs = $("node-tabs");
    const have = [...tabs.children].map((b) => b.dataset.node).join("\n");
    if (have !== ids.join("\n")) {
      tabs.replaceChildren(
        ...ids.map((id) => {
          const b = el("button", { type: "button", dataset: { node: id } }, id);
          b.addEventListener("click", () => {
            state.selected = id;
            render();
          });
          return b;
        }),
      );
    }
    for (const b of tabs.children) {
      b.setAttribute("aria-pressed", String(b.dataset.node === state.selected));
      b.title = b.dataset.node === state.feed.self ? "the node this page is connected to" : "";
    }
  }

  // ---- the selected node ----

  function renderTiles(h) {
    const s = last(h);
    const e = s.engine;
    const sk = s.sockets;
    const inRate = lastRate(HubbubFeed.rate(h, (x) => x.sockets.eventsIn));
    const outRate = lastRate(HubbubFeed.rate(h, (x) => x.sockets.eventsOut));
    const qs = queues(s);
    const sockets = sum(s.namespaces, (x) => x.sockets);
    tile("tile-clients", n(e.clients), `${n(e.websocket)} WebSocket · ${n(e.polling)} polling`);
    tile("tile-sockets", n(sockets), `${s.namespaces.length} namespaces · ${n(sum(s.namespaces, (x) => x.rooms))} rooms`);
    tile("tile-events", `${r(inRate)} / ${r(outRate)}`, `in / out · ${n(sk.acksPending)} acks pending`);
    tile("tile-queued", n(sum(qs, (q) => q.visible)), `${n(sum(qs, (q) => q.inflight))} in flight · ${n(sum(qs, (q) => q.delayed))} delayed`);
    const lag = s.node.loopLag || 0;
    tile("tile-lag", ms(lag), `max ${ms(s.node.loopLagMax || 0)} (10 s)`, lag > 0.1 ? "danger" : lag > 0.02 ? "warn" : "ok");
    const c = s.cluster || {};
    if (c.backend === "none") tile("tile-cluster", "Alone", "no cluster back end", null);
    else
      tile("tile-cluster", c.connected ? "Connected" : "Down",
        `${c.backend}${c.latencyMs >= 0 ? ` · ${c.latencyMs} ms` : ""} · ${n(c.reconnects)} reconnects`,
        c.connected ? "ok" : "danger");
    $("updated").textContent = `updated ${new Date(s.node.time).toLocaleTimeString()}`;
  }

  function renderCharts(h) {
    const s = last(h);
    const qs = queues(s).slice(0, MAX_LINES);
    const total = (f) => (snap) => sum(queues(snap), f);
    legend("legend-messages", ["sent", "received", "deleted"]);
    chart("chart-messages").set([
      { name: "sent", color: SERIES[0], points: HubbubFeed.rate(h, total((q) => q.sent)) },
      { name: "received", color: SERIES[1], points: HubbubFeed.rate(h, total((q) => q.received)) },
      { name: "deleted", color: SERIES[2], points: HubbubFeed.rate(h, total((q) => q.deleted)) },
    ]);
    legend("legend-depth", qs.map((q) => q.name));
    chart("chart-depth").set(
      qs.map((q, i) => ({
        name: q.name,
        color: SERIES[i % SERIES.length],
        points: h.map((x) => {
          const found = queues(x.snap).find((y) => y.name === q.name);
          return [x.seen, found ? found.visible + found.inflight + found.delayed : 0];
        }),
      })),
    );
    legend("legend-events", ["received", "sent", "packets in", "packets out"]);
    chart("chart-events").set([
      { name: "received", color: SERIES[0], points: HubbubFeed.rate(h, (x) => x.sockets.eventsIn) },
      { name: "sent", color: SERIES[1], points: HubbubFeed.rate(h, (x) => x.sockets.eventsOut) },
      { name: "packets in", color: SERIES[2], points: HubbubFeed.rate(h, (x) => x.engine.packetsIn) },
      { name: "packets out", color: SERIES[3], points: HubbubFeed.rate(h, (x) => x.engine.packetsOut) },
    ]);
    const ts = topics(s).slice(0, MAX_LINES);
    legend("legend-topics", ts.map((t) => t.name));
    chart("chart-topics").set(
      ts.map((t, i) => ({
        name: t.name,
        color: SERIES[i % SERIES.length],
        points: HubbubFeed.rate(h, (snap) => {
          const found = topics(snap).find((y) => y.name === t.name);
          return found ? found.published : 0;
        }),
      })),
    );
  }

  function cell(value, field, cls) {
    return el("td", { className: cls || "num", dataset: field ? { field } : {} }, value);
  }

  function emptyRow(cols, text) {
    return el("tr", {}, el("td", { className: "empty", colspan: String(cols) }, text));
  }

  function renderQueues(h) {
    const s = last(h);
    const qs = queues(s);
    const byName = new Map(qs.map((q) => [q.name, q]));
    const rows = qs.map((q) => {
      const rate = (f) => lastRate(HubbubFeed.rate(h, (snap) => {
        const found = queues(snap).find((y) => y.name === q.name);
        return found ? f(found) : 0;
      }));
      const dlq = q.dlq ? byName.get(q.dlq) : null;
      const dlqCell = q.dlq
        ? el("td", { dataset: { field: "dlq" } },
          el("span", { className: `pill ${dlq && dlq.visible ? "danger" : ""}` }, `${n(dlq ? dlq.visible : 0)}`),
          " ", el("span", { className: "mono" }, q.dlq))
        : el("td", { dataset: { field: "dlq" } }, el("span", { className: "pill" }, "none"));
      return el("tr", { dataset: { queue: q.name } },
        el("td", {}, el("span", { className: "mono" }, q.name)),
        el("td", {}, el("span", { className: `pill ${q.fifo ? "accent" : ""}` }, q.fifo ? "FIFO" : "standard")),
        cell(n(q.visible), "visible"),
        cell(n(q.inflight), "inflight"),
        cell(n(q.delayed), "delayed"),
        dlqCell,
        cell(r(rate((x) => x.sent)), "sentRate"),
        cell(r(rate((x) => x.received)), "receivedRate"),
        cell(n(q.sent), "sent"),
        cell(n(q.deleted), "deleted"),
        cell(n(q.redelivered), "redelivered"));
    });
    $("queues").tBodies[0].replaceChildren(...(rows.length ? rows : [emptyRow(11, "No queues on this node.")]));
    $("queues-count").textContent = `${qs.length}`;
  }

  function renderTopics(h) {
    const s = last(h);
    const ts = topics(s);
    const rows = ts.map((t) => {
      const rate = lastRate(HubbubFeed.rate(h, (snap) => {
        const found = topics(snap).find((y) => y.name === t.name);
        return found ? found.published : 0;
      }));
      return el("tr", { dataset: { topic: t.name } },
        el("td", {}, el("span", { className: "mono" }, t.name)),
        el("td", {}, el("span", { className: `pill ${t.fifo ? "accent" : ""}` }, t.fifo ? "FIFO" : "standard")),
        cell(n(t.subscriptions), "subscriptions"),
        cell(n(t.pending), "pending"),
        cell(r(rate), "publishedRate"),
        cell(n(t.published), "published"),
        cell(n(t.deliveries), "deliveries"));
    });
    $("topics").tBodies[0].replaceChildren(...(rows.length ? rows : [emptyRow(7, "No topics on this node.")]));
    $("topics-count").textContent = `${ts.length}`;
    const subs = (s.bus && s.bus.subscriptions) || [];
    const subRows = subs.map((x) =>
      el("tr", { dataset: { topic: x.topic, endpoint: x.endpoint } },
        el("td", {}, el("span", { className: "mono" }, x.topic)),
        el("td", {}, el("span", { className: "pill accent" }, x.protocol)),
        el("td", {}, el("span", { className: "mono" }, x.endpoint)),
        el("td", {}, x.raw ? "raw message" : "envelope"),
        el("td", {}, el("span", { className: `pill ${x.pending ? "warn" : "ok"}` }, x.pending ? "pending" : "confirmed"))));
    $("subscriptions").tBodies[0].replaceChildren(...(subRows.length ? subRows : [emptyRow(5, "No subscriptions.")]));
    $("subs-count").textContent = `${subs.length}`;
    $("bus-hint").textContent = !s.bus ? "no event bus on this node" : s.bus.error ? `the store answered: ${s.bus.error}` : "";
  }

  function renderNodes() {
    const rows = [...state.feed.nodes.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([id, h]) => {
      const s = last(h);
      const c = s.cluster || {};
      return el("tr", { dataset: { node: id } },
        el("td", {}, el("span", { className: "mono" }, id), id === state.feed.self ? el("span", { className: "pill accent", style: "margin-left:8px" }, "this page") : null),
        cell(duration(s.node.uptime)),
        cell(n(s.engine.clients)),
        cell(n(sum(s.namespaces, (x) => x.sockets))),
        cell(r(lastRate(HubbubFeed.rate(h, (x) => x.engine.packetsIn)))),
        cell(r(lastRate(HubbubFeed.rate(h, (x) => x.engine.packetsOut)))),
        cell(n(s.sockets.acksPending)),
        cell(ms(s.node.loopLag || 0)),
        el("td", {}, c.backend === "none" ? el("span", { className: "pill" }, "alone")
          : el("span", { className: `pill ${c.connected ? "ok" : "danger"}` }, `${c.backend} ${c.connected ? "up" : "down"}`)));
    });
    $("nodes").tBodies[0].replaceChildren(...rows);
  }

  function render() {
    state.feed.prune();
    renderTabs();
    const h = state.selected && state.feed.nodes.get(state.selected);
    if (!h || !h.length) return;
    $("dash").hidden = false;
    renderTiles(h);
    renderCharts(h);
    renderQueues(h);
    renderTopics(h);
    renderNodes();
  }

  // ---- start ----

  if (typeof io !== "function" || !window.HubbubFeed) {
    document.querySelector("main").prepend(el("p", { className: "notice", role: "alert" }, "The Socket.IO client did not load from the hub."));
    return;
  }

  let pending = false;
  state.feed = HubbubFeed.connect({
    onUpdate() {
      if (pending) return; // one render per frame, however many nodes reported
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        render();
      });
    },
    onState(name, detail) {
      if (name === "connected") {
        setConn("connected", "Live");
        $("login").hidden = true;
      } else if (name === "login") {
        setConn("offline", "Signed out");
        $("login").hidden = false;
        $("dash").hidden = true;
        $("login-error").textContent = detail || "";
        $("login-user").focus();
      } else if (name === "offline") setConn("offline", "Reconnecting…");
      else setConn("connecting", "Connecting…");
    },
  });
  window.hubbubDashboard = state; // for the browser tests and the curious

  $("login").addEventListener("submit", (ev) => {
    ev.preventDefault();
    $("login-error").textContent = "";
    state.feed.login($("login-user").value, $("login-password").value);
    $("login-password").value = "";
  });
})();
