// The MessagePack parser: the official socket.io-client 4.8 with socket.io-msgpack-parser 3.0.2
// against our server started with `--parser msgpack`: events and acks both ways, binary anywhere
// (Node's Buffer as `bin`, typed arrays as notepack's ext type 0), values JSON has no word for,
// namespaces, broadcasts (encoded once per broadcast) and connection state recovery.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { after, afterEach, before, describe, it } from "node:test";

import {
  MODES,
  SUITE_TIMEOUT,
  bytes,
  closeAll,
  connected,
  connectedSocket,
  manager,
  record,
  socket,
  waitFor,
  waitUntil,
} from "./support/client.mjs";
import { startServer } from "./support/server.mjs";

const parser = createRequire(import.meta.url)("socket.io-msgpack-parser");

let server;
let recovering;
before(async () => {
  [server, recovering] = await Promise.all([
    startServer(["--parser", "msgpack"]),
    startServer(["--parser", "msgpack", "--recovery"]),
  ]);
});
afterEach(closeAll);
after(async () => {
  closeAll();
  await Promise.all([server?.stop(), recovering?.stop()]);
});

const msgpack = (opts = {}) => ({ parser, ...opts });

for (const mode of Object.keys(MODES)) {
  describe(`the MessagePack parser over ${mode}`, { timeout: SUITE_TIMEOUT }, () => {
    it("emits and acknowledges both ways", async () => {
      const s = await connected(server.url, mode, msgpack({ auth: { token: "t", n: 1 } }));
      const me = await s.emitWithAck("whoami");
      assert.equal(me.id, s.id);
      assert.deepEqual(me.auth, { token: "t", n: 1 }, "the CONNECT's map reached the handshake");

      const values = [1, -1, 300, -70000, 2 ** 40, 0.5, -1.25e-7, "two", "ünïcödé ✓ \u2028", "", null, true, [], {}, { a: [1, { b: null }] }];
      const echoed = waitFor(s, "echo");
      s.emit("echo", ...values);
      assert.deepEqual(await echoed, values);
      assert.deepEqual(await s.emitWithAck("echo-ack", ...values.slice(0, 3)), 1, "the ack's first argument");
      assert.deepEqual(
        await new Promise((resolve) => s.emit("echo-ack", ...values, (...a) => resolve(a))),
        values,
      );
      // What JSON has no word for reads as JSON.stringify would write it.
      assert.deepEqual(
        await new Promise((resolve) =>
          s.emit("echo-ack", new Date(0), NaN, Infinity, [undefined], { gone: undefined, kept: 1 }, (...a) => resolve(a)),
        ),
        ["1970-01-01T00:00:00.000Z", null, null, [null], { kept: 1 }],
      );

      // The server asks, the client answers.
      s.on("question", (a, b, cb) => cb(a + b, "sum"));
      assert.deepEqual(await s.emitWithAck("ask", "question", 2, 3), { answer: [5, "sum"] });
      s.on("quiet", (cb) => cb());
      assert.deepEqual(await s.emitWithAck("ask", "quiet"), { answer: [] });

      const many = Array.from({ length: 50 }, (_, i) => s.emitWithAck("echo-ack", i));
      assert.deepEqual(await Promise.all(many), Array.from({ length: 50 }, (_, i) => i));
    });

    it("carries binary nested anywhere, both ways", async () => {
      const s = await connected(server.url, mode, msgpack());
      const payload = {
        buf: Buffer.from([1, 2, 3]),
        list: [new Uint8Array([4, 5]), { deep: new Uint16Array([0x0102, 0x0304]).buffer }, "text"],
        empty: Buffer.alloc(0),
        big: Buffer.alloc(100_000, 7),
      };
      const check = (back, label) => {
        assert.deepEqual(bytes(back.buf), [1, 2, 3], label);
        assert.deepEqual(bytes(back.list[0]), [4, 5], label);
        assert.deepEqual(bytes(back.list[1].deep), [...new Uint8Array(new Uint16Array([0x0102, 0x0304]).buffer)], label);
        assert.equal(back.list[2], "text", label);
        assert.deepEqual(bytes(back.empty), [], label);
        assert.equal(back.big.byteLength, 100_000, label);
        assert.ok(bytes(back.big).every((b) => b === 7), label);
      };
      const [back, top] = await new Promise((resolve) =>
        s.emit("echo-ack", payload, new Int8Array([-1, 0, 1]), (...a) => resolve(a)),
      );
      check(back, "through the ack");
      assert.deepEqual(bytes(top), [255, 0, 1]);

      const echoed = waitFor(s, "echo");
      s.emit("echo", payload);
      check((await echoed)[0], "through an event");

      s.on("bin-question", (data, cb) => cb({ first: data.list[0], more: [Buffer.from("ack")] }, new Uint8Array([9])));
      const { answer } = await s.emitWithAck("ask", "bin-question", payload);
      assert.deepEqual(bytes(answer[0].first), [4, 5]);
      assert.deepEqual(bytes(answer[0].more[0]), [...Buffer.from("ack")]);
      assert.deepEqual(bytes(answer[1]), [9]);

      // The most binaries one packet may carry (max_attachments, 10).
      const ten = Array.from({ length: 10 }, (_, i) => Buffer.from([i]));
      assert.deepEqual((await s.emitWithAck("echo-ack", ten)).map(bytes), ten.map(bytes));
    });

    it("multiplexes namespaces and refuses as JSON does", async () => {
      const { socket: join } = manager(server.url, mode, msgpack());
      const root = join("/");
      const chat = join("/chat");
      await Promise.all([root, chat].map((s) => connectedSocket(s, mode)));
      assert.equal((await chat.emitWithAck("whoami")).nsp, "/chat");
      assert.equal(await chat.emitWithAck("echo-ack", Buffer.from([1])).then(bytes).then((b) => b[0]), 1);
      assert.equal(await root.emitWithAck("echo-ack", "root"), "root");

      const admin = socket(server.url, mode, msgpack({ nsp: "/admin", auth: { admin: false } }));
      const [err] = await waitFor(admin, "connect_error");
      assert.ok(err instanceof Error);
      assert.ok(err.message.length > 0, "the CONNECT_ERROR's message");
      const unknown = socket(server.url, mode, msgpack({ nsp: "/nope" }));
      assert.equal((await waitFor(unknown, "connect_error"))[0].message, "Invalid namespace");
    });

    it("broadcasts, binary included, to rooms and to all", async () => {
      const [a, b, c] = await Promise.all([1, 2, 3].map(() => connected(server.url, mode, msgpack())));
      const seen = new Map([a, b, c].map((s) => [s, record(s)]));
      await a.emitWithAck("join", "blue");
      await b.emitWithAck("join", "blue");
      assert.equal(await a.emitWithAck("to-room", "blue", "t1", 1, Buffer.from([7])), true); // b
      assert.equal(await c.emitWithAck("io-to-room", "blue", "t2", { n: 2 }), true); // a, b
      assert.equal(await b.emitWithAck("broadcast", "t3", [3]), true); // a, c
      assert.equal(await a.emitWithAck("except-room", "no-such-room", "end"), true); // all
      for (const [s, events] of seen) await waitUntil(s, "end", () => events.at(-1)?.[0] === "end");
      assert.deepEqual(seen.get(a), [["t2", { n: 2 }], ["t3", [3]], ["end"]]);
      const fromB = seen.get(b);
      assert.deepEqual(fromB.map((e) => e[0]), ["t1", "t2", "end"]);
      assert.deepEqual(bytes(fromB[0][2]), [7]);
      assert.deepEqual(seen.get(c), [["t3", [3]], ["end"]]);
    });

    it("recovers a cut-off socket and replays what it missed", async () => {
      const s = await connected(recovering.url, mode, msgpack());
      const me = await s.emitWithAck("whoami");
      const echoed = waitFor(s, "echo");
      s.emit("echo", "a", Buffer.from([1]));
      const args = await echoed;
      assert.equal(args.length, 3, "an event without an ack carries its offset");
      assert.equal(typeof args[2], "string");

      const missed = [];
      s.on("missed", (...got) => missed.push(got));
      const reconnected = waitFor(s, "connect");
      s.emit("drop-transport");
      await reconnected;
      assert.equal(s.recovered, true);
      assert.equal((await s.emitWithAck("whoami")).id, me.id);
      assert.deepEqual(missed.map((m) => m[0]), [1, 2, 3]);
    });
  });
}

describe("a client on the other parser", { timeout: SUITE_TIMEOUT }, () => {
  it("never connects: the server reads only MessagePack packets", async () => {
    const s = socket(server.url, "websocket", { reconnection: false });
    await assert.rejects(waitFor(s, "connect", 1_000), /no "connect"/);
    // The server is unharmed.
    const ok = await connected(server.url, "websocket", msgpack());
    assert.equal(await ok.emitWithAck("echo-ack", "still"), "still");
  });
});
