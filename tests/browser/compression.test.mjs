// HTTP compression of polling responses in headless Chromium through the npm package (SOCKEYE_PKG,
// default pkg/), against sockeye-server and the reference socket.io 4.8 alike: the browser asks
// for `gzip, deflate, br, zstd`, both servers answer a long payload gzip-encoded (their default,
// `httpCompression` on from 1,024 bytes) and short ones as they are, and the client gets every
// message intact.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

import { SERVERS, launchChromium, openPage, packageDir } from "./support/servers.mjs";

const pkg = packageDir();
let browser;
before(async () => (browser = await launchChromium()));
after(() => browser?.close());

for (const [serverName, start] of Object.entries(SERVERS)) {
  describe(`against ${serverName}`, () => {
    let server;
    let context;
    before(async () => {
      server = await start(pkg);
      context = await browser.newContext();
    });
    after(async () => {
      await context?.close();
      await server?.stop();
    });

    test("long polling payloads come gzip-encoded and are read intact", async () => {
      const page = await openPage(context, server);
      try {
        /**
         * Each finished polling GET: its Accept-Encoding, its Content-Encoding, its body's size
         * on the wire and decoded (read once the page is done).
         */
        const gets = [];
        page.on("requestfinished", (req) => {
          if (req.method() !== "GET" || !req.url().includes("transport=polling")) return;
          gets.push(
            (async () => {
              const res = await req.response();
              return {
                acceptEncoding: await req.headerValue("accept-encoding"),
                contentEncoding: await res.headerValue("content-encoding"),
                wire: (await req.sizes()).responseBodySize,
                decoded: (await res.body()).length,
              };
            })(),
          );
        });
        const r = await page.evaluate(async ({ url }) => {
          const s = await h.connected(sockeye.io(url, { forceNew: true, transports: ["polling"] }));
          const long = "sockeye compresses long polling payloads ".repeat(500);
          const echoed = [];
          for (const message of [long, "short", { list: [long, long] }]) {
            const next = h.waitFor(s, "echo");
            s.emit("echo", message);
            echoed.push((await next)[0]);
          }
          s.disconnect();
          return { same: JSON.stringify(echoed) === JSON.stringify([long, "short", { list: [long, long] }]) };
        }, { url: server.url });
        assert.ok(r.same, "every message came back as sent");
        // The last GET's `requestfinished` may come just after.
        await page.waitForTimeout(200);
        const finished = await Promise.all(gets);
        assert.ok(finished.length >= 4, JSON.stringify(finished));
        assert.ok(finished.every((g) => /gzip/.test(g.acceptEncoding ?? "")), JSON.stringify(finished));
        const long = finished.filter((g) => g.decoded >= 1024);
        const short = finished.filter((g) => g.decoded < 1024);
        assert.equal(long.length, 2, JSON.stringify(finished));
        assert.ok(long.every((g) => g.contentEncoding === "gzip"), JSON.stringify(long));
        // 20 KB of a repeated sentence: a few hundred bytes on the wire.
        assert.ok(long.every((g) => g.wire < 1000), JSON.stringify(long));
        assert.ok(short.every((g) => g.contentEncoding === null), JSON.stringify(short));
      } finally {
        await page.close();
      }
    });
  });
}
