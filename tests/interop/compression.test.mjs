// HTTP compression of polling responses (`http_compression`, the reference's `httpCompression`,
// both on by default from 1,024 bytes), against the official socket.io-client 4.8 and the
// reference server.
//
// socket.io-client's default polling transport in Node.js (XHR on xmlhttprequest-ssl) sends no
// `Accept-Encoding` (it is one of the headers that library refuses to set) and decodes nothing, so
// its polling is never compressed, under the reference or here. Its `Fetch` transport runs on
// Node's fetch, which asks for `gzip, deflate` and decodes, as a browser does: with it, long
// messages come compressed and intact. The coding chosen for each `Accept-Encoding`, and the
// threshold, are checked with raw requests against both servers side by side.
import assert from "node:assert/strict";
import http from "node:http";
import { after, afterEach, before, describe, it } from "node:test";
import zlib from "node:zlib";

import { Fetch } from "engine.io-client";

import { SUITE_TIMEOUT, WAIT, closeAll, connected, waitFor } from "./support/client.mjs";
import { startReference, startServer } from "./support/server.mjs";

let server;
let reference;
before(async () => {
  [server, reference] = await Promise.all([startServer(), startReference()]);
});
afterEach(closeAll);
after(async () => {
  closeAll();
  await Promise.all([server?.stop(), reference?.stop()]);
});

/**
 * A plain HTTP proxy to `target` that records, for each request, its method, its
 * `accept-encoding` and the response's `content-encoding` and size on the wire.
 */
async function recordingProxy(target) {
  const seen = [];
  const proxy = http.createServer((req, res) => {
    const url = new URL(req.url, target);
    const out = http.request(url, { method: req.method, headers: req.headers }, (answer) => {
      const entry = {
        method: req.method,
        acceptEncoding: req.headers["accept-encoding"],
        contentEncoding: answer.headers["content-encoding"],
        bytes: 0,
      };
      seen.push(entry);
      answer.on("data", (chunk) => (entry.bytes += chunk.length));
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
    out.on("error", () => res.destroy());
    req.pipe(out);
  });
  await new Promise((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${proxy.address().port}`,
    seen,
    close: () => {
      proxy.closeAllConnections();
      proxy.close();
    },
  };
}

/** A string of `n` characters, as a chat history or a JSON document would compress. */
function text(n) {
  return "sockeye compresses long polling payloads ".repeat(Math.ceil(n / 41)).slice(0, n);
}

describe("socket.io-client 4.8 over polling", { timeout: SUITE_TIMEOUT }, () => {
  it("in Node.js (XHR) asks for no coding, and gets a long message as it is", async () => {
    const proxy = await recordingProxy(server.url);
    try {
      // "polling" is XHR on xmlhttprequest-ssl in Node.js, the client's default.
      const s = await connected(proxy.url, "polling");
      const long = text(4000);
      const echoed = waitFor(s, "echo");
      s.emit("echo", long);
      assert.deepEqual(await echoed, [long]);
      const gets = proxy.seen.filter((r) => r.method === "GET");
      assert.ok(gets.length >= 2, JSON.stringify(proxy.seen));
      assert.ok(gets.every((r) => r.acceptEncoding === undefined), JSON.stringify(gets));
      assert.ok(gets.every((r) => r.contentEncoding === undefined), JSON.stringify(gets));
      assert.ok(gets.some((r) => r.bytes > 4000), "the long message came as it is");
    } finally {
      proxy.close();
    }
  });

  it("on fetch (as in a browser) gets long messages gzip-encoded and intact", async () => {
    const proxy = await recordingProxy(server.url);
    try {
      const s = await connected(proxy.url, "polling", { transports: [Fetch] });
      const long = text(20_000);
      for (const message of [long, { nested: [long, 1, true] }, "short"]) {
        const echoed = waitFor(s, "echo");
        s.emit("echo", message);
        assert.deepEqual(await echoed, [message]);
      }
      const gets = proxy.seen.filter((r) => r.method === "GET");
      assert.ok(gets.every((r) => /gzip/.test(r.acceptEncoding ?? "")), JSON.stringify(gets));
      const compressed = gets.filter((r) => r.contentEncoding === "gzip");
      assert.equal(compressed.length, 2, JSON.stringify(gets));
      assert.ok(compressed.every((r) => r.bytes < 1000), JSON.stringify(compressed));
      // The handshake, the CONNECT and "short" are under the threshold.
      assert.ok(gets.some((r) => r.contentEncoding === undefined && r.bytes > 0));
    } finally {
      proxy.close();
    }
  });
});

/** A raw GET or POST: { status, headers, body (a Buffer, as sent) }. */
function request(url, { method = "GET", headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, timeout: WAIT }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${url}: no answer within ${WAIT} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** A response's body, decoded as its `Content-Encoding` says. */
function decoded(res) {
  switch (res.headers["content-encoding"]) {
    case undefined:
      return res.body.toString();
    case "gzip":
      return zlib.gunzipSync(res.body).toString();
    case "deflate":
      return zlib.inflateSync(res.body).toString();
    default:
      throw new Error(`unexpected Content-Encoding ${res.headers["content-encoding"]}`);
  }
}

/** A polling session on `base`, joined to `/`: echo(n, acceptEncoding) answers its GET. */
async function session(base) {
  const open = await request(`${base}/socket.io/?EIO=4&transport=polling`);
  const sid = JSON.parse(open.body.toString().slice(1)).sid;
  const url = `${base}/socket.io/?EIO=4&transport=polling&sid=${sid}`;
  const post = (body) =>
    request(url, { method: "POST", headers: { "content-type": "text/plain;charset=UTF-8" }, body });
  await post("40");
  assert.match((await request(url)).body.toString(), /^40/);
  return {
    /** Has `echo` of an `n`-character string sent back, and GETs it with `acceptEncoding`. */
    async echo(n, acceptEncoding) {
      const packet = `42["echo","${text(n)}"]`;
      await post(packet);
      const headers = acceptEncoding === undefined ? {} : { "accept-encoding": acceptEncoding };
      const res = await request(url, { headers });
      assert.equal(res.status, 200);
      assert.equal(decoded(res), packet);
      return { encoding: res.headers["content-encoding"], length: packet.length };
    },
  };
}

describe("the coding of a polling response, as the reference picks it", { timeout: SUITE_TIMEOUT }, () => {
  it("follows Accept-Encoding as the reference does", async () => {
    const [ours, theirs] = await Promise.all([session(server.url), session(reference.url)]);
    const cases = [
      [undefined, undefined],
      ["gzip, deflate, br, zstd", "gzip"],
      ["deflate", "deflate"],
      ["deflate, gzip", "deflate"],
      ["gzip;q=0.5, deflate", "deflate"],
      ["gzip;q=0, *", "deflate"],
      ["*", "gzip"],
      ["br, identity", undefined],
      ["gzip;q=0, deflate;q=0", undefined],
    ];
    for (const [acceptEncoding, expected] of cases) {
      const got = (await ours.echo(3000, acceptEncoding)).encoding;
      const want = (await theirs.echo(3000, acceptEncoding)).encoding;
      assert.equal(want, expected, `the reference, for ${acceptEncoding}`);
      assert.equal(got, want, `Accept-Encoding: ${acceptEncoding}`);
    }
  });

  it("compresses from 1,024 bytes, as the reference does", async () => {
    const [ours, theirs] = await Promise.all([session(server.url), session(reference.url)]);
    // `42["echo",""]` is 13 bytes: 1,023 bytes, then 1,024.
    for (const [n, expected] of [
      [1010, undefined],
      [1011, "gzip"],
    ]) {
      const got = await ours.echo(n, "gzip");
      const want = await theirs.echo(n, "gzip");
      assert.equal(got.length, n + 13);
      assert.equal(want.encoding, expected, `the reference, ${got.length} bytes`);
      assert.equal(got.encoding, want.encoding, `${got.length} bytes`);
    }
  });
});
