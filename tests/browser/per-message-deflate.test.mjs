// WebSocket compression (permessage-deflate) between headless Chromium, through the built npm
// package (SOCKEYE_PKG, default pkg/), and each server with `--per-message-deflate` (sockeye-server,
// and socket.io 4.8 with `perMessageDeflate: true`): the browser offers the extension by itself,
// the server's answer is read from the DevTools protocol, and messages above and below the
// 1,024-byte threshold go both ways.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

import { SERVERS, launchChromium, openPage, packageDir } from "./support/servers.mjs";

const pkg = packageDir();
let browser;
before(async () => (browser = await launchChromium()));
after(() => browser?.close());

/** The `Sec-WebSocket-Extensions` answers of every WebSocket `fn` opens in a fresh page. */
async function run(server, context, fn) {
  const page = await openPage(context, server);
  try {
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    const answers = [];
    const offers = [];
    cdp.on("Network.webSocketWillSendHandshakeRequest", (e) => offers.push(header(e.request.headers)));
    cdp.on("Network.webSocketHandshakeResponseReceived", (e) => answers.push(header(e.response.headers)));
    const result = await page.evaluate(fn, { url: server.url }).catch((e) => {
      throw new Error(`${e.message}\n${page.problems.join("\n")}`);
    });
    assert.deepEqual(page.problems.filter((p) => p.startsWith("pageerror")), [], "no uncaught errors in the page");
    return { result, offers, answers };
  } finally {
    await page.close();
  }
}

/** `Sec-WebSocket-Extensions` among DevTools' headers (any case), or "". */
const header = (headers) =>
  Object.entries(headers).find(([name]) => name.toLowerCase() === "sec-websocket-extensions")?.[1] ?? "";

/** What the page sends and expects back: text and binary, under and over the threshold. */
async function echoes({ url }) {
  const { io } = sockeye;
  const s = await h.connected(io(url, { forceNew: true, transports: ["websocket"] }));
  const text = (n) => "user ada says hello; ".repeat(Math.ceil(n / 21)).slice(0, n);
  const out = [];
  for (const n of [10, 1_000, 1_024, 20_000, 200_000]) {
    const back = await s.emitWithAck("echo-ack", text(n));
    out.push(back === text(n) ? n : `${n}: ${String(back).length} bytes back`);
  }
  const bytes = new TextEncoder().encode(text(30_000));
  const back = new Uint8Array(await s.emitWithAck("echo-ack", bytes));
  out.push(back.length === bytes.length && back.every((b, i) => b === bytes[i]) ? "binary" : "binary differs");
  s.disconnect();
  return out;
}

for (const [name, start] of Object.entries(SERVERS)) describe(`permessage-deflate in Chromium, against ${name}`, () => {
  let on;
  let off;
  let context;
  before(async () => {
    [on, off] = await Promise.all([start(pkg, ["--per-message-deflate"]), start(pkg)]);
    context = await browser.newContext();
  });
  after(async () => {
    await context?.close();
    await Promise.all([on?.stop(), off?.stop()]);
  });

  test("is negotiated, and messages above and below the threshold round-trip both ways", async () => {
    const { result, offers, answers } = await run(on, context, echoes);
    assert.deepEqual(result, [10, 1_000, 1_024, 20_000, 200_000, "binary"]);
    assert.match(offers[0], /^permessage-deflate/, "Chromium offers it");
    assert.deepEqual(answers, ["permessage-deflate"]);
  });

  test("is not negotiated by a server without the option", async () => {
    const { result, answers } = await run(off, context, echoes);
    assert.deepEqual(result, [10, 1_000, 1_024, 20_000, 200_000, "binary"]);
    assert.deepEqual(answers, [""]);
  });
});
