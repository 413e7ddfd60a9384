// Rooms and broadcasts across several official socket.io-client connections, and volatile emits.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";

import { MODES, SUITE_TIMEOUT, closeAll, connected, record, waitUntil } from "./support/client.mjs";
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

for (const mode of Object.keys(MODES)) {
  describe(`rooms over ${mode}`, { timeout: SUITE_TIMEOUT }, () => {
    it("broadcasts to rooms, to all but a room, and to all but the sender", async () => {
      const [a, b, c] = await Promise.all([1, 2, 3].map(() => connected(server.url, mode)));
      const seen = new Map([a, b, c].map((s) => [s, record(s)]));
      assert.deepEqual(await a.emitWithAck("join", "blue"), ["blue", a.id].sort());
      assert.deepEqual(await b.emitWithAck("join", "blue"), ["blue", b.id].sort());

      // Each emit is acknowledged once the server has queued it for its receivers, and each
      // connection delivers in order: after the last one, everything has arrived.
      assert.equal(await a.emitWithAck("to-room", "blue", "t1", 1), true); // b
      assert.equal(await a.emitWithAck("io-to-room", "blue", "t2", { n: 2 }), true); // a, b
      assert.equal(await c.emitWithAck("except-room", "blue", "t3"), true); // c
      assert.equal(await b.emitWithAck("broadcast", "t4", [4]), true); // a, c
      assert.equal(await a.emitWithAck("io-to-room", c.id, "t5", "to c's own room"), true); // c
      await b.emitWithAck("leave", "blue");
      assert.equal(await a.emitWithAck("io-to-room", "blue", "t6"), true); // a
      assert.equal(await a.emitWithAck("except-room", "no-such-room", "end"), true); // all
      for (const [s, events] of seen) {
        await waitUntil(s, "end", () => events.at(-1)?.[0] === "end");
      }

      assert.deepEqual(seen.get(a), [["t2", { n: 2 }], ["t4", [4]], ["t6"], ["end"]]);
      assert.deepEqual(seen.get(b), [["t1", 1], ["t2", { n: 2 }], ["end"]]);
      assert.deepEqual(seen.get(c), [["t3"], ["t4", [4]], ["t5", "to c's own room"], ["end"]]);
    });

    it("keeps rooms per namespace", async () => {
      const root = await connected(server.url, mode);
      const chat = await connected(server.url, mode, { nsp: "/chat" });
      const rootEvents = record(root);
      const chatEvents = record(chat);
      await root.emitWithAck("join", "green");
      await chat.emitWithAck("join", "green");
      assert.equal(await chat.emitWithAck("io-to-room", "green", "chat-only"), true);
      assert.equal(await root.emitWithAck("io-to-room", "green", "root-only"), true);
      await waitUntil(chat, "chat-only", () => chatEvents.length === 1);
      await waitUntil(root, "root-only", () => rootEvents.length === 1);
      assert.deepEqual(chatEvents, [["chat-only"]]);
      assert.deepEqual(rootEvents, [["root-only"]]);
    });

    it("sends volatile events only when the transport can take them, and never later", async () => {
      const s = await connected(server.url, mode);
      const events = record(s);
      assert.equal(await s.emitWithAck("volatile", "v", 1), true);
      // The server emits the volatile event before its ack, so if it was sent it came first.
      assert.equal(await s.emitWithAck("echo-ack", "marker"), "marker");
      if (MODES[mode].expected === "websocket") {
        // A WebSocket can always take a frame.
        assert.deepEqual(events, [["v", 1]]);
      } else {
        // Polling takes it only while a GET is parked, which this test cannot arrange from the
        // client side; either way it is never queued for a later GET.
        assert.ok(events.length <= 1 && (events.length === 0 || events[0][0] === "v"), JSON.stringify(events));
      }
    });
  });
}
