// Clusters through Redis streams (`sockeye-redis` StreamsAdapterConfig and the Node
// `@socket.io/redis-streams-adapter` 0.3), with a real redis-server: the scenarios of
// suite.mjs, then connection state recovery across nodes (a client cut off from node A gets
// what it missed on node B), in every direction a mixed cluster has.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { clusterSuites } from "./suite.mjs";
import { ask, client, next, sleep, startNode, startRedis, startSockeye } from "./support.mjs";

clusterSuites("streams");

describe("streams adapter: connection state recovery across nodes", () => {
  let redis;
  const nodes = {};
  before(async () => {
    redis = await startRedis();
    nodes.sockeye1 = await startSockeye(redis.url, { adapter: "streams" });
    nodes.sockeye2 = await startSockeye(redis.url, { adapter: "streams" });
    nodes.node = await startNode(redis.url, { adapter: "streams" });
  });
  after(async () => {
    for (const n of Object.values(nodes)) await n.stop();
    await redis?.stop();
  });

  const cases = [
    ["sockeye1", "sockeye2"],
    ["sockeye1", "node"],
    ["node", "sockeye1"],
  ];
  for (const [from, to] of cases) {
    test(`a client cut off from ${from} recovers what it missed on ${to}`, async () => {
      const room = `rec-${from}-${to}`;
      const x = await client(nodes[from], { reconnection: false });
      const y = await client(nodes[to]);
      try {
        assert.equal(await ask(x, "join", room), "ok");
        const firstId = x.id;
        // One event first, so that the client has an offset.
        let got = next(x, "room-msg");
        y.emit("to-room", room, "m0");
        const [m0, offset] = await got;
        assert.equal(m0, "m0");
        assert.match(offset, /^\d+-\d+$/);
        // Cut off (the transport closes: a recoverable disconnection).
        const gone = next(x, "disconnect");
        x.io.engine.close();
        await gone;
        // What it misses meanwhile, sent from the node it will come back to.
        await sleep(200);
        y.emit("to-room", room, "m1");
        y.emit("to-room", room, "m2");
        await sleep(300);
        // Back, on the other node.
        const missed = [];
        x.on("room-msg", (msg) => missed.push(msg));
        x.io.uri = nodes[to].url;
        const back = next(x, "connect");
        x.connect();
        await back;
        assert.equal(x.recovered, true, "recovered");
        assert.equal(x.id, firstId, "same socket id");
        for (let i = 0; i < 30 && missed.length < 2; i++) await sleep(100);
        assert.deepEqual(missed, ["m1", "m2"]);
        // It is in its room again, on the new node.
        got = next(x, "room-msg");
        y.emit("to-room", room, "m3");
        assert.equal((await got)[0], "m3");
      } finally {
        x.disconnect();
        y.disconnect();
      }
    });
  }

  test("a session is restored once: a second attempt is a new session", async () => {
    const x = await client(nodes.sockeye1, { reconnection: false });
    const y = await client(nodes.sockeye2);
    try {
      assert.equal(await ask(x, "join", "once"), "ok");
      const got = next(x, "room-msg");
      y.emit("to-room", "once", "m0");
      const [, offset] = await got;
      const pid = x._pid;
      const gone = next(x, "disconnect");
      x.io.engine.close();
      await gone;
      await sleep(200);
      x.io.uri = nodes.sockeye2.url;
      const back = next(x, "connect");
      x.connect();
      await back;
      assert.equal(x.recovered, true);
      // The same pid and offset again (a replay) get a fresh session.
      const z = await client(nodes.sockeye1, { auth: { pid, offset } });
      assert.notEqual(z.id, x.id);
      assert.equal(z.recovered, false);
      z.disconnect();
    } finally {
      x.disconnect();
      y.disconnect();
    }
  });
});

describe("streams adapter: a broadcast while a restored socket's middlewares run", () => {
  let redis;
  const nodes = {};
  // The nodes run the middlewares for recovered sockets too, with one that broadcasts
  // `restoring` and then holds the socket for 1.5 s before it joins its rooms: the moment
  // between the session's XRANGE and its join, made long.
  before(async () => {
    redis = await startRedis();
    const args = ["--restore-hold", "1500"];
    nodes.a = await startSockeye(redis.url, { adapter: "streams", args });
    nodes.b = await startSockeye(redis.url, { adapter: "streams", args });
  });
  after(async () => {
    for (const n of Object.values(nodes)) await n.stop();
    await redis?.stop();
  });

  test("what either node broadcasts meanwhile reaches the socket once", async () => {
    const room = "held";
    const x = await client(nodes.a, { reconnection: false });
    const y = await client(nodes.a);
    const z = await client(nodes.b);
    try {
      assert.equal(await ask(x, "join", room), "ok");
      let got = next(x, "room-msg");
      y.emit("to-room", room, "m0");
      assert.equal((await got)[0], "m0");
      const firstId = x.id;
      const gone = next(x, "disconnect");
      x.io.engine.close();
      await gone;
      await sleep(200);
      y.emit("to-room", room, "m1");
      await sleep(300);
      // While x is held on node b: one broadcast from the other node (it reaches b through
      // the stream) and one from b itself.
      const restoring = next(y, "restoring");
      const received = [];
      x.on("room-msg", (msg) => received.push(msg));
      x.io.uri = nodes.b.url;
      const back = next(x, "connect");
      x.connect();
      const [held] = await restoring;
      assert.equal(held, firstId);
      y.emit("to-room", room, "m2");
      z.emit("to-room", room, "m3");
      await back;
      assert.equal(x.recovered, true, "recovered");
      // The last one, live.
      got = next(x, "room-msg");
      y.emit("to-room", room, "m4");
      await got;
      await sleep(300);
      assert.deepEqual([...received.slice(0, 3)].sort(), ["m1", "m2", "m3"]);
      assert.deepEqual(received.slice(3), ["m4"]);
    } finally {
      x.disconnect();
      y.disconnect();
      z.disconnect();
    }
  });
});
