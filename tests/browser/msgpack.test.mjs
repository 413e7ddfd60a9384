// The MessagePack parser in headless Chromium through the built npm package (SOCKEYE_PKG, default
// pkg/): its `sockeye/msgpack` module against sockeye-server with `--parser msgpack` and against
// socket.io 4.8 with socket.io-msgpack-parser 3.0.2.
//
// - The whole client suite (client.test.mjs: emits and acks both ways, binary anywhere,
//   namespaces, rooms, reconnection, buffering, retries, recovery, each transport) passes over
//   MessagePack: run again here with SOCKEYE_PARSER=msgpack (tests/browser/support/servers.mjs).
// - What only this parser has: the wire (every Socket.IO packet one binary message, which the
//   reference's own decoder reads, over WebSocket and in polling payloads), the numbers the module
//   converts with the platform's `Number` and `JSON.stringify`, socket.io-client's way of choosing
//   the parser (`import * as parser from "sockeye/msgpack"; io(url, { parser })`), and a clear
//   `Error` for a parser the client cannot run.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";

import { SERVERS, launchChromium, openPage, packageDir, root } from "./support/servers.mjs";

const require = createRequire(import.meta.url);
const parser = require("socket.io-msgpack-parser");
const notepack = require("notepack.io");

const pkg = packageDir();
let browser;
before(async () => (browser = await launchChromium()));
after(() => browser?.close());

test("the client suite (client.test.mjs) passes over MessagePack against both servers", async () => {
  const suite = path.join(root, "tests/browser/client.test.mjs");
  // Without NODE_TEST_CONTEXT, which would make the child skip its files as a nested run.
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const { code, output } = await new Promise((resolve) =>
    execFile(
      process.execPath,
      ["--test", "--test-reporter=spec", suite],
      { cwd: root, env: { ...env, SOCKEYE_PARSER: "msgpack" }, maxBuffer: 1 << 26 },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, output: stdout + stderr }),
    ),
  );
  assert.equal(code, 0, output);
  // Every test ran and passed: the count of the JSON run (two servers).
  assert.match(output, /ℹ pass (\d+)/);
  const [, pass] = output.match(/ℹ pass (\d+)/);
  assert.ok(Number(pass) >= 20, output);
  assert.match(output, /ℹ fail 0/);
});

/** The packet socket.io-msgpack-parser's decoder reads from `bytes` (one binary message). */
function decodeWire(bytes) {
  const decoder = new parser.Decoder();
  let packet;
  decoder.on("decoded", (p) => (packet = p));
  decoder.add(bytes);
  return plain(packet);
}

/** Buffers as `{ bin: [...] }`, so that deepEqual compares bytes. */
const plain = (v) =>
  Buffer.isBuffer(v) || v instanceof Uint8Array
    ? { bin: [...v] }
    : Array.isArray(v)
      ? v.map(plain)
      : v && typeof v === "object"
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]))
        : v;

/** The expected form of `bytes` received as binary. */
const buffer = (...bytes) => ({ $type: "ArrayBuffer", bytes });

for (const [serverName, start] of Object.entries(SERVERS)) {
  describe(`sockeye/msgpack against ${serverName} with the MessagePack parser`, () => {
    let server;
    let context;
    before(async () => {
      server = await start(pkg, ["--parser", "msgpack"]);
      context = await browser.newContext();
    });
    after(async () => {
      await context?.close();
      await server?.stop();
    });

    /** Runs `fn({ url, arg })` in a fresh page whose `sockeye` is `sockeye/msgpack`; its result. */
    async function inPage(fn, arg, watch) {
      const page = await openPage(context, server, "msgpack");
      try {
        await watch?.(page);
        const result = await page.evaluate(fn, { url: server.url, arg }).catch((e) => {
          throw new Error(`${e.message}\n${page.problems.join("\n")}`);
        });
        const errors = page.problems.filter((p) => p.startsWith("pageerror"));
        assert.deepEqual(errors, [], "no uncaught errors in the page");
        return result;
      } finally {
        await page.close();
      }
    }

    test("over WebSocket, every Socket.IO packet is one binary message the reference's decoder reads", async () => {
      const sent = [];
      const received = [];
      const r = await inPage(
        async ({ url }) => {
          const s = await h.connected(sockeye.io(url + "chat", { forceNew: true, transports: ["websocket"] }));
          const echoed = h.waitFor(s, "echo");
          s.emit("echo", 1, "two", { bin: new Uint8Array([1, 2, 3]) }, [0.5, null]);
          const got = h.describe(await echoed);
          const acked = await s.emitWithAck("echo-ack", "x");
          s.disconnect();
          return { got, acked };
        },
        undefined,
        async (page) => {
          const cdp = await page.context().newCDPSession(page);
          await cdp.send("Network.enable");
          cdp.on("Network.webSocketFrameSent", (e) => sent.push(e.response));
          cdp.on("Network.webSocketFrameReceived", (e) => received.push(e.response));
        },
      );
      assert.deepEqual(r.got, [1, "two", { bin: buffer(1, 2, 3) }, [0.5, null]]);
      assert.equal(r.acked, "x");
      // Text frames are Engine.IO's own (ping, pong, the open packet); Socket.IO's are binary,
      // an Engine.IO message with no type byte (WebSocket frames carry binary as it is).
      const packets = (frames) => frames.filter((f) => f.opcode === 2).map((f) => decodeWire(Buffer.from(f.payloadData, "base64")));
      const text = (frames) => frames.filter((f) => f.opcode === 1).map((f) => f.payloadData[0]);
      assert.ok(text(sent).every((t) => t === "3" || t === "1"), `pongs and the close: ${JSON.stringify(text(sent))}`);
      assert.ok(text(received).every((t) => t === "0" || t === "2" || t === "3"), JSON.stringify(text(received)));
      const out = packets(sent);
      assert.deepEqual(out[0].type, 0, "CONNECT first");
      assert.equal(out[0].nsp, "/chat");
      assert.deepEqual(
        out.find((p) => p.type === 2 && p.data[0] === "echo"),
        { type: 2, nsp: "/chat", data: ["echo", 1, "two", { bin: { bin: [1, 2, 3] } }, [0.5, null]] },
        "binary as MessagePack bin, in place",
      );
      const ack = out.find((p) => p.type === 2 && p.data[0] === "echo-ack");
      assert.equal(typeof ack.id, "number", "an ack id");
      const back = packets(received);
      assert.equal(back[0].type, 0, "the server's CONNECT");
      assert.deepEqual(back.find((p) => p.type === 3), { type: 3, nsp: "/chat", id: ack.id, data: ["x"] });
    });

    test("in polling payloads, each packet is a `b` record of base64 MessagePack", async () => {
      const posted = [];
      const r = await inPage(
        async ({ url }) => {
          const s = await h.connected(sockeye.io(url, { forceNew: true, transports: ["polling"] }));
          const back = await s.emitWithAck("echo-ack", { n: 7, bytes: new Uint8Array([255, 0]) });
          s.disconnect();
          return h.describe(back);
        },
        undefined,
        (page) => page.on("request", (req) => req.method() === "POST" && posted.push(req.postData())),
      );
      assert.deepEqual(r, { n: 7, bytes: buffer(255, 0) });
      const records = posted.flatMap((body) => body.split("\x1e"));
      assert.ok(records.length >= 2, JSON.stringify(records));
      const packets = records.filter((rec) => rec[0] === "b").map((rec) => decodeWire(Buffer.from(rec.slice(1), "base64")));
      assert.ok(records.every((rec) => rec[0] === "b" || rec === "3" || rec === "1"), `only binary records, pongs and the close: ${JSON.stringify(records)}`);
      assert.deepEqual(
        packets.find((p) => p.type === 2).data,
        ["echo-ack", { n: 7, bytes: { bin: [255, 0] } }],
      );
    });

    test("numbers round-trip exactly (the module reads and writes them with the platform's)", async () => {
      const values = [
        0.5, -1.25e-7, 1e-7, 1e21, 1.5e300, 1.7976931348623157e308, 5e-324, 0.1 + 0.2, 123456789.12345679,
        2 ** 53 + 2, -(2 ** 63), 2 ** 64 - 2048, -0, 42, -1, 1e6, 0.000001, 1234.5e-10,
      ];
      const r = await inPage(async ({ url, arg }) => {
        const s = await h.connected(sockeye.io(url, { forceNew: true, transports: ["websocket"] }));
        const echoed = h.waitFor(s, "echo");
        s.emit("echo", ...arg);
        const got = await echoed;
        const acked = await new Promise((resolve) => s.emit("echo-ack", ...arg, (...a) => resolve(a)));
        s.disconnect();
        // Compared as text: exact, and -0 visible.
        const text = (list) => list.map((v) => (Object.is(v, -0) ? "-0" : String(v)));
        return { got: text(got), acked: text(acked), sent: text(arg) };
      }, values);
      // -0 leaves as 0: `JSON.stringify(-0)` is "0" (and notepack writes -0 as the integer 0).
      // The reference server echoes what notepack makes of them: it writes an integral number
      // from 2^64 on as a 64-bit integer that wraps (1e21 comes back as 3875820019684212700),
      // which socket.io-client would read the same.
      const echo = serverName === "sockeye-server" ? (v) => v : (v) => notepack.decode(notepack.encode(v));
      const expected = values.map((v) => String(echo(Object.is(v, -0) ? 0 : v)));
      assert.deepEqual(r.got, expected);
      assert.deepEqual(r.acked, expected);
    });

    test("socket.io-client's form: `io` from sockeye with `parser` from sockeye/msgpack", async () => {
      const r = await inPage(async ({ url }) => {
        const json = await import("/sockeye/index.js");
        const msgpack = sockeye;
        const out = {};
        // As with socket.io-client and socket.io-msgpack-parser.
        const s = await h.connected(json.io(url, { forceNew: true, parser: msgpack }));
        out.ack = await s.emitWithAck("echo-ack", new Uint8Array([7]));
        out.ack = h.describe(out.ack);
        out.made = { byMsgpack: s instanceof msgpack.Socket, byJson: s instanceof json.Socket };
        s.disconnect();
        // The default export (io, with `io.Manager`) names the build as well, and so does a
        // Manager made directly.
        const m = new json.Manager(url, { parser: msgpack.default });
        out.manager = m instanceof msgpack.Manager;
        const t = await h.connected(m.socket("/"));
        out.second = await t.emitWithAck("echo-ack", "second");
        m.close();
        // A build given its own parser is itself.
        out.self = msgpack.io(url, { forceNew: true, autoConnect: false, parser: msgpack }) instanceof msgpack.Socket;
        return out;
      });
      assert.deepEqual(r.ack, buffer(7));
      assert.deepEqual(r.made, { byMsgpack: true, byJson: false });
      assert.equal(r.manager, true);
      assert.equal(r.second, "second");
      assert.equal(r.self, true);
    });
  });
}

describe("a parser the client cannot run", () => {
  let server;
  let context;
  before(async () => {
    server = await SERVERS["sockeye-server"](pkg);
    context = await browser.newContext();
  });
  after(async () => {
    await context?.close();
    await server?.stop();
  });

  test("is an Error from io() and new Manager(), in either build; nothing or JSON's own is the default", async () => {
    const page = await openPage(context, server, "json");
    try {
      const r = await page.evaluate(async ({ url }) => {
        const json = sockeye;
        const msgpack = await import("/sockeye/msgpack/index.js");
        // socket.io-msgpack-parser's shape: an encoder and a decoder the wasm module cannot use.
        const foreign = { protocol: 5, Encoder: class {}, Decoder: class {}, PacketType: {} };
        const attempt = (f) => {
          try {
            f();
            return "no error";
          } catch (e) {
            return { isError: e instanceof Error, message: e.message };
          }
        };
        const out = {
          io: attempt(() => json.io(url, { forceNew: true, parser: foreign })),
          manager: attempt(() => new json.Manager(url, { parser: foreign })),
          msgpackIo: attempt(() => msgpack.io(url, { forceNew: true, parser: foreign })),
        };
        // Falsy (as socket.io-client reads it) and the JSON build itself: JSON.
        for (const parser of [undefined, null, false, json]) {
          const s = await h.connected(json.io(url, { forceNew: true, parser }));
          out[String(parser === json ? "json" : parser)] = await s.emitWithAck("echo-ack", 1);
          s.disconnect();
        }
        return out;
      }, { url: server.url });
      const error = { isError: true, message: "sockeye: unsupported parser" };
      assert.deepEqual(r.io, error);
      assert.deepEqual(r.manager, error);
      assert.deepEqual(r.msgpackIo, error);
      assert.deepEqual([r.undefined, r.null, r.false, r.json], [1, 1, 1, 1]);
    } finally {
      await page.close();
    }
  });
});
