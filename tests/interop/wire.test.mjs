// What the client library hides, on the wire: the exact bytes of the handshake, the CONNECT
// answers, acks and binary attachments over both transports, the upgrade, the HTTP error answers.
// Each transcript is held against our server AND the reference (the official `socket.io`), with
// the random ids replaced by <sid> and <pid>.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";

import { SUITE_TIMEOUT } from "./support/client.mjs";
import { Polling, Ws } from "./support/raw.mjs";
import { startReference, startServer } from "./support/server.mjs";

const OPEN = '{"sid":"<sid>","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}';

/** The ids replaced: Engine.IO sids and socket ids are 20 characters of base64url. */
const ids = (text) =>
  text.replace(/"sid":"[\w-]{20}"/g, '"sid":"<sid>"').replace(/"pid":"[\w-]{20}"/g, '"pid":"<pid>"');

for (const name of ["sockeye", "reference"]) {
  describe(`on the wire, ${name}`, { timeout: SUITE_TIMEOUT }, () => {
    let target;
    let recovering;
    before(async () => {
      [target, recovering] =
        name === "sockeye"
          ? await Promise.all([startServer(), startServer(["--recovery"])])
          : await Promise.all([startReference(), startReference(["--recovery"])]);
    });
    after(async () => {
      await Promise.all([target?.stop(), recovering?.stop()]);
    });

    it("polling: the handshake, CONNECT, acks and binary", async () => {
      const res = await fetch(`${target.url}/socket.io/?EIO=4&transport=polling`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "text/plain; charset=UTF-8");
      const open = await res.text();
      assert.equal(ids(open), `0${OPEN}`, "exactly these five keys, in this order");
      const s = new Polling(target.url, JSON.parse(open.slice(1)).sid, open);

      const post = await fetch(s.url, { method: "POST", body: "40" });
      assert.deepEqual([post.status, post.headers.get("content-type"), await post.text()], [200, "text/html", "ok"]);
      assert.equal(ids((await s.get()).body), '40{"sid":"<sid>"}', "no pid without recovery");

      const exchanges = [
        ["40/nope,", '44/nope,{"message":"Invalid namespace"}'],
        ['421["echo-ack","x",{"y":[1,null]}]', '431["x",{"y":[1,null]}]'],
        ['422["echo-ack"]', "432[]"],
        // A binary event and its binary ack: placeholders, then `b` + base64 records.
        [
          '451-1["echo-ack",{"_placeholder":true,"num":0}]\x1ebAQID',
          '461-1[{"_placeholder":true,"num":0}]\x1ebAQID',
        ],
        [
          '452-3["echo-ack",{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]\x1ebAA==\x1eb/w==',
          '462-3[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]\x1eb/w==\x1ebAA==',
        ],
      ];
      for (const [sent, answer] of exchanges) {
        assert.equal((await s.post(sent)).body, "ok");
        assert.equal((await s.get()).body, answer, sent);
      }
      assert.equal((await s.post("1")).body, "ok");
    });

    it("websocket: the open frame, CONNECT, acks and binary frames", async () => {
      const ws = await Ws.open(target.url);
      assert.equal(ids(ws.openPacket), `0${OPEN.replace('["websocket"]', "[]")}`, "no upgrades from a WebSocket");
      assert.equal(ids(await ws.join()), '40{"sid":"<sid>"}');
      ws.send('421["echo-ack","x"]');
      assert.equal(await ws.next(), '431["x"]');
      ws.send('451-2["echo-ack",{"_placeholder":true,"num":0}]');
      ws.send(Buffer.from([1, 2, 3]));
      assert.equal(await ws.next(), '461-2[{"_placeholder":true,"num":0}]');
      assert.deepEqual([...(await ws.next())], [1, 2, 3], "a binary frame: the bytes, no type prefix");
      ws.close();
    });

    it("the upgrade from polling to websocket", async () => {
      const s = await Polling.open(target.url);
      assert.equal(ids(await s.join()), '40{"sid":"<sid>"}');
      const parked = s.get();
      const ws = new Ws(`${target.url.replace(/^http/, "ws")}/socket.io/?EIO=4&transport=websocket&sid=${s.sid}`);
      await new Promise((resolve) => ws.socket.once("open", resolve));
      ws.send("2probe");
      assert.equal(await ws.next(), "3probe");
      assert.deepEqual(await parked, { status: 200, body: "6" }, "the parked GET is released with a noop");
      ws.send("5");
      ws.send('421["echo-ack","upgraded"]');
      assert.equal(await ws.next(), '431["upgraded"]');
      const late = await s.get();
      assert.deepEqual([late.status, JSON.parse(late.body)], [400, { code: 3, message: "Bad request" }], "polling is over");
      ws.close();
    });

    it("CONNECT answers carry a pid with connection state recovery", async () => {
      const s = await Polling.open(recovering.url);
      assert.equal(ids(await s.join()), '40{"sid":"<sid>","pid":"<pid>"}');
      assert.equal((await s.post("1")).body, "ok");
    });

    it("errors are answered with the reference's codes", async () => {
      const cases = [
        ["GET", "?EIO=4", 400, { code: 0, message: "Transport unknown" }],
        ["GET", "?EIO=4&transport=flash", 400, { code: 0, message: "Transport unknown" }],
        ["GET", "?EIO=3&transport=polling", 400, { code: 5, message: "Unsupported protocol version" }],
        ["GET", "?transport=polling", 400, { code: 5, message: "Unsupported protocol version" }],
        ["GET", "?EIO=4&transport=polling&sid=nope", 400, { code: 1, message: "Session ID unknown" }],
        ["POST", "?EIO=4&transport=polling", 400, { code: 2, message: "Bad handshake method" }],
        ["GET", "?EIO=4&transport=websocket", 400, { code: 3, message: "Bad request" }],
      ];
      for (const [method, query, status, body] of cases) {
        const res = await fetch(`${target.url}/socket.io/${query}`, { method, body: method === "POST" ? "40" : undefined });
        assert.equal(res.status, status, `${method} ${query}`);
        assert.equal(res.headers.get("content-type"), "application/json", `${method} ${query}`);
        assert.deepEqual(await res.json(), body, `${method} ${query}`);
      }
    });
  });
}
