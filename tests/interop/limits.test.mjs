// The message size limit (maxHttpBufferSize, 1,000,000 bytes by default) with the official
// socket.io-client, and at the HTTP and WebSocket level where the client hides the answer.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import WebSocket from "ws";

import { MODES, SUITE_TIMEOUT, closeAll, connected, waitFor } from "./support/client.mjs";
import { startServer } from "./support/server.mjs";

const LIMIT = 1_000_000;
// An event `["echo","<s>"]` travels as the Engine.IO packet `42["echo","<s>"]`: 13 bytes more than
// an ASCII string s.
const OVERHEAD = '42["echo",""]'.length;

let server;
before(async () => {
  server = await startServer();
});
afterEach(closeAll);
after(async () => {
  closeAll();
  await server?.stop();
});

/** Emits `echo` with an ASCII string of `length` bytes and resolves with the echoed length. */
async function echoLength(s, length) {
  const echoed = waitFor(s, "echo", 20_000);
  s.emit("echo", "x".repeat(length));
  const [back] = await echoed;
  return back.length;
}

for (const mode of Object.keys(MODES)) {
  describe(`size limit over ${mode}`, { timeout: SUITE_TIMEOUT }, () => {
    it("accepts a 999,000-byte message, and one of exactly the limit", async () => {
      const s = await connected(server.url, mode);
      assert.equal(await echoLength(s, 999_000), 999_000);
      assert.equal(await echoLength(s, LIMIT - OVERHEAD), LIMIT - OVERHEAD, "a packet of exactly 1,000,000 bytes");
    });

    it("refuses one byte over the limit, and goes on serving", async () => {
      const bystander = await connected(server.url, mode);
      const s = await connected(server.url, mode);
      const reason = waitFor(s, "disconnect", 20_000);
      const reconnected = waitFor(s, "connect", 20_000);
      s.emit("echo", "x".repeat(LIMIT - OVERHEAD + 1));
      const [why] = await reason;
      // WebSocket: the server closes it. Polling: the POST gets 413 and the session closes (engine.io
      // 6.6.13), so the client gives the transport up for the failed POST ("transport error") or
      // for the close packet its pending GET gets ("transport close"), whichever answer it reads
      // first: both servers send both at once.
      if (MODES[mode].transports.length === 1 && mode === "polling") {
        assert.ok(["transport error", "transport close"].includes(why), why);
      } else {
        assert.equal(why, "transport close");
      }
      assert.equal(await bystander.emitWithAck("echo-ack", "unharmed"), "unharmed");
      await reconnected;
      assert.equal(await s.emitWithAck("echo-ack", "back"), "back", "the refused client reconnects");
    });
  });
}

describe("size limit on the wire", { timeout: SUITE_TIMEOUT }, () => {
  /** An Engine.IO packet carrying a valid event, `bytes` long. */
  const packet = (bytes) => `42["echo","${"x".repeat(bytes - OVERHEAD)}"]`;

  it("polling: 413 one byte over, and the session is gone (engine.io 6.6.13)", async () => {
    const base = `${server.url}/socket.io/?EIO=4&transport=polling`;
    /** A polling session joined to `/`: its URL. */
    const joined = async () => {
      const sid = JSON.parse((await (await fetch(base)).text()).slice(1)).sid;
      const url = `${base}&sid=${sid}`;
      assert.equal(await (await fetch(url, { method: "POST", body: "40" })).text(), "ok");
      assert.match(await (await fetch(url)).text(), /^40\{"sid":"/);
      return url;
    };

    const url = await joined();
    const over = await fetch(url, { method: "POST", body: packet(LIMIT + 1) });
    assert.equal(over.status, 413);
    await over.arrayBuffer();
    const after = await fetch(url);
    assert.equal(after.status, 400);
    assert.equal(await after.text(), '{"code":1,"message":"Session ID unknown"}');

    const other = await joined();
    const exact = await fetch(other, { method: "POST", body: packet(LIMIT) });
    assert.equal(exact.status, 200);
    assert.equal(await exact.text(), "ok");
    assert.equal(await (await fetch(other)).text(), packet(LIMIT), "exactly the limit is accepted");
  });

  it("websocket: a clean close (1009) one byte over", async () => {
    const ws = new WebSocket(`${server.url.replace("http", "ws")}/socket.io/?EIO=4&transport=websocket`);
    const [open] = await waitFor(ws, "message");
    assert.match(String(open), /^0\{/);
    ws.send("40");
    assert.match(String((await waitFor(ws, "message"))[0]), /^40\{"sid":"/);
    ws.send(packet(LIMIT));
    assert.equal(String((await waitFor(ws, "message"))[0]), packet(LIMIT));
    ws.send(packet(LIMIT + 1));
    const [code] = await waitFor(ws, "close");
    assert.equal(code, 1009, "Message Too Big, as the reference's ws closes it");
  });
});
