// Disconnect reasons on both sides, reconnection after the server drops the transport, and
// connection state recovery, with the official socket.io-client.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";

import {
  MODES,
  SUITE_TIMEOUT,
  closeAll,
  connected,
  connectedSocket,
  manager,
  record,
  settled,
  waitFor,
  waitUntil,
} from "./support/client.mjs";
import { startServer } from "./support/server.mjs";

let server;
let recovering;
before(async () => {
  [server, recovering] = await Promise.all([startServer(), startServer(["--recovery"])]);
});
afterEach(closeAll);
after(async () => {
  closeAll();
  await Promise.all([server?.stop(), recovering?.stop()]);
});

/** A socket in the `watchers` room of `nsp`: it hears `gone` (id, reason) for each departure. */
async function watcher(url, mode, nsp = "/") {
  const w = await connected(url, mode, { nsp });
  await w.emitWithAck("join", "watchers");
  const gone = new Map();
  w.on("gone", (id, reason) => gone.set(id, reason));
  return {
    /** The server-side reason `id` left with, once it has. */
    reason: async (id) => {
      await waitUntil(w, "gone", () => gone.has(id));
      return gone.get(id);
    },
  };
}

for (const mode of Object.keys(MODES)) {
  describe(`disconnect over ${mode}`, { timeout: SUITE_TIMEOUT }, () => {
    it("server side: io server disconnect, no reconnection", async () => {
      const w = await watcher(server.url, mode);
      const s = await connected(server.url, mode);
      const id = s.id;
      const reason = waitFor(s, "disconnect");
      s.emit("disconnect-me");
      assert.equal((await reason)[0], "io server disconnect");
      assert.equal(s.active, false, "the client does not reconnect");
      assert.equal(await w.reason(id), "server namespace disconnect");
    });

    it("client side: io client disconnect", async () => {
      const w = await watcher(server.url, mode);
      const s = await connected(server.url, mode);
      const id = s.id;
      const reason = waitFor(s, "disconnect");
      s.disconnect();
      assert.equal((await reason)[0], "io client disconnect");
      assert.equal(await w.reason(id), "client namespace disconnect");
    });

    it("transport close after socket.conn.close(), then a reconnection", async () => {
      const w = await watcher(server.url, mode);
      const s = await connected(server.url, mode);
      const firstId = s.id;
      const firstEngine = s.io.engine.id;
      const reason = waitFor(s, "disconnect");
      const reconnected = waitFor(s, "connect");
      s.emit("drop-transport");
      const [why, details] = await reason;
      assert.equal(why, "transport close", JSON.stringify(details));
      assert.equal(s.active, true, "the client will reconnect");
      assert.equal(await w.reason(firstId), "forced close");

      await reconnected;
      await settled(s, mode);
      assert.notEqual(s.io.engine.id, firstEngine, "a new Engine.IO session");
      assert.notEqual(s.id, firstId, "without recovery, a new socket");
      assert.ok(!s.recovered);
      assert.equal(await s.emitWithAck("echo-ack", "back"), "back");
    });

    it("disconnect(true) disconnects every namespace, then closes the connection", async () => {
      const wRoot = await watcher(server.url, mode);
      const wChat = await watcher(server.url, mode, "/chat");
      const { socket: join } = manager(server.url, mode);
      const root = join("/");
      const chat = join("/chat");
      await Promise.all([root, chat].map((s) => connectedSocket(s, mode)));
      const [rootId, chatId] = [root.id, chat.id];
      const rootReason = waitFor(root, "disconnect");
      const chatReason = waitFor(chat, "disconnect");
      root.emit("close-me");
      // As the reference does: every namespace gets its DISCONNECT before the connection closes.
      assert.equal((await rootReason)[0], "io server disconnect");
      assert.equal((await chatReason)[0], "io server disconnect");
      assert.equal(chat.active, false);
      assert.equal(await wRoot.reason(rootId), "server namespace disconnect");
      assert.equal(await wChat.reason(chatId), "server namespace disconnect");
    });
  });

  describe(`connection state recovery over ${mode}`, { timeout: SUITE_TIMEOUT }, () => {
    it("replays what the client missed while cut off, and offsets only events without acks", async () => {
      const s = await connected(recovering.url, mode);
      const me = await s.emitWithAck("whoami");
      await s.emitWithAck("join", "kept-room");

      // An event without an ack carries one extra argument: its offset.
      const echoed = waitFor(s, "echo");
      s.emit("echo", "a", 1);
      const args = await echoed;
      assert.equal(args.length, 3, JSON.stringify(args));
      assert.deepEqual(args.slice(0, 2), ["a", 1]);
      assert.equal(typeof args[2], "string", "the offset");

      // An event with an ack id carries none: (data, cb) handlers keep working.
      const questionArgs = [];
      s.on("question", (...got) => {
        questionArgs.push(got.length);
        got.at(-1)("answered");
      });
      assert.deepEqual(await s.emitWithAck("ask", "question", 7), { answer: ["answered"] });
      assert.deepEqual(questionArgs, [2], "the argument and the callback, no offset");

      // The server drops the transport, then emits while the client is cut off.
      const missed = [];
      s.on("missed", (...got) => missed.push(got));
      const reason = waitFor(s, "disconnect");
      const reconnected = waitFor(s, "connect");
      s.emit("drop-transport");
      assert.equal((await reason)[0], "transport close");
      await reconnected;
      await settled(s, mode);
      assert.equal(s.recovered, true, "the client says it recovered");
      assert.equal(s.id, me.id, "the same socket id");
      const after = await s.emitWithAck("whoami");
      assert.equal(after.recovered, true, "the server says so too");
      assert.notEqual(after.engineId, me.engineId, "over a new Engine.IO session");
      assert.ok(after.rooms.includes("kept-room"), "rooms are kept");
      assert.deepEqual(after.data, { trail: ["first", "second"] }, "data is kept");

      // Replayed packets come right after the CONNECT answer, so before that ack: 1 and 2 (to
      // the socket's room), 3 (to everyone), each with its offset; never the volatile 0.
      assert.deepEqual(
        missed.map((m) => m[0]),
        [1, 2, 3],
      );
      for (const m of missed) {
        assert.equal(m.length, 2, JSON.stringify(m));
        assert.equal(typeof m[1], "string");
      }
    });

    it("does not recover after a deliberate disconnect", async () => {
      const s = await connected(recovering.url, mode);
      const firstId = s.id;
      // Get an offset, so that the next CONNECT could try a recovery.
      const echoed = waitFor(s, "echo");
      s.emit("echo");
      await echoed;
      s.disconnect();
      s.connect();
      await connectedSocket(s, mode);
      assert.equal(s.recovered, false);
      assert.notEqual(s.id, firstId);
    });
  });
}
