// Events and acknowledgements both ways with the official socket.io-client, binary anywhere in
// the arguments, and per-packet middlewares.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";

import { MODES, SUITE_TIMEOUT, bytes, closeAll, connected, record, waitFor } from "./support/client.mjs";
import { startServer } from "./support/server.mjs";

let server;
before(async () => {
  server = await startServer();
});
afterEach(closeAll);
after(async () => {
  closeAll();
  await server?.stop();
});

/** Emits with a callback and resolves with every argument the callback got. */
function emitForArgs(s, event, ...args) {
  return new Promise((resolve) => s.emit(event, ...args, (...answer) => resolve(answer)));
}

for (const mode of Object.keys(MODES)) {
  describe(`events over ${mode}`, { timeout: SUITE_TIMEOUT }, () => {
    it("emits and acknowledges from the client", async () => {
      const s = await connected(server.url, mode);
      const echoed = waitFor(s, "echo");
      s.emit("echo", 1, "two", { three: [3, null, true] }, [], "");
      assert.deepEqual(await echoed, [1, "two", { three: [3, null, true] }, [], ""]);

      assert.deepEqual(await emitForArgs(s, "echo-ack", "a", 2, { b: "c" }), ["a", 2, { b: "c" }]);
      assert.deepEqual(await emitForArgs(s, "leave", "no-such-room"), [], "an ack with no arguments");
      assert.deepEqual(await s.emitWithAck("echo-ack", { x: 1 }), { x: 1 });
      assert.equal(await s.emitWithAck("echo-ack", "ünïcödé ✓ \u2028 \"quoted\" \\"), "ünïcödé ✓ \u2028 \"quoted\" \\");

      // Many acks in flight at once each find their own callback.
      const many = Array.from({ length: 50 }, (_, i) => s.emitWithAck("echo-ack", i));
      assert.deepEqual(await Promise.all(many), Array.from({ length: 50 }, (_, i) => i));

      // Nothing acknowledges an event nobody listens to: the client's own timeout fires.
      await assert.rejects(s.timeout(200).emitWithAck("nobody-listens"), /operation has timed out/);
    });

    it("acknowledges what the server emits with an ack", async () => {
      const s = await connected(server.url, mode);
      const got = [];
      s.on("question", (...args) => {
        got.push(args.length);
        const cb = args.pop();
        cb(args[0] + args[1], "sum");
      });
      assert.deepEqual(await s.emitWithAck("ask", "question", 2, 3), { answer: [5, "sum"] });
      assert.deepEqual(got, [3], "the handler got the two arguments and the ack callback");
      // An ack with no arguments.
      s.on("quiet", (cb) => cb());
      assert.deepEqual(await s.emitWithAck("ask", "quiet"), { answer: [] });
    });

    it("carries binary nested in objects and arrays, both ways", async () => {
      const s = await connected(server.url, mode);
      const payload = {
        buf: Buffer.from([1, 2, 3]),
        list: [new Uint8Array([4, 5]), { deep: new Uint16Array([0x0102, 0x0304]).buffer }, "text"],
        empty: Buffer.alloc(0),
        big: Buffer.alloc(100_000, 7),
      };
      const top = new Int8Array([-1, 0, 1]);
      const check = (back, label) => {
        assert.deepEqual(bytes(back.buf), [1, 2, 3], label);
        assert.deepEqual(bytes(back.list[0]), [4, 5], label);
        assert.deepEqual(bytes(back.list[1].deep), [...new Uint8Array(new Uint16Array([0x0102, 0x0304]).buffer)], label);
        assert.equal(back.list[2], "text", label);
        assert.deepEqual(bytes(back.empty), [], label);
        assert.equal(back.big.byteLength, 100_000, label);
        assert.ok(bytes(back.big).every((b) => b === 7), label);
      };

      // Client to server and back in the ack.
      const [back, backTop] = await emitForArgs(s, "echo-ack", payload, top);
      check(back, "through the ack");
      assert.deepEqual(bytes(backTop), [255, 0, 1], "a top-level typed array");

      // Server to client in an event.
      const echoed = waitFor(s, "echo");
      s.emit("echo", payload, top);
      const [ev, evTop] = await echoed;
      check(ev, "through an event");
      assert.deepEqual(bytes(evTop), [255, 0, 1]);

      // Server to client with an ack, which the client answers with binary.
      s.on("bin-question", (data, cb) => cb({ first: data.list[0], more: [Buffer.from("ack")] }, new Uint8Array([9])));
      const { answer } = await s.emitWithAck("ask", "bin-question", payload);
      assert.deepEqual(bytes(answer[0].first), [4, 5]);
      assert.deepEqual(bytes(answer[0].more[0]), [...Buffer.from("ack")]);
      assert.deepEqual(bytes(answer[1]), [9]);

      // The most attachments one packet may carry (the reference's default limit, 10).
      const ten = Array.from({ length: 10 }, (_, i) => Buffer.from([i]));
      const tenBack = await s.emitWithAck("echo-ack", ten);
      assert.deepEqual(tenBack.map(bytes), ten.map(bytes));
    });

    it("runs per-packet middlewares", async () => {
      const s = await connected(server.url, mode);
      const events = record(s);
      assert.deepEqual(await emitForArgs(s, "mw-echo", 1), [1, "via middleware"], "a middleware may change the event");
      const refused = waitFor(s, "refused");
      s.emit("forbidden", () => assert.fail("a refused event is not handled"));
      assert.deepEqual(await refused, ["forbidden event"], "the refusal reaches the socket's error handlers");
      // The connection goes on.
      assert.equal(await s.emitWithAck("echo-ack", "after"), "after");
      assert.deepEqual(events, [["refused", "forbidden event"]]);
    });
  });
}
