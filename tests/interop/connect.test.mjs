// Connecting with the official socket.io-client: auth, middlewares, connect_error with data,
// unknown namespaces, several namespaces over one connection.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";

import { MODES, SUITE_TIMEOUT, closeAll, connected, connectedSocket, manager, socket, waitFor } from "./support/client.mjs";
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
  describe(`connect over ${mode}`, { timeout: SUITE_TIMEOUT }, () => {
    it("connects with auth, through both middlewares in order", async () => {
      const auth = { token: "abc", n: 1, nested: { ok: true, list: [1, "two"] } };
      const s = await connected(server.url, mode, { auth });
      const me = await s.emitWithAck("whoami");
      assert.equal(me.id, s.id, "the server's socket id is the client's");
      assert.equal(me.nsp, "/");
      assert.deepEqual(me.auth, auth, "the CONNECT payload is the handshake's auth");
      assert.equal(me.engineId, s.io.engine.id, "the server's conn.id is the client's engine id");
      assert.equal(s.io.engine.transport.name, MODES[mode].expected);
      assert.equal(me.transport, MODES[mode].expected, "the server sees the same transport");
      assert.deepEqual(me.data, { trail: ["first", "second"] }, "both middlewares ran, in order");
      assert.deepEqual(me.rooms, [s.id], "a socket starts in the room of its own id");
      assert.equal(me.recovered, false);
      assert.ok(!s.recovered, "nothing to recover on a first connection");
    });

    it("gets connect_error with the middleware's message and data, and does not retry", async () => {
      const s = socket(server.url, mode, { auth: { reject: "go away" } });
      const [err] = await waitFor(s, "connect_error");
      assert.ok(err instanceof Error);
      assert.equal(err.message, "refused by middleware");
      assert.deepEqual(err.data, { code: 4001, reason: "go away" });
      assert.equal(s.connected, false);
      assert.equal(s.active, false, "a refusal by a middleware is final");
    });

    it("gets connect_error from a namespace's own middleware, and joins with the right auth", async () => {
      const refused = socket(server.url, mode, { nsp: "/admin" });
      const [err] = await waitFor(refused, "connect_error");
      assert.equal(err.message, "admins only");
      assert.equal(err.data, undefined, "no data was given");

      const admin = await connected(server.url, mode, { nsp: "/admin", auth: { admin: true } });
      const me = await admin.emitWithAck("whoami");
      assert.equal(me.nsp, "/admin");
      assert.equal(me.data, null, "the middlewares of / do not run for /admin");
    });

    it("gets connect_error for an unknown namespace", async () => {
      const s = socket(server.url, mode, { nsp: "/nope" });
      const [err] = await waitFor(s, "connect_error");
      assert.equal(err.message, "Invalid namespace");
      assert.equal(s.active, false);
    });

    it("multiplexes namespaces over one connection", async () => {
      const { manager: m, socket: join } = manager(server.url, mode);
      const root = join("/", { auth: { who: "root" } });
      const chat = join("/chat");
      const admin = join("/admin", { auth: { admin: true } });
      // (A Manager keeps one socket per namespace: the refusal needs a namespace of its own.)
      const refused = join("/nope");
      const refusal = waitFor(refused, "connect_error");
      await Promise.all([root, chat, admin].map((s) => connectedSocket(s, mode)));
      assert.equal((await refusal)[0].message, "Invalid namespace");

      const seen = await Promise.all([root, chat, admin].map((s) => s.emitWithAck("whoami")));
      assert.deepEqual(
        seen.map((me) => me.nsp),
        ["/", "/chat", "/admin"],
      );
      for (const me of seen) {
        assert.equal(me.engineId, m.engine.id, `${me.nsp} is on the one engine connection`);
      }
      assert.equal(new Set(seen.map((me) => me.id)).size, 3, "one socket id per namespace");
      assert.deepEqual(seen[0].auth, { who: "root" });
      assert.deepEqual(seen[1].auth, {}, "no auth is an empty object");

      // Leaving one namespace leaves the others and the connection as they were.
      chat.disconnect();
      assert.deepEqual(await root.emitWithAck("echo-ack", "still here"), "still here");
      assert.equal(m.engine.id, seen[0].engineId);
    });
  });
}
