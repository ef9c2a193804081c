/* Hubbub's live feed for the operations pages: a Socket.IO connection to the dashboard namespace,
 * the login it may ask for, and a short history of every node's snapshots.
 *
 *   const feed = HubbubFeed.connect({ onUpdate(node, feed) {...}, onState(state, detail) {...} });
 *   feed.login(username, password);   after onState("login")
 *   feed.nodes                        Map: node id -> [{t, seen, snap}, ...] (oldest first; t the
 *                                     node's clock, seen this browser's)
 *   feed.self                         the id of the node this page is connected to
 *   HubbubFeed.rate(history, (snap) => counter)   -> [[t, per second], ...]
 *
 * States: "connecting", "connected", "login" (detail: an error text or ""), "offline". The login
 * is the Admin UI's: a session id from either page is kept in localStorage "session_id" (the key
 * the Admin UI uses on the same origin), so one login serves both. */
(() => {
  "use strict";

  const HISTORY = 180; // snapshots kept per node (3 minutes at the default interval)
  const SESSION_KEY = "session_id";

  function storage() {
    try {
      return window.localStorage;
    } catch {
      return null;
    }
  }

  function connect(opts = {}) {
    if (typeof io !== "function") throw new Error("the Socket.IO client did not load");
    const onUpdate = opts.onUpdate || (() => {});
    const onState = opts.onState || (() => {});
    const feed = { nodes: new Map(), self: null, interval: 1000, credentials: null, socket: null };

    const socket = io(opts.namespace || "/dashboard", {
      reconnectionDelay: 500,
      reconnectionDelayMax: 3000,
      // called on every (re)connection: a password once, else the saved session
      auth: (cb) => {
        if (feed.credentials) {
          const c = feed.credentials;
          feed.credentials = null;
          cb(c);
          return;
        }
        const s = storage();
        const id = s && s.getItem(SESSION_KEY);
        cb(id ? { sessionId: id } : {});
      },
    });
    feed.socket = socket;
    onState("connecting");

    socket.on("connect", () => onState("connected"));
    socket.on("session", (id) => {
      const s = storage();
      if (s && typeof id === "string") s.setItem(SESSION_KEY, id);
    });
    socket.on("connect_error", (err) => {
      // a refusal by the namespace (not a network error) leaves the socket down: log in
      if (!socket.active) onState("login", err.message === "invalid credentials" ? "Wrong user name or password." : err.message);
      else onState("offline");
    });
    socket.on("disconnect", (reason) => {
      if (reason === "io server disconnect") onState("login", "");
      else onState("offline");
    });
    socket.on("hello", (hello) => {
      feed.self = hello.node;
      feed.interval = hello.interval || 1000;
    });
    socket.on("stats", (snap) => {
      if (!snap || !snap.node) return;
      const id = snap.node.id;
      let h = feed.nodes.get(id);
      if (!h) feed.nodes.set(id, (h = []));
      const t = snap.node.time || Date.now();
      if (h.length && h[h.length - 1].t >= t) return; // a repeat (the first snapshot of a page)
      h.push({ t, seen: Date.now(), snap });
      if (h.length > HISTORY) h.shift();
      onUpdate(id, feed);
    });

    feed.login = (username, password) => {
      feed.credentials = { username, password };
      socket.connect();
    };
    // Nodes not heard from for a while (stopped, or cut off) are dropped.
    feed.prune = () => {
      const limit = Date.now() - Math.max(6000, feed.interval * 6);
      for (const [id, h] of feed.nodes) if (!h.length || h[h.length - 1].seen < limit) feed.nodes.delete(id);
    };
    return feed;
  }

  // Per-second rates of a counter over a node's history: [[t, rate], ...].
  function rate(history, get) {
    const out = [];
    for (let i = 1; i < history.length; i++) {
      const a = history[i - 1];
      const b = history[i];
      const dt = (b.t - a.t) / 1000;
      const d = get(b.snap) - get(a.snap);
      // plotted at the time it arrived (this browser's clock), measured on the node's
      if (dt > 0) out.push([b.seen, d >= 0 ? d / dt : 0]);
    }
    return out;
  }

  window.HubbubFeed = { connect, rate };
})();
