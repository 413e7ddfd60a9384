// The hostile connections of scripts/bench-abuse.sh: SLOTS connections at once (50), each
// looping: open, attack, close, and on to the next attack. Each slot takes the kind of attack
// the fewest slots are running (the next one in the list on a tie), so that every kind keeps
// about the same number of slots whatever it lasts: an attack the server answers in 60 s does
// not crowd out one it answers in a millisecond. Everything is written by hand over raw TCP
// (`net`), WebSocket frames included, so that an attack can do what no client library lets one
// do: stop reading, send 9 of 10 attachments, trickle a body, send a second CONNECT.
//
// Environment: URL (the server, http://127.0.0.1:PORT), DURATION (seconds, default 300),
// SLOTS (50), KINDS (a comma-separated subset of the kinds below, default all), OUT (a file for
// the JSON report, default stdout), VERBOSE=1 (a progress line every 10 s and every attack's
// outcome on stderr).
//
// Each attack ends with how the server answered:
//   closed     the server closed the connection (or, for HTTP, the request's connection) on its own
//   refused    the server answered with a refusal: CONNECT_ERROR, or an HTTP 4xx/5xx status
//   answered   the server answered as to a well-formed request (a CONNECT accepted, an ack)
//   ignored    nothing came back for the hostile input, and the connection still works after it
//   timed out  nothing came back within the attack's limit (we gave up and closed)
//   error      the connection failed before the attack could be made (refused, reset at once)
// Attacks still running when DURATION ends are cut off and counted apart (`unfinished`).
import net from "node:net";
import { writeFileSync } from "node:fs";

const URL_ = new URL(process.env.URL ?? "http://127.0.0.1:3000");
const HOST = URL_.hostname;
const PORT = Number(URL_.port);
const DURATION_MS = Number(process.env.DURATION ?? 300) * 1000;
const SLOTS = Number(process.env.SLOTS ?? 50);
const VERBOSE = process.env.VERBOSE === "1";
const EIO_PATH = "/socket.io/?EIO=4";

/** The server's bounds the attacks aim at (its defaults; bench.rs leaves them as they are). */
const MAX_PAYLOAD = 1_000_000; // maxHttpBufferSize
const ATTACHMENTS_TIMEOUT_MS = 60_000;
const BODY_TIMEOUT_MS = 30_000; // http_request_body_timeout

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- Inputs built once ----

/** A CONNECT auth object of 90,000 keys, just under maxHttpBufferSize with its prefix. */
const BIG_AUTH = (() => {
  const parts = [];
  for (let i = 0; i < 90_000; i++) parts.push(`"k${i}":${i % 10}`);
  const s = `{${parts.join(",")}}`;
  if (s.length > MAX_PAYLOAD - 16) throw new Error(`big auth is ${s.length} bytes`);
  return s;
})();
/** One attachment: as large as one WebSocket message may be, nearly 1 MB. */
const ATTACHMENT = Buffer.alloc(MAX_PAYLOAD - 1000, 0x61);
const ANNOUNCED = 10;
const SENT_ATTACHMENTS = 9;
const PLACEHOLDERS = Array.from({ length: ANNOUNCED }, (_, num) => `{"_placeholder":true,"num":${num}}`).join(",");
/** What the unread client asks to have echoed back to it (64 KiB each). */
const ECHO_BLOB = "x".repeat(64 * 1024);

// ---- Raw WebSocket over TCP ----

/** A WebSocket frame from the client: masked (with a zero key: the payload goes as it is). */
function frame(opcode, payload) {
  const len = payload.length;
  let head;
  if (len < 126) {
    head = Buffer.from([0x80 | opcode, 0x80 | len, 0, 0, 0, 0]);
  } else if (len < 65536) {
    head = Buffer.alloc(8);
    head[0] = 0x80 | opcode;
    head[1] = 0x80 | 126;
    head.writeUInt16BE(len, 2);
  } else {
    head = Buffer.alloc(14);
    head[0] = 0x80 | opcode;
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([head, payload]);
}

/**
 * Opens a WebSocket at `path` and waits for the 101 and, for an Engine.IO path, the open
 * packet. Resolves with ws: { socket, send(text|Buffer) -> whether the kernel took it at once,
 * drained(), frames (a queue of server texts), next(pred, ms), closed (a promise resolving with
 * the time the connection ended), isClosed(), pause(), destroy() }. The server's pings are
 * answered (unless `autoPong` is turned off).
 */
function openWs(path, track) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port: PORT });
    track(socket);
    let buf = Buffer.alloc(0);
    let upgraded = false;
    let opened = false;
    let ended = null;
    let endResolve;
    const closed = new Promise((r) => (endResolve = r));
    const waiters = [];
    const frames = [];
    let fragments = null;
    const ws = {
      socket,
      autoPong: true,
      frames,
      closed,
      isClosed: () => ended !== null,
      send(data) {
        if (ended !== null) return false;
        const binary = Buffer.isBuffer(data);
        return socket.write(frame(binary ? 2 : 1, binary ? data : Buffer.from(data)));
      },
      drained() {
        if (!socket.writableNeedDrain || ended !== null) return Promise.resolve();
        return new Promise((r) => {
          const done = () => {
            socket.off("drain", done);
            socket.off("close", done);
            r();
          };
          socket.on("drain", done);
          socket.on("close", done);
        });
      },
      /** The first server text matching `pred` (from those not taken yet), or "closed" / "timeout". */
      next(pred, ms) {
        const i = frames.findIndex(pred);
        if (i !== -1) return Promise.resolve(frames.splice(i, 1)[0]);
        if (ended !== null) return Promise.resolve("closed");
        return new Promise((r) => {
          const w = { pred, r };
          w.timer = setTimeout(() => {
            waiters.splice(waiters.indexOf(w), 1);
            r("timeout");
          }, ms);
          waiters.push(w);
        });
      },
      pause: () => socket.pause(),
      destroy: () => socket.destroy(),
    };
    const end = () => {
      if (ended !== null) return;
      ended = Date.now();
      for (const w of waiters.splice(0)) {
        clearTimeout(w.timer);
        w.r("closed");
      }
      endResolve(ended);
    };
    socket.on("error", (e) => {
      if (!upgraded) reject(e);
      end();
    });
    socket.on("close", () => {
      if (!opened) reject(new Error(upgraded ? "closed before the open packet" : "closed before the upgrade"));
      end();
    });
    socket.on("connect", () => {
      socket.setNoDelay(true);
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${HOST}:${PORT}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${Buffer.from(String(Math.random())).toString("base64")}\r\n` +
          "Sec-WebSocket-Version: 13\r\n\r\n",
      );
    });
    const onText = (text) => {
      if (!opened) {
        if (text.startsWith("0{")) {
          opened = true;
          resolve(ws);
        }
        return;
      }
      if (text === "2") {
        if (ws.autoPong) ws.send("3");
        return;
      }
      const i = waiters.findIndex((w) => w.pred(text));
      if (i !== -1) {
        const [w] = waiters.splice(i, 1);
        clearTimeout(w.timer);
        w.r(text);
      } else if (frames.length < 1000) {
        frames.push(text);
      }
    };
    socket.on("data", (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      if (!upgraded) {
        const at = buf.indexOf("\r\n\r\n");
        if (at === -1) return;
        const head = buf.subarray(0, at).toString("latin1");
        if (!head.startsWith("HTTP/1.1 101")) {
          socket.destroy();
          return reject(new Error(`upgrade refused: ${head.split("\r\n", 1)[0]}`));
        }
        upgraded = true;
        buf = buf.subarray(at + 4);
      }
      while (buf.length >= 2) {
        const fin = (buf[0] & 0x80) !== 0;
        const opcode = buf[0] & 0x0f;
        let len = buf[1] & 0x7f;
        let off = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          off = 4;
        } else if (len === 127) {
          if (buf.length < 10) return;
          len = Number(buf.readBigUInt64BE(2));
          off = 10;
        }
        if (buf.length < off + len) return;
        const payload = buf.subarray(off, off + len);
        buf = buf.subarray(off + len);
        if (opcode === 8) {
          socket.end();
          continue;
        }
        if (opcode === 9) {
          socket.write(frame(10, Buffer.from(payload)));
          continue;
        }
        if (opcode === 0 || !fin) {
          fragments = fragments ? Buffer.concat([fragments, payload]) : Buffer.from(payload);
          if (!fin) continue;
          if (opcode === 0) {
            const whole = fragments;
            fragments = null;
            onText(whole.toString());
            continue;
          }
        }
        if (opcode === 1) onText(payload.toString());
      }
    });
  });
}

const sio = (prefix) => (t) => t.startsWith(prefix);

// ---- Raw HTTP over TCP ----

/**
 * One HTTP/1.1 request on its own connection. `body` (a Buffer) goes at once, or, with
 * `trickle: { bytes, everyMs }`, one byte every `everyMs` out of `bytes` announced. Resolves
 * with { status, body, ms } once the response has come whole, or { status: null, closed: true }
 * when the connection ended without a response, or { status: null, timedOut: true } after
 * `limitMs`.
 */
function rawHttp({ method = "GET", path, headers = {}, body = null, trickle = null, limitMs = 15_000 }, track) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const socket = net.connect({ host: HOST, port: PORT });
    track(socket);
    let buf = Buffer.alloc(0);
    let done = false;
    let timer = null;
    let trickleTimer = null;
    const finish = (r) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearInterval(trickleTimer);
      socket.destroy();
      resolve({ ms: Date.now() - t0, ...r });
    };
    timer = setTimeout(() => finish({ status: null, timedOut: true }), limitMs);
    socket.on("error", () => finish({ status: null, closed: true }));
    socket.on("close", () => {
      const r = parse();
      finish(r ?? { status: null, closed: true });
    });
    const length = trickle ? trickle.bytes : body ? body.length : null;
    socket.on("connect", () => {
      let head = `${method} ${path} HTTP/1.1\r\nHost: ${HOST}:${PORT}\r\nConnection: close\r\n`;
      for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
      if (length !== null) head += `Content-Type: text/plain;charset=UTF-8\r\nContent-Length: ${length}\r\n`;
      socket.write(head + "\r\n");
      if (body && !trickle) socket.write(body);
      if (trickle) {
        let sent = 0;
        trickleTimer = setInterval(() => {
          if (sent >= trickle.bytes || socket.destroyed) return clearInterval(trickleTimer);
          socket.write("a");
          sent++;
        }, trickle.everyMs);
      }
    });
    // A response: the status line, the head, and a body of Content-Length (or to the end).
    const parse = () => {
      const at = buf.indexOf("\r\n\r\n");
      if (at === -1) return null;
      const head = buf.subarray(0, at).toString("latin1");
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      const rest = buf.subarray(at + 4);
      if (cl && rest.length < Number(cl[1])) return null;
      return { status, body: rest.subarray(0, cl ? Number(cl[1]) : rest.length).toString() };
    };
    socket.on("data", (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      const r = parse();
      if (r && /\r\ncontent-length:/i.test(buf.subarray(0, buf.indexOf("\r\n\r\n")).toString("latin1"))) finish(r);
    });
  });
}

/** A polling handshake: the new session's id. */
async function pollingHandshake(track) {
  const r = await rawHttp({ path: `${EIO_PATH}&transport=polling` }, track);
  if (r.status !== 200) throw new Error(`polling handshake: ${r.status ?? "no answer"}`);
  return JSON.parse(r.body.slice(1)).sid;
}

/** An HTTP status as an outcome. */
const httpOutcome = (r) =>
  r.timedOut ? "timed out" : r.status === null ? "closed" : r.status >= 400 ? "refused" : "answered";

// ---- The attacks ----
//
// Each takes `a`: { n (this kind's attack number), track(socket), note(key, value) } and
// returns its outcome.

/** An attack on a fresh Socket.IO WebSocket connection. */
const openSio = (a) => openWs(`${EIO_PATH}&transport=websocket`, a.track);

/** Joins `/` and waits for the answer; throws when refused. */
async function joinRoot(ws) {
  ws.send("40");
  const r = await ws.next(sio("40"), 10_000);
  if (!r.startsWith("40{")) throw new Error(`CONNECT to / not answered: ${r.slice(0, 60)}`);
}

/**
 * Sends `make(i)` frames at wire speed (waiting only for the kernel), until `stop()`. Between
 * batches it yields to the event loop, so that the other slots (and the close it waits for) get
 * their turn.
 */
async function flood(ws, make, stop) {
  let i = 0;
  while (!ws.isClosed() && !stop(i)) {
    for (let k = 0; k < 100 && !stop(i); k++, i++) ws.send(make(i));
    await ws.drained();
    await new Promise((r) => setImmediate(r));
  }
  return i;
}

const KINDS = {
  /** A CONNECT whose auth is a 90,000-key JSON object (~1 MB), to `/` and to `/auth` in turn. */
  async "big-auth"(a) {
    const ws = await openSio(a);
    const nsp = a.n % 2 ? "/auth" : "/";
    ws.send(`40${nsp === "/" ? "" : `${nsp},`}${BIG_AUTH}`);
    const r = await ws.next((t) => /^4[04]/.test(t), 20_000);
    if (r === "closed" || r === "timeout") return r === "closed" ? "closed" : "timed out";
    a.note(`${nsp} ${r.slice(0, 2) === "40" ? "accepted" : r.slice(0, 2) === "44" ? "refused" : "other"}`);
    return r.startsWith("44") ? "refused" : "answered";
  },

  /** A binary event announcing 10 attachments; 9 of nearly 1 MB each follow, never the 10th. */
  async attachments(a) {
    const ws = await openSio(a);
    await joinRoot(ws);
    ws.send(`45${ANNOUNCED}-["upload",${PLACEHOLDERS}]`);
    for (let i = 0; i < SENT_ATTACHMENTS && !ws.isClosed(); i++) {
      ws.send(ATTACHMENT);
      await ws.drained();
    }
    const sent = Date.now();
    const limit = ATTACHMENTS_TIMEOUT_MS + 30_000;
    const end = await Promise.race([ws.closed, sleep(limit).then(() => null)]);
    if (end === null) return "timed out";
    a.note("seconds from the last attachment to the close", (end - sent) / 1000);
    return "closed";
  },

  /** Refused CONNECTs to `/auth` (wrong tokens) at wire speed on one connection. */
  async "auth-brute"(a) {
    const ws = await openSio(a);
    const t0 = Date.now();
    const sent = await flood(ws, (i) => `40/auth,{"token":"guess-${a.n}-${i}"}`, (i) => i >= 100_000 || Date.now() - t0 > 10_000);
    const end = await Promise.race([ws.closed, sleep(5000).then(() => null)]);
    const refusals = ws.frames.filter(sio("44/auth,")).length;
    a.note("CONNECTs written", sent);
    a.note("refusals before the close", refusals);
    return end === null ? "timed out" : "closed";
  },

  /** `42["n",1e400]` (a number no handler can read) at wire speed, then an ack asked for. */
  async "bad-number"(a) {
    const ws = await openSio(a);
    await joinRoot(ws);
    const t0 = Date.now();
    const sent = await flood(ws, () => `42["n",1e400]`, () => Date.now() - t0 > 3000);
    a.note("events written", sent);
    if (ws.isClosed()) return "closed";
    ws.send(`421["echo-ack","still there?"]`);
    const r = await ws.next(sio("431["), 10_000);
    if (r === "closed") return "closed";
    if (r === "timeout") return "timed out";
    return "ignored";
  },

  /**
   * Joins the broadcast room, then stops reading: its socket is left unread while it asks for
   * 64 KiB echoes (one every 50 ms, 20 MB in all) and sends a pong every 2 s, as a client that
   * still looks alive. Ends when the server closes the connection.
   */
  async unread(a) {
    const ws = await openSio(a);
    await joinRoot(ws);
    ws.send(`420["join","bench"]`);
    const joined = await ws.next(sio("430"), 10_000);
    if (joined === "closed") return "closed";
    ws.autoPong = false;
    ws.pause();
    const t0 = Date.now();
    let asked = 0;
    let lastPong = t0;
    while (!ws.isClosed() && Date.now() - t0 < 120_000) {
      if (asked < 320) ws.send(`42${asked++}["echo-ack","${ECHO_BLOB}"]`);
      if (Date.now() - lastPong >= 2000) {
        ws.send("3");
        lastPong = Date.now();
      }
      await sleep(50);
    }
    a.note("echoes asked for", asked);
    if (!ws.isClosed()) return "timed out";
    a.note("seconds from the last read to the close", ((await ws.closed) - t0) / 1000);
    return "closed";
  },

  /** Malformed `sid` values on polling GETs and POSTs and on WebSocket requests: one per attack. */
  async "bad-sid"(a) {
    const sids = [
      "",
      "x",
      "AAAAAAAAAAAAAAAAAAAA",
      "a".repeat(8000),
      "%00%01%02",
      "..%2F..%2Fetc%2Fpasswd",
      "%FF%FE%FD",
      "%C3%A9%E2%82%AC",
      "abc%0D%0ASet-Cookie:%20x=1",
      "abc&sid=def",
      "-1",
      "null",
    ];
    const sid = sids[a.n % sids.length];
    const how = ["polling GET", "polling POST", "websocket"][Math.floor(a.n / sids.length) % 3];
    const transport = how === "websocket" ? "websocket" : "polling";
    const path = `${EIO_PATH}&transport=${transport}&sid=${sid}`;
    const r =
      how === "polling POST"
        ? await rawHttp({ method: "POST", path, body: Buffer.from("40") }, a.track)
        : await rawHttp(
            {
              path,
              headers:
                how === "websocket"
                  ? { Upgrade: "websocket", Connection: "Upgrade", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13" }
                  : {},
            },
            a.track,
          );
    a.note(`${how} ${r.status ?? (r.timedOut ? "no answer" : "closed")}`);
    // A 101 would be a WebSocket accepted for a session that does not exist.
    return httpOutcome(r);
  },

  /** CONNECTs to dynamic namespaces `/dyn-<n>` the middleware refuses, at wire speed. */
  async "dyn-ns"(a) {
    const ws = await openSio(a);
    const t0 = Date.now();
    const sent = await flood(ws, (i) => `40/dyn-${a.n * 1_000_000 + i},`, (i) => i >= 100_000 || Date.now() - t0 > 10_000);
    const end = await Promise.race([ws.closed, sleep(5000).then(() => null)]);
    const refusals = ws.frames.filter(sio("44/dyn-")).length;
    a.note("CONNECTs written", sent);
    a.note("refusals before the close", refusals);
    return end === null ? "timed out" : "closed";
  },

  /** A polling POST of 1.5 MB, over maxHttpBufferSize (1 MB). */
  async "big-post"(a) {
    const sid = await pollingHandshake(a.track);
    const body = Buffer.alloc(1_500_000, 0x61);
    body[0] = 0x34; // "4": a message packet
    const r = await rawHttp({ method: "POST", path: `${EIO_PATH}&transport=polling&sid=${sid}`, body }, a.track);
    a.note(`POST ${r.status ?? (r.timedOut ? "no answer" : "closed")}`);
    // The session should be gone with it.
    const poll = await rawHttp({ path: `${EIO_PATH}&transport=polling&sid=${sid}`, limitMs: 30_000 }, a.track);
    a.note(`session after it: ${poll.status === 400 ? "gone (400)" : poll.status === 200 ? `open (${poll.body.slice(0, 1) === "1" ? "close packet" : "200"})` : (poll.status ?? "no answer")}`);
    return httpOutcome(r);
  },

  /** A polling POST announcing 200 bytes, sent one byte every 2 s. */
  async "slow-post"(a) {
    const sid = await pollingHandshake(a.track);
    const r = await rawHttp(
      {
        method: "POST",
        path: `${EIO_PATH}&transport=polling&sid=${sid}`,
        trickle: { bytes: 200, everyMs: 2000 },
        limitMs: BODY_TIMEOUT_MS + 30_000,
      },
      a.track,
    );
    a.note(`POST ${r.status ?? (r.timedOut ? "no answer" : "closed")}`);
    if (!r.timedOut) a.note("seconds to the answer", r.ms / 1000);
    return httpOutcome(r);
  },

  /** A second CONNECT to `/`, already joined; then an ack asked for. */
  async "double-connect"(a) {
    const ws = await openSio(a);
    await joinRoot(ws);
    ws.send("40");
    const r = await ws.next((t) => /^4[014]/.test(t), 3000);
    if (r === "closed") return "closed";
    if (r !== "timeout") {
      a.note(`answer ${r.slice(0, 2)}`);
      return r.startsWith("44") ? "refused" : "answered";
    }
    ws.send(`421["echo-ack","still there?"]`);
    const ack = await ws.next(sio("431["), 10_000);
    return ack === "closed" ? "closed" : ack === "timeout" ? "timed out" : "ignored";
  },
};

const ORDER = (process.env.KINDS ? process.env.KINDS.split(",") : Object.keys(KINDS)).map((k) => k.trim());
for (const k of ORDER) if (!KINDS[k]) throw new Error(`unknown kind ${k}; the kinds: ${Object.keys(KINDS).join(", ")}`);

// ---- The slots ----

const stats = Object.fromEntries(
  ORDER.map((k) => [k, { attacks: 0, outcomes: {}, ms: [], notes: {}, unfinished: 0, errors: {} }]),
);
const running = Object.fromEntries(ORDER.map((k) => [k, 0]));
const started = Date.now();
const deadline = started + DURATION_MS;

/** The kind the fewest slots run; on a tie, the first after `last` in the list. */
function nextKind(last) {
  const from = last === null ? 0 : ORDER.indexOf(last) + 1;
  let best = null;
  for (let i = 0; i < ORDER.length; i++) {
    const k = ORDER[(from + i) % ORDER.length];
    if (best === null || running[k] < running[best]) best = k;
  }
  return best;
}

function note(s, key, value) {
  if (value === undefined) {
    s.notes[key] = (s.notes[key] ?? 0) + 1;
  } else {
    const n = (s.notes[key] ??= { count: 0, sum: 0, min: Infinity, max: -Infinity });
    n.count++;
    n.sum += value;
    n.min = Math.min(n.min, value);
    n.max = Math.max(n.max, value);
  }
}

async function slot(index) {
  let last = ORDER[(index - 1 + ORDER.length) % ORDER.length];
  await sleep((index * 20) % 1000);
  while (Date.now() < deadline) {
    const kind = nextKind(last);
    last = kind;
    const s = stats[kind];
    const n = s.attacks++;
    running[kind]++;
    const sockets = new Set();
    // Notes made after the attack was cut off (its sockets destroyed under it) are not kept.
    let cut = false;
    const a = { n, track: (sock) => sockets.add(sock), note: (k, v) => cut || note(s, k, v) };
    const t0 = Date.now();
    let outcome;
    try {
      outcome = await Promise.race([
        KINDS[kind](a),
        sleep(Math.max(0, deadline - t0)).then(() => "unfinished"),
      ]);
    } catch (e) {
      outcome = "error";
      const why = String(e.message ?? e).replace(/[0-9]+/g, "N").slice(0, 80);
      s.errors[why] = (s.errors[why] ?? 0) + 1;
    }
    cut = outcome === "unfinished";
    for (const sock of sockets) sock.destroy();
    running[kind]--;
    if (outcome === "unfinished") {
      s.attacks--;
      s.unfinished++;
      continue;
    }
    s.outcomes[outcome] = (s.outcomes[outcome] ?? 0) + 1;
    s.ms.push(Date.now() - t0);
    if (VERBOSE && s.attacks <= 3) console.error(`[hostile] ${kind} #${n}: ${outcome} in ${Date.now() - t0} ms`);
    // A server refusing the connection must not turn this into a busy loop.
    if (outcome === "error") await sleep(50);
  }
}

const progress = VERBOSE
  ? setInterval(() => {
      const line = ORDER.map((k) => `${k} ${stats[k].attacks}(${running[k]})`).join("  ");
      console.error(`[hostile ${((Date.now() - started) / 1000).toFixed(0)} s] ${line}`);
    }, 10_000)
  : null;

const cpu0 = process.cpuUsage();
await Promise.all(Array.from({ length: SLOTS }, (_, i) => slot(i)));
clearInterval(progress);
const cpu = process.cpuUsage(cpu0);

const pct = (v, p) => {
  if (!v.length) return null;
  const s = [...v].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
};
const report = {
  slots: SLOTS,
  duration_s: (Date.now() - started) / 1000,
  cpu_s: (cpu.user + cpu.system) / 1e6,
  kinds: Object.fromEntries(
    ORDER.map((k) => {
      const s = stats[k];
      const notes = Object.fromEntries(
        Object.entries(s.notes).map(([key, v]) =>
          typeof v === "number" ? [key, v] : [key, { count: v.count, mean: v.sum / v.count, min: v.min, max: v.max }],
        ),
      );
      return [k, { attacks: s.attacks, outcomes: s.outcomes, unfinished: s.unfinished, p50_ms: pct(s.ms, 0.5), max_ms: pct(s.ms, 1), notes, errors: s.errors }];
    }),
  ),
};
const text = JSON.stringify(report, null, 2) + "\n";
if (process.env.OUT) writeFileSync(process.env.OUT, text);
else process.stdout.write(text);
process.exit(0);
