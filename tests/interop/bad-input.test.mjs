// Bad input over raw polling and raw WebSocket. Every case runs against our server AND the
// reference (the official `socket.io` package, in this process), with the same expectation: the
// table below is the reference's behaviour, checked here on every run. Then: the server keeps
// serving a client that was connected through all of it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { SUITE_TIMEOUT, WAIT, closeAll, connected, within } from "./support/client.mjs";
import { Polling, Ws } from "./support/raw.mjs";
import { startReference, startServer } from "./support/server.mjs";

// A valid event whose ack shows the connection is alive and in order.
const PROBE = '421["echo-ack","probe"]';
const PROBE_ACK = '431["probe"]';
const CONNECT_TIMEOUT = 300;

/**
 * name, the packets (strings are Engine.IO text packets, Buffers binary ones), whether the
 * reference closes the connection for them, and (only where it differs) whether ours does. Over
 * polling they travel in one POST.
 *
 * Where ours differs it is stricter, on packets no client sends: the reference's parser checks a
 * payload only when there is one (`42` is an event with no name, which nothing handles) and
 * accepts an ACK without an id (which matches no callback); its engine ignores an open packet
 * from the client. Ours refuses all three as malformed, as the protocol notes ask.
 */
const CASES = [
  // Engine.IO
  ["an empty packet", [""], true],
  ["an unknown packet type", ["9"], true],
  ["a letter for a packet type", ["x"], true],
  ["a ping from the client", ["2"], true],
  ["an open packet from the client", ["0"], false, true],
  ["an upgrade packet outside an upgrade", ["5"], false],
  ["a noop from the client", ["6"], false],
  ["a pong nobody asked for", ["3"], false],
  // Socket.IO
  ["a message without a Socket.IO packet", ["4"], true],
  ["an unknown Socket.IO packet type", ["49"], true],
  ["an EVENT without payload", ["42"], false, true],
  ["an EVENT with an object payload", ["42{}"], true],
  ["an EVENT with an empty array", ["42[]"], true],
  ["an EVENT named null", ["42[null]"], true],
  ["an EVENT with a reserved name", ['42["disconnect"]'], true],
  ["an EVENT with truncated JSON", ['42["x"'], true],
  ["an EVENT with trailing garbage", ['42["x"]x'], true],
  ["an EVENT named by a number", ["42[1]"], false],
  ["an EVENT on a namespace not joined", ['42/chat,["x"]'], true],
  ["an ACK with an object payload", ["430{}"], true],
  ["an ACK without an id", ["43[]"], false, true],
  ["an ACK nobody waits for", ['4399["x"]'], false],
  ["a DISCONNECT with a payload", ['41{"a":1}'], true],
  ["a CONNECT with a string payload", ['40"x"'], true],
  ["a CONNECT with an array payload", ["40[]"], true],
  ["a CONNECT to a namespace already joined", ["40"], true],
  ["a CONNECT to a namespace without its slash", ["40chat"], true],
  ["a CONNECT_ERROR from the client", ['44{"message":"x"}'], true],
  ["a text packet where an attachment is due", ['451-["x",{"_placeholder":true,"num":0}]', '42["y"]'], true],
  ["an attachment with no packet waiting for it", [Buffer.from([1, 2, 3])], true],
  ["more attachments than allowed", ['4511-["x"]'], true],
  ["an attachment count that is not a number", ['45a-["x"]'], true],
  ["a placeholder past the attachments", ['451-["x",{"_placeholder":true,"num":5}]', Buffer.from([1])], true],
];

/** What the connection did after the packets: closed, or alive (the probe answered). */
async function overPolling(target, packets) {
  const s = await Polling.open(target.url);
  assert.match(await s.join(), /^40\{"sid":"/);
  const body = packets.map((p) => (Buffer.isBuffer(p) ? `b${p.toString("base64")}` : p)).join("\x1e");
  const parked = s.get();
  const post = await s.post(body);
  await s.post(PROBE);
  let res = await parked;
  const replies = [];
  for (let i = 0; i < 5; i++) {
    // 400: the session was gone before this GET arrived.
    if (res.status !== 200) return { post: post.status, closed: true, replies };
    for (const packet of res.body.split("\x1e")) {
      if (packet === "1") return { post: post.status, closed: true, replies };
      if (packet === PROBE_ACK) {
        await s.post("1"); // a polling session left open holds the reference's close 30 s
        return { post: post.status, closed: false, replies };
      }
      replies.push(packet);
    }
    res = await s.get();
  }
  throw new Error(`neither closed nor answered: ${JSON.stringify(replies)}`);
}

async function overWebSocket(target, packets) {
  const ws = await Ws.open(target.url);
  assert.match(await ws.join(), /^40\{"sid":"/);
  for (const p of packets) ws.send(p);
  ws.send(PROBE);
  const replies = [];
  for (;;) {
    const frame = await ws.next();
    if (frame === Ws.CLOSED) return { closed: true, code: (await within(ws.closed, WAIT, "the close")).code, replies };
    // Our server says `1` before it closes a WebSocket; the reference just closes it.
    if (frame === "1") continue;
    if (frame === PROBE_ACK) {
      ws.close();
      return { closed: false, replies };
    }
    replies.push(frame);
  }
}

for (const name of ["sockeye", "reference"]) {
  describe(`bad input, ${name}`, { timeout: SUITE_TIMEOUT }, () => {
    let target;
    let bystander;
    before(async () => {
      target =
        name === "sockeye"
          ? await startServer(["--connect-timeout", String(CONNECT_TIMEOUT)])
          : await startReference(["--connect-timeout", String(CONNECT_TIMEOUT)]);
      // Connected through everything below, and checked at the end.
      bystander = await connected(target.url, "websocket");
    });
    after(async () => {
      closeAll();
      await target?.stop();
    });

    for (const [what, packets, reference, ours = reference] of CASES) {
      const closes = name === "sockeye" ? ours : reference;
      it(`${what}: ${closes ? "closes" : "is ignored"}`, async () => {
        assert.deepEqual(
          await overPolling(target, packets),
          { post: 200, closed: closes, replies: [] },
          "polling (POST answered ok, as the reference does)",
        );
        assert.deepEqual(
          await overWebSocket(target, packets),
          closes ? { closed: true, code: 1005, replies: [] } : { closed: false, replies: [] },
          "websocket",
        );
      });
    }

    it("a WebSocket text frame that is not UTF-8: closed with 1007", async () => {
      const ws = await Ws.open(target.url);
      ws.socket.send(Buffer.from([0x34, 0x32, 0xff, 0xfe]), { binary: false });
      assert.equal((await within(ws.closed, WAIT, "the close")).code, 1007);
    });

    it("a binary POST: 400, and the session is gone", async () => {
      const s = await Polling.open(target.url);
      const res = await s.post("4hi", { "Content-Type": "application/octet-stream" });
      assert.equal(res.status, 400);
      assert.deepEqual(await s.get(), { status: 400, body: '{"code":1,"message":"Session ID unknown"}' });
    });

    it("a body over maxHttpBufferSize: 413, and the session is gone (engine.io 6.6.13)", async () => {
      const s = await Polling.open(target.url);
      const res = await s.post(`42["${"x".repeat(1_000_000)}"]`);
      assert.equal(res.status, 413);
      assert.deepEqual(await s.get(), { status: 400, body: '{"code":1,"message":"Session ID unknown"}' });
    });

    it("two concurrent GETs: one is refused, the other closes, the session is gone", async () => {
      const s = await Polling.open(target.url);
      // Whichever arrives second is the overlap.
      const answers = await Promise.all([s.get(), s.get()]);
      answers.sort((a, b) => a.status - b.status);
      assert.deepEqual(answers, [
        { status: 200, body: "1" },
        { status: 400, body: "" },
      ]);
      assert.deepEqual(await s.get(), { status: 400, body: '{"code":1,"message":"Session ID unknown"}' });
    });

    it("an unknown sid: 400 code 1 on polling, a refused WebSocket", async () => {
      const unknown = { status: 400, body: '{"code":1,"message":"Session ID unknown"}' };
      const s = new Polling(target.url, "no-such-sid");
      assert.deepEqual(await s.get(), unknown);
      assert.deepEqual(await s.post("40"), unknown);
      const ws = new Ws(`${target.url.replace(/^http/, "ws")}/socket.io/?EIO=4&transport=websocket&sid=no-such-sid`);
      const status = await new Promise((resolve) => ws.socket.once("unexpected-response", (_req, res) => resolve(res.statusCode)));
      assert.equal(status, 400);
    });

    it("a connection that never sends CONNECT is closed after connectTimeout", async () => {
      const started = Date.now();
      const ws = await Ws.open(target.url);
      const s = await Polling.open(target.url);
      const parked = s.get();
      let frame;
      do frame = await ws.next();
      while (frame === "1"); // our server's close packet before the close frame
      assert.equal(frame, Ws.CLOSED);
      assert.deepEqual(await parked, { status: 200, body: "1" });
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= CONNECT_TIMEOUT - 50 && elapsed < CONNECT_TIMEOUT + 2_000, `closed after ${elapsed} ms`);
    });

    it("keeps serving a client connected all along", async () => {
      assert.equal(bystander.connected, true);
      assert.equal(await bystander.emitWithAck("echo-ack", "still here"), "still here");
    });
  });
}

for (const name of ["sockeye", "reference"]) {
  describe(`vanished clients, ${name}`, { timeout: SUITE_TIMEOUT }, () => {
    // Long enough that no session can time out before all 16 are counted, even on a busy
    // machine (200 ms each was not: the reference had freed 5 already).
    const PING_INTERVAL = 1000;
    const PING_TIMEOUT = 1000;
    let target;
    before(async () => {
      target =
        name === "sockeye"
          ? await startServer(["--ping-interval", String(PING_INTERVAL), "--ping-timeout", String(PING_TIMEOUT)])
          : await startReference(["--ping-interval", String(PING_INTERVAL), "--ping-timeout", String(PING_TIMEOUT)]);
    });
    after(async () => {
      closeAll();
      await target?.stop();
    });

    it("frees the sessions of clients that vanish without closing, and serves the others", async () => {
      const healthy = await connected(target.url, "websocket");
      const N = 5;
      // Polling clients that stop polling; WebSockets that stop answering pings; WebSockets whose
      // TCP connection is dropped without a close frame.
      const pollers = await Promise.all(Array.from({ length: N }, () => Polling.open(target.url)));
      await Promise.all(pollers.map((p) => p.join()));
      const silent = await Promise.all(Array.from({ length: N }, () => Ws.open(target.url)));
      const dropped = await Promise.all(Array.from({ length: N }, () => Ws.open(target.url)));
      await Promise.all([...silent, ...dropped].map((w) => w.join()));
      assert.equal((await target.stats()).clients, 1 + 3 * N);
      for (const w of dropped) w.close();

      // The silent WebSockets are closed by the server once their pong is overdue.
      await within(Promise.all(silent.map((w) => w.closed)), WAIT, "the silent WebSockets' close");
      // Nothing tells a polling client's absence but /stats: poll it.
      const deadline = Date.now() + 5_000;
      let clients;
      while ((clients = (await target.stats()).clients) !== 1 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(clients, 1, "only the healthy client is left");
      assert.equal(healthy.connected, true, "heartbeats kept it");
      assert.equal(await healthy.emitWithAck("echo-ack", "fine"), "fine");
    });
  });
}
