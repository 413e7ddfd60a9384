// The cluster scenarios every adapter runs (pubsub.test.mjs, sharded.test.mjs,
// streams.test.mjs): two Sockeye nodes, and a mixed cluster of a Sockeye node and a Node
// socket.io 4.8 node with the matching Node adapter, clients on both; then Redis faults.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "redis";
import { Emitter } from "@socket.io/redis-emitter";
import {
  ask,
  client,
  comes,
  eventually,
  freePort,
  next as nextArgs,
  rustEmit,
  sleep,
  startNode,
  startRedis,
  startSockeye,
} from "./support.mjs";

/** How many nodes Redis counts for `adapter` (what each adapter's serverCount() asks). */
export async function nodeCount(redisClient, adapter) {
  if (adapter === "pubsub") {
    return (await redisClient.pubSubNumSub("socket.io-request#/#"))["socket.io-request#/#"];
  }
  const [, n] = await redisClient.sendCommand(["PUBSUB", adapter === "sharded" ? "SHARDNUMSUB" : "NUMSUB", "socket.io#/#"]);
  return Number(n);
}

/** Sends junk where `adapter` listens. */
async function sendJunk(redisClient, adapter, payload) {
  if (adapter === "pubsub") {
    for (const channel of ["socket.io#/#", "socket.io#/#r1#", "socket.io-request#/#", "socket.io-response#/#"]) {
      await redisClient.publish(channel, payload);
    }
  } else if (adapter === "sharded") {
    for (const channel of ["socket.io#/#", "socket.io#/#r1#"]) {
      await redisClient.sendCommand(["SPUBLISH", channel, payload]);
    }
  } else {
    await redisClient.publish("socket.io#/#", payload);
    await redisClient.sendCommand(["XADD", "socket.io", "*", "uid", "junk", "nsp", "/", "type", "3", "data", payload]);
  }
}

export function clusterSuites(adapter) {
  const start = (node) => (url) => node(url, { adapter });
  // With the streams adapter, recovery is on: events end with their offset (a stream entry id),
  // which the checks below leave out.
  const next = (socket, event, ms) =>
    nextArgs(socket, event, ms).then((args) =>
      typeof args.at(-1) === "string" && /^\d+-\d+$/.test(args.at(-1)) ? args.slice(0, -1) : args,
    );
  // The sharded adapter subscribes to a room's channel when the room appears, after the join's
  // ack: wait until every member node listens.
  // Resolves once `payload` sent by `from` to room `r` reaches `to` (the event may be emitted
  // several times meanwhile).
  const nextWith = (socket, event, payload, ms = 5000) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${event} ${payload} within ${ms} ms`)), ms);
      const on = (arg) => {
        if (arg !== payload) return;
        clearTimeout(timer);
        socket.off(event, on);
        resolve();
      };
      socket.on(event, on);
    });
  const crosses = async (from, to, payload, ms = 10_000) => {
    const got = nextWith(to, "room-msg", payload, ms);
    let done = false;
    got.then(() => (done = true), () => {});
    const until = Date.now() + ms;
    while (!done && Date.now() < until) {
      from.emit("to-room", "r", payload);
      await sleep(300);
    }
    await got;
  };
  const roomReady = async (redisClient, room, nodes) => {
    if (adapter !== "sharded") return;
    await eventually(async () => {
      const [, n] = await redisClient.sendCommand(["PUBSUB", "SHARDNUMSUB", `socket.io#/#${room}#`]);
      return Number(n) === nodes;
    }, 5000, `${nodes} nodes listening to ${room}`);
  };
  // Junk on the channels is sent to the Sockeye-only cluster: the Node reference adapter is not
  // asked to survive it (in a trial run its node stopped taking part in the cluster afterwards).
  const clusters = [
    { name: "two Sockeye nodes", second: start(startSockeye), other: "sockeye", junk: true },
    { name: "a Sockeye node and a Node node", second: start(startNode), other: "node", junk: false },
  ];

  for (const { name, second, other, junk } of clusters) {
    describe(`${adapter} adapter: ${name}`, () => {
      let redis, a, b, ca, cb, publisher;
      const sockets = [];
      const track = (s) => (sockets.push(s), s);

      before(async () => {
        redis = await startRedis();
        a = await startSockeye(redis.url, { adapter });
        b = await second(redis.url);
        publisher = createClient({ url: redis.url });
        await publisher.connect();
        // Both nodes subscribed: the request channel counts two subscribers.
        await eventually(async () => (await nodeCount(publisher, adapter)) === 2);
        ca = track(await client(a));
        cb = track(await client(b));
        for (const s of [ca, cb]) s.on("question", (cb) => cb(`answer from ${s.id}`));
      });

      after(async () => {
        for (const s of sockets) s.disconnect();
        await publisher?.quit();
        await a?.stop();
        await b?.stop();
        await redis?.stop();
      });

      test("room broadcasts cross nodes both ways, binary included", async () => {
        assert.equal(await ask(ca, "join", "r1"), "ok");
        assert.equal(await ask(cb, "join", "r1"), "ok");
        await roomReady(publisher, "r1", 2);
        let got = Promise.all([next(ca, "room-msg"), next(cb, "room-msg")]);
        ca.emit("to-room", "r1", { from: "a", n: 1.5 });
        assert.deepEqual(await got, [[{ from: "a", n: 1.5 }], [{ from: "a", n: 1.5 }]]);
        got = Promise.all([next(ca, "room-msg"), next(cb, "room-msg")]);
        cb.emit("to-room", "r1", ["from b", 2, null, true]);
        assert.deepEqual(await got, [[["from b", 2, null, true]], [["from b", 2, null, true]]]);
        got = Promise.all([next(ca, "room-msg"), next(cb, "room-msg")]);
        cb.emit("to-room", "r1", Buffer.from([1, 2, 3, 255]));
        for (const [bin] of await got) assert.deepEqual([...new Uint8Array(bin)], [1, 2, 3, 255]);
        // A room with no member on a node sends nothing there.
        assert.equal(await ask(cb, "join", "only-b"), "ok");
        const stray = comes(ca, "room-msg", 500);
        cb.emit("to-room", "only-b", "x");
        assert.deepEqual(await next(cb, "room-msg"), ["x"]);
        assert.equal(await stray, false);
      });

      test("fetchSockets and allRooms see both nodes", async () => {
        assert.equal(await ask(ca, "count"), 2);
        assert.equal(await ask(cb, "count"), 2);
        for (const c of [ca, cb]) {
          const rooms = await ask(c, "all-rooms");
          for (const r of ["r1", "only-b", ca.id, cb.id]) assert.ok(rooms.includes(r), `${r} in ${rooms}`);
        }
      });

      test("remote join and leave", async () => {
        // ca makes cb (on the other node) join r2, then r2 reaches it.
        assert.equal(await ask(ca, "remote-join", "r2", cb.id), "ok");
        await eventually(async () => (await ask(ca, "all-rooms")).includes("r2"), 5000, "r2 exists");
        await roomReady(publisher, "r2", 1);
        let got = next(cb, "room-msg");
        ca.emit("to-room", "r2", "in r2");
        assert.deepEqual(await got, ["in r2"]);
        // And the other way: cb makes ca join r3.
        assert.equal(await ask(cb, "remote-join", "r3", ca.id), "ok");
        await eventually(async () => (await ask(cb, "all-rooms")).includes("r3"), 5000, "r3 exists");
        await roomReady(publisher, "r3", 1);
        got = next(ca, "room-msg");
        cb.emit("to-room", "r3", "in r3");
        assert.deepEqual(await got, ["in r3"]);
        assert.equal(await ask(ca, "remote-leave", "r2", cb.id), "ok");
        await eventually(async () => !(await ask(ca, "all-rooms")).includes("r2"), 5000, "r2 gone");
      });

      test("serverSideEmit both ways reaches the other node only", async () => {
        let other = next(cb, "node-hello");
        let self = comes(ca, "node-hello", 700);
        ca.emit("server-side", { hi: "from a" });
        assert.deepEqual(await other, [{ hi: "from a" }]);
        assert.equal(await self, false);
        other = next(ca, "node-hello");
        self = comes(cb, "node-hello", 700);
        cb.emit("server-side", { hi: "from b" });
        assert.deepEqual(await other, [{ hi: "from b" }]);
        assert.equal(await self, false);
      });

      test("serverSideEmit with an ack collects one answer per other node", async () => {
        assert.deepEqual(await ask(ca, "ping-nodes"), [`pong from ${other}`]);
        assert.deepEqual(await ask(cb, "ping-nodes"), ["pong from sockeye"]);
      });

      test("a broadcast with acks collects the answers of clients on both nodes", async () => {
        for (const c of [ca, cb]) {
          const answers = await ask(c, "ask-all");
          assert.deepEqual([...answers].sort(), [`answer from ${ca.id}`, `answer from ${cb.id}`].sort());
        }
      });

      // The emitters speak the pub/sub adapter's format only (as the Node emitter).
      test("the Rust and the Node emitters reach clients on both nodes", { skip: adapter !== "pubsub" && "pub/sub only" }, async () => {
        let got = Promise.all([next(ca, "news"), next(cb, "news")]);
        rustEmit(redis.url, "--to", "r1", "emit", "news", '{"by":"rust","list":[1,2.5,"x"]}');
        assert.deepEqual(await got, [[{ by: "rust", list: [1, 2.5, "x"] }], [{ by: "rust", list: [1, 2.5, "x"] }]]);
        const emitter = new Emitter(publisher);
        got = Promise.all([next(ca, "news"), next(cb, "news")]);
        emitter.to("r1").emit("news", { by: "node" }, Buffer.from([9]));
        const [[na, ba], [nb, bb]] = await got;
        assert.deepEqual([na, nb], [{ by: "node" }, { by: "node" }]);
        assert.deepEqual([[...new Uint8Array(ba)], [...new Uint8Array(bb)]], [[9], [9]]);
        // socketsJoin from both emitters, then a broadcast to the new room.
        rustEmit(redis.url, "--to", ca.id, "join", "from-rust");
        emitter.in(cb.id).socketsJoin("from-node");
        await eventually(async () => {
          const rooms = await ask(ca, "all-rooms");
          return rooms.includes("from-rust") && rooms.includes("from-node");
        }, 5000, "emitter joins");
        got = Promise.all([next(ca, "news"), next(cb, "news")]);
        emitter.to(["from-rust", "from-node"]).emit("news", "joined");
        assert.deepEqual(await got, [["joined"], ["joined"]]);
        // serverSideEmit from both emitters reaches both nodes.
        got = Promise.all([next(ca, "node-hello"), next(cb, "node-hello")]);
        rustEmit(redis.url, "server-side", "hello", '"rust emitter"');
        assert.deepEqual(await got, [["rust emitter"], ["rust emitter"]]);
        got = Promise.all([next(ca, "node-hello"), next(cb, "node-hello")]);
        emitter.serverSideEmit("hello", "node emitter");
        assert.deepEqual(await got, [["node emitter"], ["node emitter"]]);
      });

      test("malformed messages on the channels are ignored", { skip: !junk && "Sockeye nodes only" }, async () => {
        const junk = [
          Buffer.from([0xc1]),
          Buffer.from([0x93, 0xa1]),
          Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff]),
          Buffer.from("{not json"),
          Buffer.from('{"type":5,"requestId":"x"}'),
          Buffer.from('{"type":"nope"}'),
          Buffer.from([0x93, 0xa3, 0x61, 0x62, 0x63, 0x01, 0x02]),
          Buffer.alloc(0),
        ];
        for (const payload of junk) await sendJunk(publisher, adapter, payload);
        // Deeply nested msgpack (a stack-depth attack).
        await sendJunk(publisher, adapter, Buffer.alloc(100_000, 0x91));
        // Both nodes still work.
        const got = Promise.all([next(ca, "room-msg"), next(cb, "room-msg")]);
        cb.emit("to-room", "r1", "still alive");
        assert.deepEqual(await got, [["still alive"], ["still alive"]]);
        assert.match(a.log(), /malformed/);
        assert.match(b.log(), /malformed/);
        // Requests and their answers still cross (the kick test below needs the channels too).
        assert.equal(await ask(ca, "count"), 2);
      });

      test("kick disconnects a room's sockets on both nodes", async () => {
        const c1 = track(await client(a));
        const c2 = track(await client(b));
        assert.equal(await ask(c1, "join", "kick-me"), "ok");
        assert.equal(await ask(c2, "join", "kick-me"), "ok");
        const gone = Promise.all([next(c1, "disconnect"), next(c2, "disconnect")]);
        ca.emit("kick", "kick-me");
        assert.deepEqual((await gone).map(([reason]) => reason), ["io server disconnect", "io server disconnect"]);
        assert.ok(ca.connected && cb.connected);
      });
    });
  }

  describe(`${adapter} adapter: Redis faults`, () => {
    test("Redis down at start: local clients are served, the cluster forms when Redis comes", async () => {
      const port = await freePort();
      const url = `redis://127.0.0.1:${port}`;
      const a = await startSockeye(url, { adapter });
      let redis, b;
      const c1 = await client(a);
      try {
        // No Redis: this node's own clients still get room broadcasts and answers.
        assert.equal(await ask(c1, "join", "r"), "ok");
        let got = next(c1, "room-msg");
        c1.emit("to-room", "r", "local only");
        assert.deepEqual(await got, ["local only"]);
        assert.equal(await ask(c1, "count"), 1);
        // Redis comes; a second node joins; broadcasts cross.
        redis = await startRedis(port);
        b = await startSockeye(url, { adapter });
        const c2 = await client(b);
        assert.equal(await ask(c2, "join", "r"), "ok");
        await eventually(async () => (await ask(c1, "count")) === 2, 15_000, "the nodes see each other");
        // (Retried: a sharded node subscribes to a room's channel just after the join's ack.)
        await crosses(c1, c2, "through redis");
        c2.disconnect();
      } finally {
        c1.disconnect();
        await b?.stop();
        await a.stop();
        await redis?.stop();
      }
    });

    test("Redis down mid-run: local clients are served, the cluster resumes when Redis returns", async () => {
      let redis = await startRedis();
      const port = redis.port;
      const a = await startSockeye(redis.url, { adapter });
      const b = await startNode(redis.url, { adapter });
      const c1 = await client(a);
      const c2 = await client(b);
      try {
        assert.equal(await ask(c1, "join", "r"), "ok");
        assert.equal(await ask(c2, "join", "r"), "ok");
        await crosses(c1, c2, "before");
        await redis.stop();
        // Redis is away: node A keeps serving its clients.
        const got = nextWith(c1, "room-msg", "during");
        // What A broadcast meanwhile waits in A and goes out when Redis is back: with streams
        // it lands in the stream, which B reads on from its last entry, so B gets it for sure
        // (pub/sub keeps nothing for B if B subscribes again after A published).
        const caughtUp = nextWith(c2, "room-msg", "during", 30_000);
        caughtUp.catch(() => {});
        c1.emit("to-room", "r", "during");
        await got;
        assert.equal(await ask(c1, "count"), 1);
        await sleep(300);
        redis = await startRedis(port);
        // Back: A reconnects (backoff) and subscribes again; messages cross again.
        await crosses(c1, c2, "after", 20_000);
        assert.match(a.log(), /redis: connected/);
        if (adapter === "streams") await caughtUp;
      } finally {
        c1.disconnect();
        c2.disconnect();
        await a.stop();
        await b.stop();
        await redis.stop();
      }
    });
  });
}
