// Sockeye chat: the demo page. Plain ESM, no build step. The event contract with the server is
// www/PROTOCOL.md; this file uses only the socket.io-client API (io, on/off/emit/emitWithAck/timeout,
// socket.io.engine.transport.name and its `upgrade` event, the manager's `reconnect_attempt`,
// socket.id, socket.recovered, socket.connected), so `sockeye` and `socket.io-client` both serve it.
import { io } from "/sockeye/index.js";

const LOBBY = "lobby";
const ROOM_RE = /^[a-z0-9][a-z0-9_-]{0,15}$/;
const NICK_MAX = 24;
const TEXT_MAX = 2000;
// Keeps an image packet under the server's 1e6-byte limit on long-polling too (base64 adds a third).
const MAX_IMAGE_BYTES = 700_000;
const MAX_IMAGE_SIDE = 1600;
const SENDABLE_MIMES = ["image/png", "image/jpeg", "image/webp", "image/gif"];
const ACK_TIMEOUT = 15_000;
const TYPING_REFRESH = 2_000; // resend `typing: true` at most this often while typing goes on
const TYPING_IDLE = 3_000; // send `typing: false` this long after the last keystroke
const TYPING_EXPIRY = 5_000; // forget someone else's `typing: true` after this long
const GROUP_GAP = 5 * 60_000; // consecutive messages from one nick within this are grouped
const NICK_KEY = "sockeye-chat:nick";

// ---------------------------------------------------------------------------------------------
// Elements

const $ = (selector) => document.querySelector(selector);
const ui = {
  conn: $('[data-testid="connection-indicator"]'),
  connLabel: $(".conn-label"),
  transport: $('[data-testid="transport-badge"]'),
  menu: $("#menu-button"),
  drawerClose: $("#drawer-close"),
  topbar: $("#topbar"),
  scrim: $("#scrim"),
  sidebar: $("#sidebar"),
  nickForm: $('[data-testid="nick-form"]'),
  nickInput: $('[data-testid="nick-input"]'),
  nickNote: $("#nick-note"),
  roomList: $('[data-testid="room-list"]'),
  joinForm: $('[data-testid="join-form"]'),
  joinInput: $('[data-testid="join-input"]'),
  joinNote: $("#join-note"),
  peopleRoom: $(".people-room"),
  presence: $('[data-testid="presence-list"]'),
  online: $('[data-testid="online-count"]'),
  chat: $(".chat"),
  roomTitle: $("#room-title"),
  roomMeta: $('[data-testid="room-meta"]'),
  scroller: $("#messages"),
  empty: $("#empty"),
  emptyText: $("#empty-text"),
  pickNick: $("#pick-nick"),
  list: $('[data-testid="message-list"]'),
  typing: $('[data-testid="typing-indicator"]'),
  composer: $('[data-testid="composer"]'),
  input: $('[data-testid="message-input"]'),
  send: $('[data-testid="send-button"]'),
  image: $('[data-testid="image-input"]'),
  toasts: $('[data-testid="toasts"]'),
};

// ---------------------------------------------------------------------------------------------
// State

/**
 * An entry in a room's timeline: a message (ours or someone else's) or a notice.
 * @typedef {{ key: string, kind: "message" | "notice", room: string, time: number, id?: string,
 *   nick?: string, text?: string, image?: ArrayBuffer, mime?: string, url?: string, own?: boolean,
 *   status?: "pending" | "delivered" | "failed", error?: string, payload?: object, tone?: string,
 *   el?: HTMLElement }} Entry
 */

const state = {
  /** The nick the server accepted, or null before the first `nick` ack. */
  nick: null,
  /** The room on screen. */
  current: LOBBY,
  /** Rooms the server confirmed we are in, in the order we joined them. */
  joined: [],
  /** The last `rooms` event. */
  directory: { online: 0, rooms: [] },
  /** room -> the last `presence` users. */
  presence: new Map(),
  /** room -> Entry[] */
  timeline: new Map(),
  /** room -> unread message count. */
  unread: new Map(),
  /** room -> Map(socket id -> { nick, timer }) of people typing there. */
  typists: new Map(),
  everConnected: false,
  /** Reconnections that were not recovered, so that a restore knows when a newer one took over. */
  connections: 0,
  /** What we last told the server about our own typing. */
  typing: { room: null, lastSent: 0, idleTimer: 0 },
};

let keySeq = 0;
const nextKey = () => `k${++keySeq}`;

const storage = {
  get(key) {
    try { return localStorage.getItem(key); } catch { return null; }
  },
  set(key, value) {
    try { localStorage.setItem(key, value); } catch { /* private mode: not remembered */ }
  },
};

// ---------------------------------------------------------------------------------------------
// Small helpers

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

const SVG_NS = "http://www.w3.org/2000/svg";
function icon(path) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  const p = document.createElementNS(SVG_NS, "path");
  p.setAttribute("d", path);
  svg.append(p);
  return svg;
}
const ICON = {
  check: "M5 12.5l4.5 4.5L19 7.5",
  clock: "M12 3a9 9 0 1 0 9 9M12 7v5l3 2",
  close: "M6 6l12 12M18 6L6 18",
  person: "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4.5 20a7.5 7.5 0 0 1 15 0",
};

function hue(nick) {
  let x = 0;
  for (const ch of nick.toLowerCase()) x = (x * 31 + ch.codePointAt(0)) % 360;
  return x;
}

function avatar(nick) {
  const node = h("span", { class: "avatar", "aria-hidden": "true", text: [...nick][0] ?? "?" });
  node.style.setProperty("--hue", String(hue(nick)));
  return node;
}

const byNick = (a, b) => a.nick.localeCompare(b.nick, undefined, { sensitivity: "base" }) || (a.id < b.id ? -1 : 1);

function normalizeRoom(raw) {
  return raw.trim().toLowerCase().replace(/\s+/g, "-");
}

function toast(text) {
  // Also in the console, where a bug report (or a test) can find it after the toast is gone.
  console.warn(text);
  const node = h("div", { class: "toast", role: "alert", text });
  ui.toasts.append(node);
  setTimeout(() => node.remove(), 4_000);
}

/**
 * Emits with an ack; never throws: a timeout or a disconnection is `{ ok: false, unanswered: true }`,
 * a refusal the server's own `{ ok: false, error }`.
 *
 * While connected the server gets ACK_TIMEOUT to answer. While disconnected there is no timeout:
 * the client buffers the packet and sends it on reconnection, so the answer comes then (a timeout
 * would report a failure for a packet that is still on its way).
 */
async function request(event, ...args) {
  const emitter = socket.connected ? socket.timeout(ACK_TIMEOUT) : socket;
  try {
    const reply = await emitter.emitWithAck(event, ...args);
    if (reply && typeof reply === "object" && typeof reply.ok === "boolean") return reply;
    return { ok: false, error: "the server sent an unexpected reply" };
  } catch {
    const error = socket.connected ? "the server did not answer in time" : "the connection dropped before the server answered";
    return { ok: false, unanswered: true, error };
  }
}

function timeline(room) {
  let entries = state.timeline.get(room);
  if (!entries) state.timeline.set(room, (entries = []));
  return entries;
}

// ---------------------------------------------------------------------------------------------
// Connection: indicator, transport badge, recovery

const socket = io();
const upgradeWatched = new WeakSet();

function setConnection(name, label) {
  ui.conn.dataset.state = name;
  ui.connLabel.textContent = label;
}

function setTransport(name) {
  ui.transport.dataset.transport = name ?? "none";
  ui.transport.textContent = name ?? "offline";
}

socket.on("connect", () => {
  const engine = socket.io.engine;
  setTransport(engine?.transport?.name ?? null);
  if (engine && !upgradeWatched.has(engine)) {
    upgradeWatched.add(engine);
    engine.on("upgrade", () => setTransport(engine.transport?.name ?? null));
  }

  if (!state.everConnected) {
    state.everConnected = true;
    setConnection("connected", "Connected");
    const saved = storage.get(NICK_KEY);
    if (saved && !state.nick) setNick(saved);
  } else if (socket.recovered) {
    setConnection("recovered", "Recovered");
    for (const room of state.joined) addNotice(room, "Connection recovered", "good");
  } else {
    state.connections += 1;
    setConnection("connected", "Reconnected");
    for (const room of state.joined) addNotice(room, "Reconnected: messages sent while you were away are not shown");
    restoreSession();
  }
  render();
});

socket.on("disconnect", (reason) => {
  setTransport(null);
  if (reason === "io client disconnect" || reason === "io server disconnect") {
    setConnection("disconnected", "Disconnected");
  } else {
    setConnection("reconnecting", "Reconnecting…");
  }
  for (const room of state.joined) addNotice(room, "Connection lost: reconnecting…");
  for (const room of state.typists.keys()) clearTypists(room);
  state.typing.room = null;
  renderTyping();
});

socket.on("connect_error", () => {
  if (!socket.connected) {
    setConnection(state.everConnected ? "reconnecting" : "connecting",
      state.everConnected ? "Reconnecting…" : "Connecting…");
  }
});

socket.io.on("reconnect_attempt", (attempt) => {
  setConnection("reconnecting", attempt > 1 ? `Reconnecting… (${attempt})` : "Reconnecting…");
});

/**
 * After a reconnection that was not recovered the server knows nothing of us: tell it again.
 *
 * A room is dropped only when the server refuses it. A request left unanswered (the connection
 * dropped again, or the server was too slow) keeps the nick and the rooms: the next `connect`
 * restores them, or, while still connected, one more try here does.
 */
async function restoreSession(tries = 2) {
  if (!state.nick) return;
  const connection = state.connections;
  // Who was where is the old server's news: each join brings the new server's presence.
  state.presence.clear();
  renderPresence();
  let unanswered = false;
  const reply = await request("nick", state.nick);
  if (!reply.ok) {
    if (!reply.unanswered) return toast(`Could not restore your nick: ${reply.error}`);
    unanswered = true;
  } else {
    for (const room of [...state.joined]) {
      const joined = await request("join", room);
      if (joined.ok) continue;
      if (joined.unanswered) {
        unanswered = true;
        break;
      }
      dropRoom(room);
      toast(`Could not rejoin #${room}: ${joined.error}`);
    }
  }
  if (unanswered) {
    console.warn(`restoring the session: ${reply.ok ? "a join" : "the nick"} went unanswered`);
    // A newer connection runs its own restore.
    if (socket.connected && connection === state.connections && tries > 1) return restoreSession(tries - 1);
  }
  render();
}

// ---------------------------------------------------------------------------------------------
// Server events

socket.on("rooms", (directory) => {
  if (!directory || !Array.isArray(directory.rooms)) return;
  state.directory = directory;
  renderRooms();
  ui.online.textContent = String(directory.online ?? 0);
});

socket.on("presence", (presence) => {
  const { room, users } = presence ?? {};
  if (typeof room !== "string" || !Array.isArray(users)) return;
  const before = state.presence.get(room);
  state.presence.set(room, users);
  if (before && state.joined.includes(room)) announcePresenceChanges(room, before, users);
  const present = new Set(users.map((u) => u.id));
  const typists = state.typists.get(room);
  if (typists) for (const id of [...typists.keys()]) if (!present.has(id)) removeTypist(room, id);
  if (room === state.current) renderPresence();
  renderTyping();
});

function announcePresenceChanges(room, before, after) {
  const old = new Map(before.map((u) => [u.id, u.nick]));
  const now = new Map(after.map((u) => [u.id, u.nick]));
  for (const [id, nick] of now) {
    if (id === socket.id) continue;
    if (!old.has(id)) addNotice(room, `${nick} joined`);
    else if (old.get(id) !== nick) addNotice(room, `${old.get(id)} is now ${nick}`);
  }
  for (const [id, nick] of old) if (!now.has(id) && id !== socket.id) addNotice(room, `${nick} left`);
}

socket.on("message", (message) => {
  if (!message || !state.joined.includes(message.room)) return;
  const entry = { key: nextKey(), kind: "message", ...message, own: false };
  if (message.image !== undefined) {
    entry.url = URL.createObjectURL(new Blob([message.image], { type: message.mime }));
  }
  const typists = state.typists.get(message.room);
  if (typists) for (const [id, t] of typists) if (t.nick === message.nick) removeTypist(message.room, id);
  addEntry(entry);
  if (message.room !== state.current) {
    state.unread.set(message.room, (state.unread.get(message.room) ?? 0) + 1);
    renderRooms();
  }
  renderTyping();
});

socket.on("typing", (event) => {
  const { room, id, nick, typing } = event ?? {};
  if (typeof room !== "string" || typeof id !== "string" || !state.joined.includes(room)) return;
  if (typing) {
    let typists = state.typists.get(room);
    if (!typists) state.typists.set(room, (typists = new Map()));
    clearTimeout(typists.get(id)?.timer);
    typists.set(id, { nick, timer: setTimeout(() => { removeTypist(room, id); renderTyping(); }, TYPING_EXPIRY) });
  } else {
    removeTypist(room, id);
  }
  renderTyping();
});

function removeTypist(room, id) {
  const typists = state.typists.get(room);
  if (!typists?.has(id)) return;
  clearTimeout(typists.get(id).timer);
  typists.delete(id);
}

function clearTypists(room) {
  for (const id of [...(state.typists.get(room)?.keys() ?? [])]) removeTypist(room, id);
}

// ---------------------------------------------------------------------------------------------
// Our actions: nick, rooms, typing, messages

async function setNick(raw) {
  const nick = raw.trim();
  const length = [...nick].length;
  if (length < 1 || length > NICK_MAX) return fieldError(ui.nickInput, ui.nickNote, `A nick is 1 to ${NICK_MAX} characters.`);
  fieldError(ui.nickInput, ui.nickNote, "");
  const reply = await request("nick", nick);
  if (!reply.ok) return fieldError(ui.nickInput, ui.nickNote, capitalize(reply.error));
  const first = state.nick === null;
  state.nick = reply.nick;
  storage.set(NICK_KEY, reply.nick);
  ui.nickInput.value = reply.nick;
  ui.nickNote.textContent = first ? "" : "Saved.";
  if (!first) setTimeout(() => { if (ui.nickNote.textContent === "Saved.") ui.nickNote.textContent = ""; }, 2_000);
  if (!state.joined.includes(LOBBY)) await joinRoom(LOBBY, { focus: first });
  render();
}

async function joinRoom(room, { focus = true } = {}) {
  if (!ROOM_RE.test(room)) return fieldError(ui.joinInput, ui.joinNote, "Use 1 to 16 of a-z, 0-9, - and _.");
  if (!state.nick) return toast("Choose a nickname first.");
  if (!state.joined.includes(room)) {
    const reply = await request("join", room);
    if (!reply.ok) return toast(capitalize(reply.error));
    if (!state.joined.includes(room)) state.joined.push(room);
  }
  switchRoom(room, { focus });
}

async function leaveRoom(room) {
  const reply = await request("leave", room);
  if (!reply.ok) return toast(capitalize(reply.error));
  dropRoom(room);
  render();
}

function dropRoom(room) {
  state.joined = state.joined.filter((r) => r !== room);
  for (const entry of state.timeline.get(room) ?? []) if (entry.url) URL.revokeObjectURL(entry.url);
  state.timeline.delete(room);
  state.presence.delete(room);
  state.unread.delete(room);
  clearTypists(room);
  if (state.current === room) switchRoom(LOBBY, { focus: false });
}

function switchRoom(room, { focus = true } = {}) {
  if (state.current !== room) stopTyping();
  state.current = room;
  state.unread.delete(room);
  setDrawer(false, { restoreFocus: false });
  render();
  if (focus && !ui.input.disabled) ui.input.focus();
}

function noteTyping() {
  if (!state.nick || !socket.connected) return;
  if (ui.input.value.trim() === "") return stopTyping();
  const now = Date.now();
  if (state.typing.room !== state.current || now - state.typing.lastSent >= TYPING_REFRESH) {
    if (state.typing.room && state.typing.room !== state.current) stopTyping();
    socket.emit("typing", { room: state.current, typing: true });
    state.typing.room = state.current;
    state.typing.lastSent = now;
  }
  clearTimeout(state.typing.idleTimer);
  state.typing.idleTimer = setTimeout(stopTyping, TYPING_IDLE);
}

function stopTyping() {
  clearTimeout(state.typing.idleTimer);
  if (state.typing.room && socket.connected) socket.emit("typing", { room: state.typing.room, typing: false });
  state.typing.room = null;
  state.typing.lastSent = 0;
}

function sendText() {
  const text = ui.input.value.trim();
  if (!text || !state.nick) return;
  if ([...text].length > TEXT_MAX) return toast(`A message is at most ${TEXT_MAX} characters.`);
  stopTyping();
  ui.input.value = "";
  autosize();
  updateComposer();
  send({ room: state.current, text }, { text });
}

async function sendImage(file) {
  if (!state.nick) return toast("Choose a nickname first.");
  const room = state.current;
  let prepared;
  try {
    prepared = await prepareImage(file);
  } catch (e) {
    return toast(e.message);
  }
  const url = URL.createObjectURL(new Blob([prepared.bytes], { type: prepared.mime }));
  send({ room, image: prepared.bytes, mime: prepared.mime }, { image: prepared.bytes, mime: prepared.mime, url });
}

function send(payload, content) {
  const entry = {
    key: nextKey(), kind: "message", room: payload.room, nick: state.nick, time: Date.now(),
    own: true, status: "pending", payload, ...content,
  };
  addEntry(entry, { scroll: true });
  deliver(entry);
}

async function deliver(entry) {
  entry.status = "pending";
  entry.error = undefined;
  updateStatus(entry);
  const reply = await request("message", entry.payload);
  if (reply.ok) {
    entry.status = "delivered";
    entry.id = reply.id;
    entry.time = reply.time;
  } else {
    entry.status = "failed";
    entry.error = reply.error;
  }
  updateStatus(entry);
}

/**
 * The bytes to send for an image file: the file itself when it is small enough, else a JPEG drawn
 * on a canvas at most MAX_IMAGE_SIDE wide and high, with quality and then size lowered until it fits.
 */
async function prepareImage(file) {
  if (!file.type.startsWith("image/")) throw new Error("Only images can be shared.");
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error("That image could not be read.");
  }
  try {
    const { width, height } = bitmap;
    if (SENDABLE_MIMES.includes(file.type) && file.size <= MAX_IMAGE_BYTES
        && width <= MAX_IMAGE_SIDE && height <= MAX_IMAGE_SIDE) {
      return { bytes: await file.arrayBuffer(), mime: file.type };
    }
    let scale = Math.min(1, MAX_IMAGE_SIDE / Math.max(width, height));
    for (let attempt = 0; attempt < 6; attempt++, scale *= 0.7) {
      const w = Math.max(1, Math.round(width * scale));
      const hgt = Math.max(1, Math.round(height * scale));
      const canvas = document.createElement("canvas");
      canvas.width = w;
      canvas.height = hgt;
      const ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff"; // JPEG has no alpha: transparent parts become white, not black
      ctx.fillRect(0, 0, w, hgt);
      ctx.drawImage(bitmap, 0, 0, w, hgt);
      for (const quality of [0.85, 0.7, 0.55]) {
        const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", quality));
        if (blob && blob.size <= MAX_IMAGE_BYTES) return { bytes: await blob.arrayBuffer(), mime: "image/jpeg" };
      }
    }
    throw new Error("That image is too large to send.");
  } finally {
    bitmap.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Timeline

function addNotice(room, text, tone) {
  addEntry({ key: nextKey(), kind: "notice", room, time: Date.now(), text, tone });
}

function addEntry(entry, { scroll = false } = {}) {
  const entries = timeline(entry.room);
  const previous = entries.at(-1);
  entries.push(entry);
  if (entry.room !== state.current) return;
  ui.list.append(renderEntry(entry, previous));
  ui.empty.hidden = true;
  if (scroll) stickToBottom = true;
  if (stickToBottom) scrollToBottom();
}

// The view follows new content while the reader is at the bottom (images load later and grow the
// list, hence the observer); once they scroll up to read, it stays where they are.
let stickToBottom = true;
ui.scroller.addEventListener("scroll", () => { stickToBottom = nearBottom(); }, { passive: true });
new ResizeObserver(() => { if (stickToBottom) scrollToBottom(); }).observe(ui.list);

function nearBottom() {
  const s = ui.scroller;
  return s.scrollHeight - s.scrollTop - s.clientHeight < 80;
}

function scrollToBottom() {
  ui.scroller.scrollTop = ui.scroller.scrollHeight;
}

function groupedWith(previous, entry) {
  return previous?.kind === "message" && entry.kind === "message" && previous.nick === entry.nick
    && previous.own === entry.own && entry.time - previous.time < GROUP_GAP;
}

function renderEntry(entry, previous) {
  if (entry.kind === "notice") {
    entry.el = h("li", { class: `notice ${entry.tone ?? ""}`, "data-testid": "notice", text: entry.text });
    return entry.el;
  }
  const when = new Date(entry.time);
  const body = entry.image !== undefined
    ? h("div", { class: "bubble image" },
        h("a", { href: entry.url, target: "_blank", rel: "noopener", title: "Open the image" },
          h("img", { src: entry.url, alt: `Image from ${entry.nick}`, "data-testid": "message-image" })))
    : h("div", { class: "bubble", "data-testid": "message-text", text: entry.text });
  const li = h("li", {
    class: `msg${entry.own ? " own" : ""}${groupedWith(previous, entry) ? " cont" : ""}`,
    "data-testid": "message", "data-key": entry.key, "data-id": entry.id, "data-nick": entry.nick,
  },
    avatar(entry.nick),
    h("div", { class: "msg-head" },
      h("span", { class: "msg-nick", text: entry.nick }),
      h("time", { class: "msg-time", datetime: when.toISOString(), text: timeFormat.format(when) })),
    h("div", { class: "msg-body" }, body));
  if (entry.own) li.querySelector(".msg-body").append(h("div", { class: "msg-status" }));
  entry.el = li;
  updateStatus(entry);
  return li;
}

function updateStatus(entry) {
  const li = entry.el;
  if (!entry.own || !li) return;
  li.classList.toggle("pending", entry.status === "pending");
  li.classList.toggle("failed", entry.status === "failed");
  li.dataset.status = entry.status;
  if (entry.id) li.dataset.id = entry.id;
  const status = li.querySelector(".msg-status");
  const when = new Date(entry.time);
  status.replaceChildren();
  if (entry.status !== "failed") {
    status.append(h("time", { class: "msg-time", datetime: when.toISOString(), text: timeFormat.format(when) }));
  }
  if (entry.status === "pending") {
    status.append(h("span", { class: "pending", title: "Sending", role: "img", "aria-label": "Sending" }, icon(ICON.clock)));
  } else if (entry.status === "delivered") {
    status.append(h("span", { class: "tick", "data-testid": "delivered-tick", title: "Delivered", role: "img", "aria-label": "Delivered" }, icon(ICON.check)));
  } else {
    status.append(
      h("span", { class: "failed-note", text: `Not delivered: ${entry.error ?? "unknown error"}.` }),
      h("button", { type: "button", class: "retry", "data-testid": "retry", text: "Retry", onclick: () => deliver(entry) }));
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering

function render() {
  renderRooms();
  renderPresence();
  renderHeader();
  renderTimeline();
  renderTyping();
  updateComposer();
}

function renderRooms() {
  const counts = new Map(state.directory.rooms.map((r) => [r.name, r.count]));
  const names = [...new Set([LOBBY, ...counts.keys(), ...state.joined])]
    .sort((a, b) => (a === LOBBY ? -1 : b === LOBBY ? 1 : a < b ? -1 : a > b ? 1 : 0));
  const focused = document.activeElement?.closest?.(".room");
  const refocus = focused && { room: focused.dataset.room, leave: document.activeElement.classList.contains("room-leave") };

  ui.roomList.replaceChildren(...names.map((name) => {
    const joined = state.joined.includes(name);
    const current = joined && name === state.current;
    const unread = state.unread.get(name) ?? 0;
    const count = counts.get(name) ?? 0;
    return h("li", { class: `room${joined ? " joined" : ""}`, "data-testid": "room-item", "data-room": name,
      "data-joined": joined, "aria-current": current ? "true" : undefined },
      h("button", { type: "button", class: "room-open", title: joined ? `Open #${name}` : `Join #${name}`,
        onclick: () => (joined ? switchRoom(name) : joinRoom(name)) },
        h("span", { class: "room-name" }, h("span", { class: "room-hash", text: "#" }), name),
        // Read out as "#rust, 2 people, 3 unread, not joined"; the badges below are for the eye.
        h("span", { class: "visually-hidden",
          text: `, ${count} ${count === 1 ? "person" : "people"}${unread ? `, ${unread} unread` : ""}${joined ? "" : ", not joined"}` }),
        unread ? h("span", { class: "unread", "data-testid": "unread", "aria-hidden": "true", text: String(unread) }) : null,
        h("span", { class: "room-count", "aria-hidden": "true" }, String(count), icon(ICON.person))),
      joined && name !== LOBBY
        ? h("button", { type: "button", class: "room-leave", "data-testid": "leave-room", "aria-label": `Leave #${name}`,
            title: `Leave #${name}`, onclick: () => leaveRoom(name) }, icon(ICON.close))
        : null);
  }));

  if (refocus) {
    const li = ui.roomList.querySelector(`[data-room="${CSS.escape(refocus.room)}"]`);
    (li?.querySelector(refocus.leave ? ".room-leave" : ".room-open") ?? li?.querySelector(".room-open"))?.focus();
  }
  const totalUnread = [...state.unread.values()].reduce((a, b) => a + b, 0);
  document.title = totalUnread ? `(${totalUnread}) Sockeye chat` : "Sockeye chat";
}

function renderPresence() {
  const room = state.current;
  const users = [...(state.presence.get(room) ?? [])].sort(byNick);
  const typists = state.typists.get(room);
  ui.peopleRoom.textContent = `#${room}`;
  ui.presence.replaceChildren(...users.map((u) =>
    h("li", { "data-testid": "presence-item", "data-id": u.id, "data-nick": u.nick },
      avatar(u.nick),
      h("span", { class: "presence-nick", text: u.nick }),
      u.id === socket.id ? h("span", { class: "you-tag", text: "you" }) : null,
      typists?.has(u.id) ? h("span", { class: "presence-typing", text: "typing…" }) : null)));
  renderHeader();
}

function renderHeader() {
  const room = state.current;
  ui.roomTitle.textContent = `#${room}`;
  const here = state.presence.get(room)?.length ?? 0;
  ui.roomMeta.textContent = state.joined.includes(room) ? `${here} ${here === 1 ? "person" : "people"} here` : "";
  ui.input.placeholder = `Message #${room}`;
}

function renderTimeline() {
  const entries = state.timeline.get(state.current) ?? [];
  ui.list.replaceChildren(...entries.map((entry, i) => renderEntry(entry, entries[i - 1])));
  stickToBottom = true;
  const hasMessages = entries.some((e) => e.kind === "message");
  ui.empty.hidden = entries.length > 0;
  ui.pickNick.hidden = state.nick !== null;
  if (!state.nick) {
    ui.emptyText.replaceChildren("Pick a nickname to join ", h("b", { text: "#lobby" }), ".");
  } else if (!hasMessages) {
    ui.emptyText.replaceChildren("No messages in ", h("b", { text: `#${state.current}` }), " yet. Say hello!");
  }
  scrollToBottom();
}

function renderTyping() {
  const typists = [...(state.typists.get(state.current)?.values() ?? [])].map((t) => t.nick);
  const names = [...new Set(typists)];
  ui.typing.textContent =
    names.length === 0 ? ""
    : names.length === 1 ? `${names[0]} is typing…`
    : names.length === 2 ? `${names[0]} and ${names[1]} are typing…`
    : `${names.length} people are typing…`;
  // The presence list marks typists too.
  for (const li of ui.presence.children) {
    const typing = state.typists.get(state.current)?.has(li.dataset.id) ?? false;
    const mark = li.querySelector(".presence-typing");
    if (typing && !mark) li.append(h("span", { class: "presence-typing", text: "typing…" }));
    if (!typing && mark) mark.remove();
  }
}

function updateComposer() {
  const ready = state.nick !== null && state.joined.includes(state.current);
  ui.input.disabled = !ready;
  ui.image.disabled = !ready;
  ui.send.disabled = !ready || ui.input.value.trim() === "";
}

function autosize() {
  ui.input.style.height = "auto";
  ui.input.style.height = `${Math.min(ui.input.scrollHeight, 144)}px`;
}

function fieldError(input, note, message) {
  input.setAttribute("aria-invalid", message ? "true" : "false");
  note.textContent = message;
  note.classList.toggle("error", Boolean(message));
  if (message) input.focus();
}

function capitalize(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

// ---------------------------------------------------------------------------------------------
// Drawer (narrow screens)

const narrow = window.matchMedia("(max-width: 760px)");

function setDrawer(open, { restoreFocus = true } = {}) {
  const wasOpen = document.body.classList.contains("drawer-open");
  document.body.classList.toggle("drawer-open", open);
  ui.menu.setAttribute("aria-expanded", String(open));
  ui.scrim.hidden = !open;
  // While the drawer is open, what lies under it is out of reach (no Tab into it, no clicks).
  ui.chat.inert = open;
  ui.topbar.inert = open;
  if (open && !wasOpen) (state.nick ? ui.sidebar.querySelector(".room-open") : ui.nickInput)?.focus();
  if (!open && wasOpen && restoreFocus) ui.menu.focus();
}

ui.menu.addEventListener("click", () => setDrawer(!document.body.classList.contains("drawer-open")));
ui.scrim.addEventListener("click", () => setDrawer(false));
ui.drawerClose.addEventListener("click", () => setDrawer(false));
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && document.body.classList.contains("drawer-open")) setDrawer(false);
});
narrow.addEventListener("change", () => setDrawer(false, { restoreFocus: false }));

// ---------------------------------------------------------------------------------------------
// Wiring

ui.nickForm.addEventListener("submit", (e) => {
  e.preventDefault();
  setNick(ui.nickInput.value);
});

ui.joinForm.addEventListener("submit", async (e) => {
  e.preventDefault();
  const room = normalizeRoom(ui.joinInput.value);
  if (!ROOM_RE.test(room)) return fieldError(ui.joinInput, ui.joinNote, "Use 1 to 16 of a-z, 0-9, - and _.");
  fieldError(ui.joinInput, ui.joinNote, "");
  ui.joinNote.textContent = "Letters, digits, - and _";
  ui.joinInput.value = "";
  await joinRoom(room);
});

ui.joinInput.addEventListener("input", () => {
  if (ui.joinInput.getAttribute("aria-invalid") === "true") {
    fieldError(ui.joinInput, ui.joinNote, "");
    ui.joinNote.textContent = "Letters, digits, - and _";
  }
});

ui.pickNick.addEventListener("click", () => {
  if (narrow.matches) setDrawer(true);
  ui.nickInput.focus();
});

ui.composer.addEventListener("submit", (e) => {
  e.preventDefault();
  sendText();
});

ui.input.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    sendText();
  }
});

ui.input.addEventListener("input", () => {
  autosize();
  updateComposer();
  noteTyping();
});

ui.input.addEventListener("blur", () => { if (ui.input.value.trim() === "") stopTyping(); });

ui.image.addEventListener("change", () => {
  const file = ui.image.files?.[0];
  ui.image.value = "";
  if (file) sendImage(file);
});

ui.input.addEventListener("paste", (e) => {
  const file = [...(e.clipboardData?.files ?? [])].find((f) => f.type.startsWith("image/"));
  if (file && !ui.input.disabled) {
    e.preventDefault();
    sendImage(file);
  }
});

ui.chat.addEventListener("dragover", (e) => {
  if (ui.input.disabled || !e.dataTransfer?.types.includes("Files")) return;
  e.preventDefault();
  ui.chat.classList.add("dragging");
});
ui.chat.addEventListener("dragleave", (e) => {
  if (!ui.chat.contains(e.relatedTarget)) ui.chat.classList.remove("dragging");
});
ui.chat.addEventListener("drop", (e) => {
  ui.chat.classList.remove("dragging");
  const file = [...(e.dataTransfer?.files ?? [])].find((f) => f.type.startsWith("image/"));
  if (!file || ui.input.disabled) return;
  e.preventDefault();
  sendImage(file);
});

ui.nickInput.value = storage.get(NICK_KEY) ?? "";
render();
if (!ui.nickInput.value && !narrow.matches) ui.nickInput.focus();
