// Graceful shutdown of the `sockeye-server` binary on SIGTERM: it stops accepting at once, lets
// its handlers answer the acknowledgements clients wait for, closes its clients' connections so
// that they reconnect elsewhere, and exits.
import assert from "node:assert/strict";
import net from "node:net";
import { after, describe, it } from "node:test";

import { io } from "socket.io-client";

import { startSockeyeServer } from "../support/harness.mjs";

/** A connected official client on `transports`, with reconnection on (as users run it). */
async function client(url, transports) {
  const socket = io(url, { transports, reconnectionDelay: 100_000 });
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  return socket;
}

const refused = (port) =>
  new Promise((resolve) => {
    const c = net.connect(port, "127.0.0.1");
    c.once("connect", () => (c.destroy(), resolve(false)));
    c.once("error", (e) => resolve(e.code === "ECONNREFUSED"));
  });

describe("shutdown on SIGTERM", { timeout: 30_000 }, () => {
  it("closes every client's connection, refuses new ones, and exits", async () => {
    const server = await startSockeyeServer(["--shutdown-timeout", "5000"]);
    const clients = [await client(server.url, ["websocket"]), await client(server.url, ["polling"])];
    after(() => clients.forEach((s) => s.close()));
    for (const s of clients) {
      assert.deepEqual(await s.timeout(5000).emitWithAck("nick", "bye"), { ok: true, nick: "bye" });
    }
    const reasons = clients.map((s) => new Promise((resolve) => s.once("disconnect", resolve)));
    const started = Date.now();
    const code = server.kill("SIGTERM");
    // The reference's io.close(): the client sees its transport close, and reconnects. A polling
    // client between two GETs finds the port closed instead: a transport error, and it
    // reconnects all the same.
    const [ws, polling] = await Promise.all(reasons);
    assert.equal(ws, "transport close");
    assert.match(polling, /^transport (close|error)$/);
    assert.equal(await code, 0);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 5000, `exited after ${elapsed} ms`);
    assert.equal(await refused(server.port), true, "nothing listens any more");
    assert.equal(clients.every((s) => s.active), true, "the clients will reconnect");
    for (const s of clients) s.close();
    assert.doesNotMatch(server.log(), /panicked|ERROR/);
  });
  it("answers the acknowledgements its handlers still owe before it closes", async () => {
    const server = await startSockeyeServer(["--shutdown-timeout", "6000", "--test-hooks"]);
    const s = await client(server.url, ["websocket"]);
    after(() => s.close());
    const events = [];
    // The handler answers 1 s after the event, and the server is told to stop meanwhile.
    const answer = s
      .timeout(5000)
      .emitWithAck("test:slow-ack", 1000, "done")
      .then((value) => (events.push("ack"), value));
    const gone = new Promise((resolve) => s.once("disconnect", (reason) => (events.push("disconnect"), resolve(reason))));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    const code = server.kill("SIGTERM");
    // New connections are refused while the handler works.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await refused(server.port), true, "the listener closed at once");
    assert.equal(await answer, "done");
    assert.equal(await gone, "transport close");
    assert.deepEqual(events, ["ack", "disconnect"]);
    assert.equal(await code, 0);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 500 && elapsed < 6000, `exited after ${elapsed} ms`);
    s.close();
    assert.doesNotMatch(server.log(), /panicked|ERROR/);
  });
});
