// The JS surface of the built npm package (SOCKEYE_PKG, default pkg/) in headless Chromium, against
// sockeye-server (the interop example) and against the official socket.io 4.8 Node.js server: the
// same test bodies for both. Each test runs in a fresh page served by the server under test; the
// page function returns plain values (binary as `{ $type, bytes }`, see www/helpers.js) that the
// test compares here.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

import { SERVERS, launchChromium, openPage, packageDir } from "./support/servers.mjs";

const pkg = packageDir();
let browser;
before(async () => (browser = await launchChromium()));
after(() => browser?.close());

// Reconnection without the reference's 1 to 5 s backoff, so the suite stays fast.
const FAST = { reconnectionDelay: 50, reconnectionDelayMax: 100 };

/** The expected form of `bytes` received as binary. */
const buffer = (...bytes) => ({ $type: "ArrayBuffer", bytes });

for (const [serverName, start] of Object.entries(SERVERS)) {
  describe(`against ${serverName}`, () => {
    let server;
    let recovering;
    let context;
    before(async () => {
      [server, recovering] = await Promise.all([start(pkg), start(pkg, ["--recovery"])]);
      context = await browser.newContext();
    });
    after(async () => {
      await context?.close();
      await Promise.all([server?.stop(), recovering?.stop()]);
    });

    /** Runs `fn(url, arg)` in a fresh page on `on` (default: the plain server); its result. */
    async function inPage(fn, arg, on = server) {
      const page = await openPage(context, on);
      try {
        const result = await page.evaluate(fn, { url: on.url, arg }).catch((e) => {
          throw new Error(`${e.message}\n${page.problems.join("\n")}`);
        });
        const errors = page.problems.filter((p) => p.startsWith("pageerror"));
        assert.deepEqual(errors, [], "no uncaught errors in the page");
        return result;
      } finally {
        await page.close();
      }
    }

    test("connects with auth (an object or a callback), which the server sees", async () => {
      const r = await inPage(async ({ url }) => {
        const { io } = sockeye;
        const a = await h.connected(io(url, { forceNew: true, auth: { token: "abc", n: 1 } }));
        const b = await h.connected(io(url, { forceNew: true, auth: (cb) => cb({ token: "from a callback" }) }));
        const result = {
          a: await a.emitWithAck("whoami"),
          b: await b.emitWithAck("whoami"),
          id: a.id,
          connected: a.connected,
          disconnected: a.disconnected,
          active: a.active,
          recovered: a.recovered,
          transport: a.io.engine.transport.name,
        };
        a.disconnect();
        b.disconnect();
        result.after = { connected: a.connected, active: a.active, id: a.id ?? null };
        return result;
      });
      assert.deepEqual(r.a.auth, { token: "abc", n: 1 });
      assert.deepEqual(r.b.auth, { token: "from a callback" });
      assert.equal(r.a.id, r.id, "socket.id is the server's id");
      assert.match(r.id, /^[\w-]{20}$/);
      assert.equal(r.a.nsp, "/");
      assert.deepEqual(r.a.data, { trail: ["first", "second"] }, "both middlewares ran");
      assert.deepEqual([r.connected, r.disconnected, r.active], [true, false, true]);
      assert.ok(!r.recovered, "nothing to recover (the reference client says undefined, sockeye false)");
      assert.deepEqual(r.after, { connected: false, active: false, id: null });
    });

    test("connect_error carries the middleware's message and data; the socket stops", async () => {
      const r = await inPage(async ({ url }) => {
        const { io } = sockeye;
        const s = io(url, { forceNew: true, auth: { reject: "not today" } });
        const [err] = await h.waitFor(s, "connect_error");
        // Nothing follows: a refusal is not retried.
        await h.sleep(200);
        return { err: h.describe(err), isError: err instanceof Error, active: s.active, connected: s.connected };
      });
      assert.equal(r.isError, true);
      assert.equal(r.err.message, "refused by middleware");
      assert.deepEqual(r.err.data, { code: 4001, reason: "not today" });
      assert.equal(r.active, false);
      assert.equal(r.connected, false);
    });

    test("two namespaces on one Manager share one Engine.IO connection; a refused one leaves the others be", async () => {
      const r = await inPage(async ({ url }) => {
        const { io, Manager } = sockeye;
        const manager = new Manager(url);
        const root = manager.socket("/");
        const chat = manager.socket("/chat");
        const admin = manager.socket("/admin", { auth: { admin: false } });
        const refused = h.waitFor(admin, "connect_error");
        await Promise.all([h.connected(root), h.connected(chat)]);
        const [err] = await refused;
        const me = { root: await root.emitWithAck("whoami"), chat: await chat.emitWithAck("whoami") };
        // io() multiplexes: one manager per server unless forceNew.
        const a = io(url);
        const b = io(url + "chat");
        const c = io(url, { forceNew: true });
        const shared = a.io === b.io && a.io !== c.io;
        await Promise.all([h.connected(a), h.connected(b), h.connected(c)]);
        const engines = [
          (await a.emitWithAck("whoami")).engineId,
          (await b.emitWithAck("whoami")).engineId,
          (await c.emitWithAck("whoami")).engineId,
        ];
        for (const s of [root, chat, a, b, c]) s.disconnect();
        return { me, err: h.describe(err), rootConnected: root.connected, shared, engines, nsps: [a.nsp, b.nsp] };
      });
      assert.equal(r.me.root.nsp, "/");
      assert.equal(r.me.chat.nsp, "/chat");
      assert.equal(r.me.root.engineId, r.me.chat.engineId, "one Engine.IO session");
      assert.notEqual(r.me.root.id, r.me.chat.id);
      assert.equal(r.err.message, "admins only");
      assert.equal(r.shared, true);
      assert.deepEqual(r.nsps, ["/", "/chat"]);
      assert.equal(r.engines[0], r.engines[1]);
      assert.notEqual(r.engines[0], r.engines[2]);
    });

    test("every emit and ack form", async () => {
      const r = await inPage(async ({ url }) => {
        const { io } = sockeye;
        const s = await h.connected(io(url, { forceNew: true }));
        const out = {};
        // emit: the server emits the arguments back.
        const echoed = h.waitFor(s, "echo");
        s.emit("echo", "a", 1, { b: [true, null] });
        out.emit = await echoed;
        // emit with an ack callback: every argument of the ack.
        out.ackCallback = await h.ack(s, "echo-ack", "x", 2);
        // emitWithAck: the first argument.
        out.emitWithAck = await s.emitWithAck("echo-ack", { k: "v" }, "ignored");
        // timeout().emit: an error first, null when the ack came in time.
        out.inTime = await new Promise((resolve) => s.timeout(2000).emit("echo-ack", 3, (...args) => resolve(args)));
        let t0 = performance.now();
        const [late] = await new Promise((resolve) => s.timeout(100).emit("unanswered", 1, (...args) => resolve(args)));
        out.late = { error: h.describe(late), isError: late instanceof Error, ms: performance.now() - t0 };
        t0 = performance.now();
        const rejected = await s.timeout(100).emitWithAck("unanswered").then(() => null, (e) => e);
        out.rejected = { error: h.describe(rejected), ms: performance.now() - t0 };
        // The client acks the server's emit (the server's `ask` reports what it got).
        s.on("question", (a, b, cb) => cb(a + b, "sum"));
        out.asked = await s.emitWithAck("ask", "question", 2, 3);
        s.once("binary-question", (cb) => cb(new Uint8Array([4, 5])));
        out.askedBinary = h.describe(await s.emitWithAck("ask", "binary-question"));
        // An ack called twice answers once (the server would fail on an unknown ack id).
        s.once("twice", (cb) => {
          cb("first");
          cb("second");
        });
        out.twice = await s.emitWithAck("ask", "twice");
        // volatile while connected is sent.
        const vol = h.waitFor(s, "echo");
        s.volatile.emit("echo", "volatile");
        out.volatile = await vol;
        // The server's volatile emit arrives.
        const fromServer = h.waitFor(s, "pushed");
        out.serverVolatile = await s.emitWithAck("volatile", "pushed", 7);
        out.pushed = await fromServer;
        // send() is emit("message").
        const msg = h.waitFor(s, "echo");
        s.send("ignored by echo");
        s.emit("echo", "after send");
        out.send = await msg;
        // onAny / onAnyOutgoing see the events both ways.
        const any = [];
        const outgoing = [];
        s.onAny((event, ...args) => any.push([event, ...args]));
        s.onAnyOutgoing((event, ...args) => outgoing.push([event, ...args]));
        const last = h.waitFor(s, "echo");
        s.emit("echo", "any");
        await last;
        out.any = any;
        out.outgoing = outgoing;
        // A reserved name throws an Error.
        try {
          s.emit("connect");
          out.reserved = "no error";
        } catch (e) {
          out.reserved = h.describe(e);
        }
        s.disconnect();
        return out;
      });
      assert.deepEqual(r.emit, ["a", 1, { b: [true, null] }]);
      assert.deepEqual(r.ackCallback, ["x", 2]);
      assert.deepEqual(r.emitWithAck, { k: "v" });
      assert.deepEqual(r.inTime, [null, 3]);
      assert.equal(r.late.isError, true);
      assert.equal(r.late.error.message, "operation has timed out");
      assert.ok(r.late.ms >= 90, `the timeout error came after ${r.late.ms} ms`);
      assert.equal(r.rejected.error.message, "operation has timed out");
      assert.ok(r.rejected.ms >= 90, `the rejection came after ${r.rejected.ms} ms`);
      assert.deepEqual(r.asked, { answer: [5, "sum"] });
      assert.deepEqual(r.askedBinary, { answer: [buffer(4, 5)] });
      assert.deepEqual(r.twice, { answer: ["first"] });
      assert.deepEqual(r.volatile, ["volatile"]);
      assert.equal(r.serverVolatile, true);
      assert.deepEqual(r.pushed, [7]);
      assert.deepEqual(r.send, ["after send"], "the message event has no echo handler");
      assert.deepEqual(r.any, [["echo", "any"]]);
      assert.deepEqual(r.outgoing, [["echo", "any"]]);
      assert.equal(r.reserved.message, '"connect" is a reserved event name');
    });

    test("binary round trips over each transport: ArrayBuffer, typed arrays, DataView, nested, Blob (in order)", async () => {
      const r = await inPage(async ({ url }) => {
        const { io } = sockeye;
        const out = {};
        for (const [mode, { options }] of Object.entries(h.MODES)) {
          const s = io(url, { forceNew: true, ...options });
          const upgraded = mode === "polling then upgrade" ? h.waitFor(s.io.engine, "upgrade") : null;
          await h.connected(s);
          await upgraded;
          const args = () => [
            new Uint8Array([0, 1, 2, 255]).buffer,
            new Uint8Array([9, 8, 7]),
            new Uint8Array([5, 6, 7, 8, 9]).subarray(1, 3),
            new DataView(new Uint8Array([1, 2, 3, 4]).buffer, 1, 2),
            new Float32Array([1.5]),
            { list: [{ deep: new Uint8Array([42]) }, "text"], empty: new Uint8Array(0) },
            new Blob([new Uint8Array([10, 20, 30])]),
          ];
          const acked = h.describe(await h.ack(s, "echo-ack", ...args()));
          // Server to client, and a Blob keeps its place: the emits after it wait for it.
          const echoes = [];
          s.on("echo", (...a) => echoes.push(h.describe(a)));
          s.emit("echo", ...args());
          s.emit("echo", new Blob([new Uint8Array([1])]), "blob first");
          s.emit("echo", "then text");
          await h.until(() => echoes.length === 3, "three echoes");
          out[mode] = { acked, echoes, transport: s.io.engine.transport.name };
          s.disconnect();
        }
        return out;
      });
      const expected = [
        buffer(0, 1, 2, 255),
        buffer(9, 8, 7),
        buffer(6, 7),
        buffer(2, 3),
        buffer(0, 0, 0xc0, 0x3f),
        { list: [{ deep: buffer(42) }, "text"], empty: buffer() },
        buffer(10, 20, 30),
      ];
      for (const [mode, got] of Object.entries(r)) {
        assert.deepEqual(got.acked, expected, `${mode}: the ack`);
        assert.deepEqual(got.echoes, [expected, [buffer(1), "blob first"], ["then text"]], `${mode}: the echoes`);
      }
      assert.deepEqual(
        Object.entries(r).map(([mode, got]) => [mode, got.transport]),
        [["polling", "polling"], ["websocket", "websocket"], ["polling then upgrade", "websocket"]],
      );
    });

    test("rooms: joined through the server, broadcasts reach the room", async () => {
      const r = await inPage(async ({ url }) => {
        const { io } = sockeye;
        const [a, b, c] = await Promise.all([0, 1, 2].map(() => h.connected(io(url, { forceNew: true }))));
        const got = { a: [], b: [], c: [] };
        for (const [name, s] of Object.entries({ a, b, c })) s.on("news", (x) => got[name].push(x));
        const rooms = await a.emitWithAck("join", "r1");
        await b.emitWithAck("join", "r1");
        // To the whole room, from outside it.
        await c.emitWithAck("io-to-room", "r1", "news", 1);
        // To the room's other sockets, from inside it.
        await a.emitWithAck("to-room", "r1", "news", 2);
        await h.until(() => got.a.length === 1 && got.b.length === 2, "the room's news");
        // Whatever the server sent each socket before answering this has arrived.
        await Promise.all([a, b, c].map((s) => s.emitWithAck("echo-ack")));
        for (const s of [a, b, c]) s.disconnect();
        return { got, rooms, id: a.id };
      });
      assert.deepEqual(r.got, { a: [1], b: [1, 2], c: [] });
      assert.equal(r.rooms.length, 2);
      assert.ok(r.rooms.includes("r1"));
    });

    test("reconnects after the server drops the transport; not after a server or client disconnect", async () => {
      const r = await inPage(async ({ url, arg }) => {
        const { io } = sockeye;
        const s = await h.connected(io(url, { forceNew: true, ...arg }));
        const events = [];
        for (const e of ["reconnect_attempt", "reconnect", "reconnect_error", "close", "open"]) {
          s.io.on(e, (v) => events.push(v instanceof Error || v === undefined ? e : [e, v]));
        }
        const first = s.id;
        const reason = h.waitFor(s, "disconnect");
        const again = h.waitFor(s, "connect");
        s.emit("drop-transport");
        const [dropped] = await reason;
        const activeWhileDown = s.active;
        await again;
        const out = { dropped, activeWhileDown, events, newId: s.id !== first, me: await s.emitWithAck("whoami") };
        // The server disconnects the socket: no reconnection.
        const serverReason = h.waitFor(s, "disconnect");
        s.emit("disconnect-me");
        [out.serverReason] = await serverReason;
        await h.sleep(300);
        const attempts = () => events.filter((e) => e[0] === "reconnect_attempt").length;
        out.afterServer = { active: s.active, connected: s.connected, attempts: attempts() };
        // connect() again, then the client disconnects: no reconnection either.
        s.connect();
        await h.connected(s);
        const clientReason = h.waitFor(s, "disconnect");
        s.disconnect();
        [out.clientReason] = await clientReason;
        await h.sleep(300);
        out.afterClient = { active: s.active, connected: s.connected, attempts: attempts() };
        return out;
      }, FAST);
      assert.equal(r.dropped, "transport close");
      assert.equal(r.activeWhileDown, true);
      assert.equal(r.newId, true, "without recovery, a new session");
      assert.equal(r.me.recovered, false);
      assert.deepEqual(r.events.slice(0, 4), [["close", "transport close"], ["reconnect_attempt", 1], "open", ["reconnect", 1]]);
      assert.equal(r.serverReason, "io server disconnect");
      assert.deepEqual(r.afterServer, { active: false, connected: false, attempts: 1 });
      assert.equal(r.clientReason, "io client disconnect");
      assert.deepEqual(r.afterClient, { active: false, connected: false, attempts: 1 });
    });

    test("offline buffering: emits made while disconnected leave on connect, volatile ones are dropped", async () => {
      const r = await inPage(async ({ url, arg }) => {
        const { io } = sockeye;
        const s = io(url, { forceNew: true, autoConnect: false, ...arg });
        const echoes = [];
        s.on("echo", (x) => echoes.push(x));
        s.emit("echo", "before 1");
        s.volatile.emit("echo", "volatile before");
        s.emit("echo", "before 2");
        const acked = h.ack(s, "echo-ack", "ack before");
        const out = { connectedBefore: s.connected };
        s.connect();
        await h.connected(s);
        out.acked = await acked;
        await s.emitWithAck("echo-ack");
        out.first = echoes.splice(0);
        // Cut off by the server: buffered again until the reconnection.
        const down = h.waitFor(s, "disconnect");
        const up = h.waitFor(s, "connect");
        s.emit("drop-transport");
        await down;
        s.emit("echo", "while down");
        s.volatile.emit("echo", "volatile while down");
        await up;
        await s.emitWithAck("echo-ack");
        out.second = echoes.splice(0);
        s.disconnect();
        return out;
      }, FAST);
      assert.equal(r.connectedBefore, false);
      assert.deepEqual(r.acked, ["ack before"]);
      assert.deepEqual(r.first, ["before 1", "before 2"]);
      assert.deepEqual(r.second, ["while down"]);
    });

    test("retries with ackTimeout: resent until acknowledged, an error after the last try", async () => {
      const r = await inPage(async ({ url }) => {
        const { io } = sockeye;
        const s = await h.connected(io(url, { forceNew: true, retries: 2, ackTimeout: 150 }));
        const key = () => crypto.randomUUID();
        const out = {};
        const k1 = key();
        // Answered from the second delivery on.
        out.second = await s.emitWithAck("flaky", k1, 2);
        // Never answered: 1 + retries deliveries, then the error.
        const k2 = key();
        const t0 = performance.now();
        const err = await s.emitWithAck("flaky", k2, 99).then(() => null, (e) => e);
        out.failed = { error: h.describe(err), ms: performance.now() - t0 };
        // A plain emit goes through the queue too: acknowledged at its second delivery.
        const k3 = key();
        s.emit("flaky", k3, 2);
        // The queue sends one at a time: this ack comes after k3 was acknowledged.
        out.tries = [await s.emitWithAck("tries", k1), await s.emitWithAck("tries", k2), await s.emitWithAck("tries", k3)];
        // A callback gets the error first, as with timeout().
        out.callback = await h.ack(s, "echo-ack", "x");
        s.disconnect();
        return out;
      });
      assert.equal(r.second, 2);
      assert.equal(r.failed.error.message, "operation has timed out");
      assert.ok(r.failed.ms >= 3 * 140, `three ack timeouts, ${r.failed.ms} ms`);
      assert.deepEqual(r.tries, [2, 3, 2]);
      assert.deepEqual(r.callback, [null, "x"]);
    });

    test("connection state recovery: missed events replayed, socket.recovered, same id and rooms", async () => {
      const r = await inPage(
        async ({ url, arg }) => {
          const { io } = sockeye;
          const s = await h.connected(io(url, { forceNew: true, ...arg }));
          const out = { recoveredAtFirst: s.recovered, me: await s.emitWithAck("whoami") };
          await s.emitWithAck("join", "kept");
          // An event with an offset, so that the next CONNECT asks for a recovery.
          const echoed = h.waitFor(s, "echo");
          s.emit("echo", "x");
          out.echo = await echoed;
          const missed = [];
          s.on("missed", (...a) => missed.push(a));
          const down = h.waitFor(s, "disconnect");
          const up = h.waitFor(s, "connect");
          s.emit("drop-transport");
          [out.reason] = await down;
          await up;
          out.recovered = s.recovered;
          out.sameId = s.id === out.me.id;
          out.after = await s.emitWithAck("whoami");
          out.missed = missed;
          s.disconnect();
          return out;
        },
        FAST,
        recovering,
      );
      assert.equal(r.recoveredAtFirst, false);
      assert.equal(r.me.recovered, false);
      assert.equal(r.echo.length, 2, "an event carries its offset last");
      assert.equal(r.reason, "transport close");
      assert.equal(r.recovered, true);
      assert.equal(r.sameId, true);
      assert.equal(r.after.recovered, true);
      assert.notEqual(r.after.engineId, r.me.engineId);
      assert.ok(r.after.rooms.includes("kept"));
      assert.deepEqual(r.missed.map((m) => m[0]), [1, 2, 3], "missed events in order, not the volatile one");
    });

    test("transport modes: polling only, websocket only, polling then the upgrade, upgrade: false", async () => {
      const r = await inPage(async ({ url }) => {
        const { io } = sockeye;
        const modes = { ...h.MODES, "upgrade: false": { options: { upgrade: false }, transport: "polling" } };
        const out = {};
        for (const [mode, { options }] of Object.entries(modes)) {
          const s = io(url, { forceNew: true, ...options });
          const seen = { upgrading: 0, upgrade: [], packets: new Set() };
          s.io.engine.on("upgrading", () => seen.upgrading++);
          s.io.engine.on("upgrade", (t) => seen.upgrade.push(t.name));
          s.io.engine.on("packet", (p) => seen.packets.add(p.type));
          await h.connected(s);
          const atConnect = s.io.engine.transport.name;
          if (mode === "polling then upgrade") await h.until(() => seen.upgrade.length > 0, "the upgrade");
          else await h.sleep(150); // time enough for an upgrade that should not happen
          const me = await s.emitWithAck("whoami");
          out[mode] = {
            // Whether the upgrade finished before the CONNECT's answer is a race.
            atConnect: mode === "polling then upgrade" ? "either" : atConnect,
            now: s.io.engine.transport.name,
            server: me.transport,
            upgrade: seen.upgrade,
            engineId: s.io.engine.id === me.engineId,
            packets: ["open", "message"].filter((type) => seen.packets.has(type)),
          };
          s.disconnect();
        }
        return out;
      });
      assert.deepEqual(r.polling, {
        atConnect: "polling", now: "polling", server: "polling", upgrade: [], engineId: true, packets: ["open", "message"],
      });
      assert.deepEqual(r.websocket, {
        atConnect: "websocket", now: "websocket", server: "websocket", upgrade: [], engineId: true, packets: ["open", "message"],
      });
      assert.deepEqual(r["polling then upgrade"], {
        atConnect: "either", now: "websocket", server: "websocket", upgrade: ["websocket"], engineId: true, packets: ["open", "message"],
      });
      assert.deepEqual(r["upgrade: false"], {
        atConnect: "polling", now: "polling", server: "polling", upgrade: [], engineId: true, packets: ["open", "message"],
      });
    });
  });
}
