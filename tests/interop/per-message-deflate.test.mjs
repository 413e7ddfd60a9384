// WebSocket compression, permessage-deflate (RFC 7692), with the server's `--per-message-deflate`:
// the official socket.io-client (whose `ws` offers it by default) round-trips messages above and
// below the threshold both ways, and a raw client sees on the wire what was negotiated and which
// frames came compressed (RSV1). A compression bomb is refused as an oversized message. The same
// tests hold the reference server (socket.io 4.8 with `perMessageDeflate: true`) to them.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import net from "node:net";
import { after, afterEach, before, describe, it } from "node:test";
import zlib from "node:zlib";

import { SUITE_TIMEOUT, WAIT, closeAll, connected, waitFor, within } from "./support/client.mjs";
import { startReference, startServer } from "./support/server.mjs";

// engine.io's `perMessageDeflate.threshold`: shorter messages go uncompressed.
const THRESHOLD = 1024;
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

afterEach(closeAll);

const SERVERS = { "sockeye-server": startServer, "socket.io 4.8 (Node.js)": startReference };

/** The `ws` WebSocket under a connected socket.io-client socket. */
const wsOf = (s) => s.io.engine.transport.ws;

/** A text of `n` bytes that compresses well, with nothing JSON escapes. */
const text = (n) => "user ada says hello; ".repeat(Math.ceil(n / 21)).slice(0, n);

/**
 * A WebSocket client over a bare TCP socket, to see the handshake's answer and every frame's
 * RSV1 bit: { headers, next(), send(opcode, payload, { rsv1 }), close() }.
 */
async function rawWs(base, offer) {
  const url = new URL(base);
  const sock = net.connect(Number(url.port), url.hostname);
  await new Promise((resolve, reject) => sock.once("connect", resolve).once("error", reject));
  const key = randomBytes(16).toString("base64");
  sock.write(
    `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: ${url.host}\r\n` +
      `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\n` +
      `Sec-WebSocket-Version: 13\r\n${offer ? `Sec-WebSocket-Extensions: ${offer}\r\n` : ""}\r\n`,
  );
  let buf = Buffer.alloc(0);
  const frames = [];
  const waiters = [];
  let headers = null;
  let ended = false;
  const pump = () => {
    if (!headers) {
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const lines = buf.subarray(0, end).toString().split("\r\n");
      headers = { status: lines[0] };
      for (const line of lines.slice(1)) {
        const i = line.indexOf(":");
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      buf = buf.subarray(end + 4);
    }
    for (;;) {
      if (buf.length < 2) break;
      let len = buf[1] & 0x7f;
      let at = 2;
      if (len === 126) [len, at] = [buf.readUInt16BE(2), 4];
      else if (len === 127) [len, at] = [Number(buf.readBigUInt64BE(2)), 10];
      if (buf.length < at + len) break;
      frames.push({ fin: !!(buf[0] & 0x80), rsv1: !!(buf[0] & 0x40), opcode: buf[0] & 0x0f, payload: buf.subarray(at, at + len) });
      buf = buf.subarray(at + len);
    }
    while (waiters.length && (frames.length || ended)) waiters.shift()();
  };
  sock.on("data", (d) => {
    buf = Buffer.concat([buf, d]);
    pump();
  });
  sock.on("close", () => {
    ended = true;
    pump();
  });
  sock.on("error", () => {});
  const next = () =>
    within(
      new Promise((resolve) => {
        const take = () => resolve(frames.shift() ?? null);
        if (frames.length || ended) take();
        else waiters.push(take);
      }),
      WAIT,
      "a frame",
    );
  // Waits for the answer's head.
  await within(
    new Promise((resolve) => {
      const check = () => (headers ? resolve() : setTimeout(check, 5));
      check();
    }),
    WAIT,
    "the handshake's answer",
  );
  return {
    headers,
    next,
    send(opcode, payload, { rsv1 = false } = {}) {
      // Masked with a zero key: the payload goes as it is.
      const head = [0x80 | (rsv1 ? 0x40 : 0) | opcode];
      if (payload.length < 126) head.push(0x80 | payload.length);
      else if (payload.length < 65536) head.push(0x80 | 126, payload.length >> 8, payload.length & 0xff);
      else {
        const b = Buffer.alloc(9);
        b[0] = 0x80 | 127;
        b.writeBigUInt64BE(BigInt(payload.length), 1);
        head.push(...b);
      }
      sock.write(Buffer.concat([Buffer.from(head), Buffer.alloc(4), payload]));
    },
    close: () => sock.destroy(),
  };
}

/** DEFLATE as RFC 7692 sends it: sync-flushed, the flush's `00 00 ff ff` left out. */
const deflate = (data) => {
  const out = zlib.deflateRawSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  assert.deepEqual(out.subarray(-4), TAIL);
  return out.subarray(0, -4);
};
const inflate = (data) => zlib.inflateRawSync(Buffer.concat([data, TAIL]), { finishFlush: zlib.constants.Z_SYNC_FLUSH });

for (const [name, start] of Object.entries(SERVERS)) {
  describe(name, () => {
    let server;
    let plain;
    before(async () => {
      [server, plain] = await Promise.all([start(["--per-message-deflate"]), start()]);
    });
    after(async () => {
      closeAll();
      await Promise.all([server?.stop(), plain?.stop()]);
    });

    describe(`permessage-deflate with socket.io-client, against ${name}`, { timeout: SUITE_TIMEOUT }, () => {
      for (const mode of ["websocket", "polling then upgrade"]) {
        it(`is negotiated over ${mode}, and messages above and below the threshold go both ways`, async () => {
          const s = await connected(server.url, mode);
          await within(
            new Promise((resolve) => (s.io.engine.transport.name === "websocket" ? resolve() : s.io.engine.once("upgrade", resolve))),
            WAIT,
            "the upgrade",
          );
          assert.equal(wsOf(s).extensions, "permessage-deflate");
          for (const n of [10, THRESHOLD - 20, THRESHOLD, 5_000, 300_000]) {
            const echoed = waitFor(s, "echo");
            s.emit("echo", text(n));
            assert.equal((await echoed)[0], text(n), `${n} bytes`);
          }
          // Binary attachments are frames of their own, each compressed or not by its size.
          const bin = Buffer.from(text(50_000));
          const small = randomBytes(100);
          const [a, b] = await within(new Promise((resolve) => s.emit("echo-ack", bin, small, (...args) => resolve(args))), WAIT, "the ack");
          assert.deepEqual(Buffer.from(a), bin);
          assert.deepEqual(Buffer.from(b), small);
          // Context takeover both ways: the same message again, many times, stays right.
          for (let i = 0; i < 20; i++) assert.equal(await s.emitWithAck("echo-ack", text(4_000)), text(4_000));
        });
      }

      it("is not negotiated with a client that does not offer it, nor by a server without the option", async () => {
        const declined = await connected(server.url, "websocket", { perMessageDeflate: false });
        assert.equal(wsOf(declined).extensions, "");
        assert.equal(await declined.emitWithAck("echo-ack", text(5_000)), text(5_000));
        const off = await connected(plain.url, "websocket");
        assert.equal(wsOf(off).extensions, "");
        assert.equal(await off.emitWithAck("echo-ack", text(5_000)), text(5_000));
      });
    });

    describe(`permessage-deflate on the wire, against ${name}`, { timeout: SUITE_TIMEOUT }, () => {
      it("answers the offer, and compresses exactly the messages from the threshold up", async () => {
        // Without context takeover from the server, each compressed message inflates alone.
        const ws = await rawWs(server.url, "permessage-deflate; client_max_window_bits; server_no_context_takeover");
        try {
          assert.match(ws.headers.status, / 101 /);
          assert.equal(ws.headers["sec-websocket-extensions"], "permessage-deflate; server_no_context_takeover");
          const open = await ws.next();
          assert.equal(open.rsv1, false, "the open packet is below the threshold");
          assert.match(open.payload.toString(), /^0\{/);
          ws.send(1, Buffer.from("40"));
          const connect = await ws.next();
          assert.equal(connect.rsv1, false);
          assert.match(connect.payload.toString(), /^40\{/);

          // A compressed event from the client, echoed compressed.
          const big = `42["echo","${text(4_000)}"]`;
          ws.send(1, deflate(big), { rsv1: true });
          const back = await ws.next();
          assert.equal(back.rsv1, true, "4 KB goes compressed");
          assert.ok(back.payload.length < 400, `${back.payload.length} bytes on the wire for 4 KB`);
          assert.equal(inflate(back.payload).toString(), big);

          // An uncompressed one below the threshold comes back uncompressed.
          ws.send(1, Buffer.from('42["echo","short"]'));
          const short = await ws.next();
          assert.equal(short.rsv1, false);
          assert.equal(short.payload.toString(), '42["echo","short"]');

          // Just below and at the threshold, counted on the Engine.IO packet as framed.
          const overhead = '42["echo",""]'.length;
          for (const [n, compressed] of [[THRESHOLD - 1, false], [THRESHOLD, true]]) {
            const packet = `42["echo","${text(n - overhead)}"]`;
            assert.equal(packet.length, n);
            ws.send(1, Buffer.from(packet));
            const frame = await ws.next();
            assert.equal(frame.rsv1, compressed, `${n} bytes`);
            assert.equal((compressed ? inflate(frame.payload) : frame.payload).toString(), packet);
          }
        } finally {
          ws.close();
        }
      });

      // The reference's `ws` applies the threshold only without the server's context takeover,
      // and compresses every message otherwise; sockeye-server applies it always.
      it("sends a message below the threshold as it is, with context takeover too", async () => {
        const ws = await rawWs(server.url, "permessage-deflate");
        try {
          assert.equal(ws.headers["sec-websocket-extensions"], "permessage-deflate");
          await ws.next();
          ws.send(1, Buffer.from("40"));
          await ws.next();
          ws.send(1, Buffer.from('42["echo","short"]'));
          const short = await ws.next();
          // (Compressed, it may refer to the earlier messages' window: not inflated alone here.)
          assert.equal(short.rsv1, name !== "sockeye-server");
          if (!short.rsv1) assert.equal(short.payload.toString(), '42["echo","short"]');
        } finally {
          ws.close();
        }
      });

      it("keeps the client's context across messages", async () => {
        const ws = await rawWs(server.url, "permessage-deflate; server_no_context_takeover");
        try {
          await ws.next();
          ws.send(1, Buffer.from("40"));
          await ws.next();
          // Two messages from one compressor: the second refers to the first.
          const z = zlib.createDeflateRaw();
          const flushed = (data) =>
            new Promise((resolve) => {
              const parts = [];
              const onData = (d) => parts.push(d);
              z.on("data", onData);
              z.write(data);
              z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
                z.off("data", onData);
                resolve(Buffer.concat(parts).subarray(0, -4));
              });
            });
          const packet = `42["echo","${randomBytes(1_500).toString("hex")}"]`;
          const first = await flushed(packet);
          const second = await flushed(packet);
          assert.ok(second.length < first.length / 4, `${second.length} < ${first.length} / 4`);
          for (const payload of [first, second]) {
            ws.send(1, payload, { rsv1: true });
            assert.equal(inflate((await ws.next()).payload).toString(), packet);
          }
          z.close();
        } finally {
          ws.close();
        }
      });

      it("compresses a broadcast, built once for all, for each receiver that negotiated it", async () => {
        const compressing = await connected(server.url, "websocket");
        const declining = await connected(server.url, "websocket", { perMessageDeflate: false });
        const sender = await connected(server.url, "websocket");
        const ws = await rawWs(server.url, "permessage-deflate; server_no_context_takeover");
        try {
          await ws.next();
          ws.send(1, Buffer.from("40"));
          await ws.next();
          ws.send(1, Buffer.from('420["join","r"]'));
          assert.match((await ws.next()).payload.toString(), /^430\[/);
          for (const s of [compressing, declining]) await s.emitWithAck("join", "r");
          const big = text(5_000);
          const bin = Buffer.from(text(3_000));
          const small = Buffer.from("tiny");
          const heard = [compressing, declining].map((s) => waitFor(s, "news"));
          assert.equal(await sender.emitWithAck("io-to-room", "r", "news", big, bin, small), true);
          for (const got of await Promise.all(heard)) {
            assert.equal(got[0], big);
            assert.deepEqual(Buffer.from(got[1]), bin);
            assert.deepEqual(Buffer.from(got[2]), small);
          }
          // The raw receiver: the event's text and the large attachment compressed, the small
          // attachment as it was built.
          const [head, first, second] = [await ws.next(), await ws.next(), await ws.next()];
          assert.deepEqual([head.rsv1, first.rsv1, second.rsv1], [true, true, false]);
          assert.match(inflate(head.payload).toString(), /^452-\["news","user ada/);
          assert.deepEqual(inflate(first.payload), bin);
          assert.deepEqual(second.payload, small);
        } finally {
          ws.close();
        }
      });

      it("refuses a compression bomb as an oversized message (1009), and goes on serving", async () => {
        const bystander = await connected(server.url, "websocket");
        const ws = await rawWs(server.url, "permessage-deflate");
        try {
          await ws.next();
          ws.send(1, Buffer.from("40"));
          await ws.next();
          // 50 MB of zeros in about 50 KB: far under the 1 MB bound on the wire, far over it inflated.
          const bomb = deflate(Buffer.alloc(50_000_000));
          assert.ok(bomb.length < 60_000, `${bomb.length} bytes`);
          ws.send(2, bomb, { rsv1: true });
          let frame;
          do frame = await ws.next();
          while (frame && frame.opcode !== 0x8);
          assert.ok(frame, "a close frame");
          assert.equal(frame.payload.readUInt16BE(0), 1009);
        } finally {
          ws.close();
        }
        assert.equal(await bystander.emitWithAck("echo-ack", "unharmed"), "unharmed");
      });

      it("keeps RSV1 a protocol error (1002) where it was not negotiated", async () => {
        const ws = await rawWs(plain.url, "permessage-deflate");
        try {
          assert.equal(ws.headers["sec-websocket-extensions"], undefined);
          await ws.next();
          ws.send(1, deflate("40"), { rsv1: true });
          const frame = await ws.next();
          assert.equal(frame.opcode, 0x8);
          assert.equal(frame.payload.readUInt16BE(0), 1002);
        } finally {
          ws.close();
        }
      });

      // A window smaller than 2^15 for the server's messages: zlib (the reference) can keep to
      // it, miniz_oxide (sockeye-server) cannot, so it declines that offer and takes the next.
      it("answers server_max_window_bits as its compressor allows, else takes the next offer", async () => {
        const small = name === "sockeye-server" ? null : "permessage-deflate; server_max_window_bits=10";
        const ws = await rawWs(
          server.url,
          "permessage-deflate; server_max_window_bits=10, permessage-deflate; client_no_context_takeover",
        );
        try {
          assert.equal(ws.headers["sec-websocket-extensions"], small ?? "permessage-deflate; client_no_context_takeover");
        } finally {
          ws.close();
        }
        const only = await rawWs(server.url, "permessage-deflate; server_max_window_bits=10");
        try {
          assert.match(only.headers.status, / 101 /);
          assert.equal(only.headers["sec-websocket-extensions"], small ?? undefined);
        } finally {
          only.close();
        }
      });
    });
  });
}
