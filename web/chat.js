/* Hubbub chat: a chat demo on the stock socket.io-client (loaded from the hub) and the hub's
 * "relay" app. Plain script, no build step.
 *
 * The hub only relays. "join"/"leave" put this socket in rooms (ack {ok:true}); any other event
 * goes to every other socket in the rooms this one joined (to the whole namespace when it joined
 * none), and an ack means "queued". Everything else is agreed between the pages, so the chat works
 * the same on one hub or on a cluster of hubs:
 *
 *   hello   {room, user}                  I am in room: everyone there, answer "here"
 *   here    {room, user}                  I am in room (the answer to hello; a heartbeat too)
 *   bye     {room, user}                  I left room
 *   typing  {room, user, typing}          I started (true) or stopped (false) typing in room
 *   msg     {room, id, user, text, ts}    a message; the hub's ack marks it "sent"
 *   receipt {room, id, to, user}          user got message id from user `to`: "delivered"
 *
 * user is {id, name}; the id is new for every page load. A socket in several rooms receives what
 * is sent to any of them, so every handler drops what is meant for a room this page did not join.
 * Presence needs no server support: members answer hello, repeat "here" every HEARTBEAT_MS, and are
 * dropped when not heard from for PRESENCE_TTL_MS (a closed laptop says no "bye").
 */
(() => {
  "use strict";

  const HEARTBEAT_MS = 15000;
  const PRESENCE_TTL_MS = 40000;
  const TYPING_IDLE_MS = 3000; // stop "typing" after this long without a key
  const TYPING_RESEND_MS = 2500; // repeat typing:true while typing, so it does not expire
  const TYPING_SHOW_MS = 6000; // how long a received typing:true shows
  const ACK_TIMEOUT_MS = 10000;
  const NAME_MAX = 32;
  const ROOM_RE = /^[A-Za-z0-9_-]{1,40}$/;
  const TEXT_MAX = 2000;

  const $ = (id) => document.getElementById(id);

  // el("li", {className: "x", dataset: {id: 1}}, child, "text", ...)
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === "dataset") Object.assign(node.dataset, v);
      else if (k.startsWith("aria-") || k === "role") node.setAttribute(k, v);
      else node[k] = v;
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  function randomId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  // Avatar colours (white text on each passes WCAG AA), picked by name so a person keeps theirs.
  const PALETTE = ["#b42318", "#c4320a", "#a15c07", "#3b7c0f", "#067647", "#0e7090", "#175cd3",
    "#4e5ba6", "#6941c6", "#9e165f", "#c11574", "#475467"];

  function colour(name) {
    let h = 2166136261;
    for (const ch of name) h = Math.imul(h ^ ch.codePointAt(0), 16777619) >>> 0;
    return PALETTE[h % PALETTE.length];
  }

  function avatar(user) {
    const initial = (Array.from(user.name.trim())[0] || "?").toUpperCase();
    const node = el("span", { className: "avatar", "aria-hidden": "true" }, initial);
    node.style.background = colour(user.name);
    return node;
  }

  const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

  function validUser(u) {
    return u && typeof u.id === "string" && typeof u.name === "string" && u.id && u.name.trim() &&
      u.name.length <= NAME_MAX * 2;
  }

  // ---- state ----

  const state = {
    me: null, // {id, name}
    rooms: new Map(), // name -> room
    current: null, // the room shown
    everConnected: false,
  };

  function newRoom(name) {
    return {
      name,
      joined: false, // the hub acknowledged our join (since the last connect)
      members: new Map(), // user id -> {user, seen, typingUntil}
      items: [], // messages and notices, in order
      byId: new Map(), // message id -> message
      unread: 0,
    };
  }

  // ---- the socket ----

  if (typeof io !== "function") {
    document.body.prepend(el("p", { className: "card noscript", role: "alert" },
      "The Socket.IO client (/socket.io/socket.io.min.js) did not load from the hub."));
    return;
  }

  const socket = io({ reconnectionDelay: 500, reconnectionDelayMax: 3000 });
  window.hubbubChat = { socket, state }; // for the browser tests and the curious

  socket.on("connect", () => {
    state.everConnected = true;
    $("people").dataset.stale = "false";
    setConnection("connected", "Connected");
    showBanner(null);
    if (state.me) for (const room of state.rooms.values()) joinRoom(room.name, { rejoin: true });
  });

  socket.on("disconnect", (reason) => {
    for (const room of state.rooms.values()) room.joined = false;
    if (reason === "io client disconnect") {
      setConnection("offline", "Disconnected");
      return;
    }
    setConnection("reconnecting", "Reconnecting…");
    $("people").dataset.stale = "true"; // who is here is not known while we are away
    showBanner("Connection lost. Reconnecting…");
    if (reason === "io server disconnect") socket.connect(); // the hub let us go: come back
  });

  socket.io.on("reconnect_attempt", (attempt) => {
    showBanner(`Connection lost. Reconnecting (attempt ${attempt})…`);
  });

  socket.on("connect_error", () => {
    if (state.everConnected) return; // "disconnect" already said it
    setConnection("offline", "Cannot reach the hub");
    showBanner("Cannot reach the hub. Retrying…");
  });

  // Runs fn(room, data) for events about a room this page joined, from someone else.
  function onRoomEvent(event, fn) {
    socket.on(event, (data) => {
      if (!data || typeof data.room !== "string" || !validUser(data.user)) return;
      if (state.me && data.user.id === state.me.id) return;
      const room = state.rooms.get(data.room);
      if (room) fn(room, data);
    });
  }

  onRoomEvent("hello", (room, { user }) => {
    const isNew = touchMember(room, user);
    if (isNew) addNotice(room, `${user.name} joined #${room.name}`);
    socket.emit("here", { room: room.name, user: state.me });
    renderPeople();
  });

  onRoomEvent("here", (room, { user }) => {
    touchMember(room, user);
    renderPeople();
  });

  onRoomEvent("bye", (room, { user }) => {
    if (room.members.delete(user.id)) addNotice(room, `${user.name} left #${room.name}`);
    renderPeople();
    renderTyping();
  });

  onRoomEvent("typing", (room, { user, typing }) => {
    touchMember(room, user);
    room.members.get(user.id).typingUntil = typing ? Date.now() + TYPING_SHOW_MS : 0;
    renderTyping();
    renderPeople();
  });

  onRoomEvent("msg", (room, data) => {
    if (typeof data.id !== "string" || typeof data.text !== "string") return;
    const { user } = data;
    touchMember(room, user);
    room.members.get(user.id).typingUntil = 0;
    // Say "got it" even for a repeat: the first receipt may be what got lost.
    socket.emit("receipt", { room: room.name, id: data.id, to: user.id, user: state.me });
    if (room.byId.has(data.id)) return;
    const msg = {
      kind: "msg", id: data.id, user, mine: false,
      text: data.text.slice(0, TEXT_MAX),
      ts: Number.isFinite(data.ts) ? data.ts : Date.now(),
    };
    room.byId.set(msg.id, msg);
    addItem(room, msg);
    if (room !== currentRoom() || document.hidden) room.unread++;
    renderRooms();
    renderTyping();
    renderPeople();
    updateTitle();
  });

  onRoomEvent("receipt", (room, { id, to, user }) => {
    if (to !== state.me.id) return;
    const msg = room.byId.get(id);
    if (!msg || !msg.mine) return;
    msg.deliveredTo.set(user.id, user.name);
    msg.state = "delivered";
    renderStatus(msg);
  });

  // Adds or refreshes a member; returns true when new.
  function touchMember(room, user) {
    const m = room.members.get(user.id);
    if (m) {
      m.seen = Date.now();
      m.user = { id: user.id, name: user.name.slice(0, NAME_MAX) };
      return false;
    }
    room.members.set(user.id, {
      user: { id: user.id, name: user.name.slice(0, NAME_MAX) }, seen: Date.now(), typingUntil: 0,
    });
    return true;
  }

  // ---- rooms ----

  function currentRoom() {
    return state.current ? state.rooms.get(state.current) : null;
  }

  // Joins a room (or joins it again after a reconnect); resolves true on success.
  async function joinRoom(name, { rejoin = false } = {}) {
    let room = state.rooms.get(name);
    const isNew = !room;
    if (isNew) {
      room = newRoom(name);
      state.rooms.set(name, room);
    }
    let res;
    try {
      res = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck("join", name);
    } catch {
      res = { ok: false, error: "the hub did not answer" };
    }
    if (!res || res.ok !== true) {
      if (isNew) state.rooms.delete(name);
      if (!rejoin) throw new Error((res && res.error) || "could not join");
      return false;
    }
    room.joined = true;
    socket.emit("hello", { room: name, user: state.me });
    if (!rejoin) addNotice(room, `You joined #${name}`);
    renderRooms();
    return true;
  }

  function leaveRoom(name) {
    const room = state.rooms.get(name);
    if (!room) return;
    socket.emit("bye", { room: name, user: state.me }); // while still in the room
    socket.emit("leave", name);
    state.rooms.delete(name);
    if (state.current === name) {
      const next = state.rooms.keys().next();
      state.current = next.done ? null : next.value;
    }
    if (!state.current) {
      showJoinView();
      return;
    }
    renderAll();
  }

  function switchRoom(name) {
    if (!state.rooms.has(name)) return;
    sendTyping(false);
    state.current = name;
    currentRoom().unread = 0;
    renderAll();
    closeDrawer();
    $("composer-input").focus();
  }

  // ---- messages ----

  function addNotice(room, text) {
    addItem(room, { kind: "notice", text, ts: Date.now() });
  }

  function addItem(room, item) {
    room.items.push(item);
    if (room.items.length > 500) room.items.splice(0, room.items.length - 500);
    if (room === currentRoom()) appendItem(item);
  }

  function sendMessage(text) {
    const room = currentRoom();
    if (!room) return;
    const msg = {
      kind: "msg", id: randomId(), user: state.me, mine: true, text, ts: Date.now(),
      state: "pending", deliveredTo: new Map(),
    };
    room.byId.set(msg.id, msg);
    addItem(room, msg);
    transmit(room, msg);
  }

  // Sends (or sends again) a message of ours; the hub's ack means it was queued to the room.
  function transmit(room, msg) {
    msg.state = "pending";
    renderStatus(msg);
    const data = { room: room.name, id: msg.id, user: state.me, text: msg.text, ts: msg.ts };
    socket.timeout(ACK_TIMEOUT_MS).emit("msg", data, (err, res) => {
      if (msg.state === "delivered") return; // a receipt was faster than the ack
      msg.state = !err && res && res.ok === true ? "sent" : "failed";
      renderStatus(msg);
    });
  }

  // ---- typing ----

  let typingSentAt = 0;
  let typingRoom = null;
  let typingTimer = null;

  function sendTyping(typing) {
    clearTimeout(typingTimer);
    if (typing) {
      const room = currentRoom();
      if (!room) return;
      const now = Date.now();
      if (typingRoom !== room.name || now - typingSentAt > TYPING_RESEND_MS) {
        typingRoom = room.name;
        typingSentAt = now;
        socket.emit("typing", { room: room.name, user: state.me, typing: true });
      }
      typingTimer = setTimeout(() => sendTyping(false), TYPING_IDLE_MS);
    } else if (typingRoom) {
      if (state.rooms.has(typingRoom)) {
        socket.emit("typing", { room: typingRoom, user: state.me, typing: false });
      }
      typingRoom = null;
      typingSentAt = 0;
    }
  }

  function typingNames(room) {
    const now = Date.now();
    return [...room.members.values()].filter((m) => m.typingUntil > now).map((m) => m.user.name);
  }

  // ---- rendering ----

  function setConnection(kind, text) {
    $("conn").dataset.state = kind;
    $("conn-text").textContent = text;
  }

  function showBanner(text) {
    $("banner").hidden = !text;
    if (text) $("banner-text").textContent = text;
  }

  function updateTitle() {
    let unread = 0;
    for (const room of state.rooms.values()) unread += room.unread;
    document.title = unread ? `(${unread}) Hubbub chat` : "Hubbub chat";
  }

  function renderAll() {
    renderRooms();
    renderPeople();
    renderMessages();
    renderTyping();
    updateTitle();
  }

  function renderRooms() {
    const list = $("room-list");
    list.replaceChildren();
    for (const room of state.rooms.values()) {
      const isCurrent = room.name === state.current;
      const button = el("button", { type: "button", "aria-current": isCurrent ? "true" : "false" },
        el("span", { className: "hash", "aria-hidden": "true" }, "#"),
        el("span", { className: "name" }, room.name),
        room.unread && !isCurrent
          ? el("span", { className: "badge" }, String(room.unread),
            el("span", { className: "visually-hidden" }, " unread"))
          : null,
        room.joined ? null : el("span", { className: "visually-hidden" }, " (joining)"));
      button.addEventListener("click", () => switchRoom(room.name));
      list.append(el("li", {}, button));
    }
    const room = currentRoom();
    $("room-title").textContent = room ? `#${room.name}` : "";
    $("composer-input").placeholder = room ? `Message #${room.name}` : "";
  }

  function renderPeople() {
    const room = currentRoom();
    const list = $("people");
    list.replaceChildren();
    if (!room) return;
    pruneMembers();
    const now = Date.now();
    const others = [...room.members.values()]
      .sort((a, b) => a.user.name.localeCompare(b.user.name));
    const rows = [{ user: state.me, you: true }, ...others];
    for (const m of rows) {
      list.append(el("li", { dataset: { user: m.user.id } },
        avatar(m.user),
        el("span", { className: "who" }, m.user.name),
        m.you ? el("span", { className: "you" }, "you") : null,
        !m.you && m.typingUntil > now ? el("span", { className: "is-typing" }, "typing…") : null));
    }
    $("people-count").textContent = String(rows.length);
    $("room-people").textContent = rows.length === 1 ? "Only you here" : `${rows.length} people here`;
  }

  function nearBottom(list) {
    return list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  }

  function renderMessages() {
    const list = $("messages");
    const room = currentRoom();
    list.setAttribute("aria-busy", "true");
    list.replaceChildren();
    let prev = null;
    if (room) {
      for (const item of room.items) {
        list.append(itemNode(item, prev));
        prev = item;
      }
    }
    if (room && !room.items.some((i) => i.kind === "msg")) {
      list.append(el("li", { className: "empty-hint" }, "No messages yet. Say hello!"));
    }
    list.setAttribute("aria-busy", "false");
    list.scrollTop = list.scrollHeight;
  }

  function appendItem(item) {
    const list = $("messages");
    const stick = nearBottom(list) || item.mine;
    const items = currentRoom().items;
    list.append(itemNode(item, items.length > 1 ? items[items.length - 2] : null));
    if (stick) list.scrollTop = list.scrollHeight;
    if (item.kind === "msg") for (const hint of list.querySelectorAll(".empty-hint")) hint.remove();
  }

  // A message right after another from the same person shows without their name and avatar.
  function itemNode(item, prev) {
    if (item.kind === "notice") return el("li", { className: "notice" }, item.text);
    const when = new Date(item.ts);
    const cont = prev && prev.kind === "msg" && prev.user.id === item.user.id &&
      item.ts - prev.ts < 120000;
    const className = ["msg", item.mine ? "mine" : "", cont ? "cont" : ""].join(" ").trim();
    const node = el("li", { className, dataset: { id: item.id } },
      avatar(item.user),
      el("div", { className: "meta" },
        el("span", { className: "author" }, item.user.name),
        el("time", { dateTime: when.toISOString() }, timeFormat.format(when))),
      el("div", { className: "bubble" }, item.text));
    if (item.mine) {
      item.statusNode = el("span", { className: "status" });
      node.querySelector(".meta").append(item.statusNode);
      renderStatus(item);
    }
    return node;
  }

  const STATUS = {
    pending: { mark: "◷", text: "Sending" },
    sent: { mark: "✓", text: "Sent" },
    delivered: { mark: "✓✓", text: "Delivered" },
    failed: { mark: "!", text: "Not sent" },
  };

  function renderStatus(msg) {
    const node = msg.statusNode;
    if (!node || !node.isConnected) return;
    const s = STATUS[msg.state];
    node.dataset.state = msg.state;
    const names = [...msg.deliveredTo.values()];
    node.title = msg.state === "delivered" ? `Delivered to ${names.join(", ")}` : s.text;
    node.replaceChildren(
      el("span", { className: "mark", "aria-hidden": "true" }, s.mark),
      el("span", { className: msg.state === "failed" ? "" : "visually-hidden" }, s.text));
    if (msg.state === "failed") {
      const retry = el("button", { type: "button", className: "small" }, "Retry");
      retry.addEventListener("click", () => {
        const room = [...state.rooms.values()].find((r) => r.byId.get(msg.id) === msg);
        if (room) transmit(room, msg);
      });
      node.append(retry);
    }
  }

  function renderTyping() {
    const room = currentRoom();
    const names = room ? typingNames(room) : [];
    let text = "";
    if (names.length === 1) text = `${names[0]} is typing…`;
    else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
    else if (names.length > 2) text = "Several people are typing…";
    $("typing").textContent = text;
  }

  function pruneMembers() {
    const cutoff = Date.now() - PRESENCE_TTL_MS;
    for (const room of state.rooms.values()) {
      for (const [id, m] of room.members) {
        if (m.seen < cutoff) {
          room.members.delete(id);
          addNotice(room, `${m.user.name} went offline`);
        }
      }
    }
  }

  // ---- views ----

  function showJoinView() {
    $("chat-view").hidden = true;
    $("join-view").hidden = false;
    $("menu-toggle").hidden = true;
    $("name-input").focus();
  }

  function showChatView() {
    $("join-view").hidden = true;
    $("chat-view").hidden = false;
    $("menu-toggle").hidden = false;
    const who = $("whoami");
    who.hidden = false;
    who.replaceChildren(avatar(state.me),
      el("span", { className: "label" }, "Signed in as "), el("strong", {}, state.me.name));
    renderAll();
    $("composer-input").focus();
  }

  function openDrawer() {
    $("sidebar").classList.add("open");
    $("scrim").hidden = false;
    $("menu-toggle").setAttribute("aria-expanded", "true");
    const first = $("sidebar").querySelector("button, input");
    if (first) first.focus();
  }

  function closeDrawer() {
    if (!$("sidebar").classList.contains("open")) return;
    $("sidebar").classList.remove("open");
    $("scrim").hidden = true;
    $("menu-toggle").setAttribute("aria-expanded", "false");
  }

  function fieldError(input, errorNode, text) {
    input.setAttribute("aria-invalid", text ? "true" : "false");
    errorNode.hidden = !text;
    errorNode.textContent = text || "";
  }

  // ---- wiring ----

  const params = new URLSearchParams(location.search);
  $("name-input").value = params.get("name") || localStorage.getItem("hubbub.name") || "";
  if (params.get("room") && ROOM_RE.test(params.get("room"))) $("room-input").value = params.get("room");
  showJoinView();

  $("join-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const nameInput = $("name-input");
    const roomInput = $("room-input");
    const name = nameInput.value.trim();
    const roomName = roomInput.value.trim().replace(/^#/, "");
    fieldError(nameInput, $("name-error"), name ? null : "Please enter a name.");
    fieldError(roomInput, $("room-error"),
      ROOM_RE.test(roomName) ? null : "Use 1 to 40 letters, digits, “-” or “_”.");
    if (!name) return nameInput.focus();
    if (!ROOM_RE.test(roomName)) return roomInput.focus();
    localStorage.setItem("hubbub.name", name);
    state.me = state.me && state.me.name === name ? state.me : { id: randomId(), name };
    const button = $("join-button");
    button.disabled = true;
    button.textContent = "Joining…";
    try {
      await joinRoom(roomName);
      state.current = roomName;
      showChatView();
    } catch (err) {
      fieldError(roomInput, $("room-error"), `Could not join: ${err.message}.`);
    } finally {
      button.disabled = false;
      button.textContent = "Join the chat";
    }
  });

  $("room-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = $("new-room-input");
    const name = input.value.trim().replace(/^#/, "");
    if (!ROOM_RE.test(name)) {
      fieldError(input, $("room-form-error"), "Use 1 to 40 letters, digits, “-” or “_”.");
      return;
    }
    fieldError(input, $("room-form-error"), null);
    input.value = "";
    if (!state.rooms.has(name)) {
      try {
        await joinRoom(name);
      } catch (err) {
        fieldError(input, $("room-form-error"), `Could not join: ${err.message}.`);
        return;
      }
    }
    switchRoom(name);
  });

  $("composer").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = $("composer-input");
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    sendTyping(false);
    sendMessage(text.slice(0, TEXT_MAX));
  });

  $("composer-input").addEventListener("input", (e) => {
    sendTyping(e.target.value.trim() !== "");
  });
  $("composer-input").addEventListener("blur", () => sendTyping(false));

  $("leave-button").addEventListener("click", () => {
    if (state.current) leaveRoom(state.current);
  });

  $("menu-toggle").addEventListener("click", () => {
    if ($("sidebar").classList.contains("open")) closeDrawer();
    else openDrawer();
  });
  $("scrim").addEventListener("click", closeDrawer);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") closeDrawer();
  });

  document.addEventListener("visibilitychange", () => {
    const room = currentRoom();
    if (!document.hidden && room && room.unread) {
      room.unread = 0;
      renderRooms();
      updateTitle();
    }
  });

  // Best effort: tell the rooms we are going (a closed lid says nothing; the TTL covers that).
  window.addEventListener("pagehide", () => {
    if (!state.me) return;
    for (const room of state.rooms.values()) socket.emit("bye", { room: room.name, user: state.me });
  });

  setInterval(() => {
    if (!state.me || !socket.connected) return;
    for (const room of state.rooms.values()) {
      if (room.joined) socket.emit("here", { room: room.name, user: state.me });
    }
    pruneMembers();
    renderPeople();
  }, HEARTBEAT_MS);

  // Typing indicators expire on their own.
  setInterval(() => {
    const room = currentRoom();
    if (room && room.members.size) {
      renderTyping();
      const typing = typingNames(room).length;
      if (typing !== room.lastTyping) renderPeople();
      room.lastTyping = typing;
    }
  }, 1000);
})();
