// Clusters whose nodes and clients all speak the MessagePack parser (socket.io-msgpack-parser
// 3.0.2): the parser is between a node and its clients, the adapter's own encoding between nodes
// is the same as with JSON. Two Sockeye nodes, and a Sockeye node with a Node socket.io 4.8 node,
// on the pub/sub adapter; a mixed cluster on the Streams adapter once. Binary nested in the
// arguments must arrive as MessagePack `bin`, a Buffer in socket.io-client on Node.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "redis";
import { nodeCount } from "./suite.mjs";
import { ask, client, eventually, msgpackParser, next, startNode, startRedis, startSockeye } from "./support.mjs";

/** What a client sends to the room: binary at several depths, next to other types. */
const payload = (from) => ({
  from,
  n: 1.5,
  text: "héllo ✓",
  bin: Buffer.from([0, 1, 2, 255]),
  nested: [Buffer.from("deep"), { deeper: Buffer.alloc(300, 7) }, null, true],
});

/** Checks that `got` (an event's arguments) is `[payload(from)]` with every binary a Buffer. */
function assertPayload(got, from) {
  // The Streams adapter (recovery on) appends the offset: left out here.
  const args = typeof got.at(-1) === "string" && /^\d+-\d+$/.test(got.at(-1)) ? got.slice(0, -1) : got;
  assert.equal(args.length, 1);
  const [p] = args;
  for (const bin of [p.bin, p.nested[0], p.nested[1].deeper]) {
    assert.ok(Buffer.isBuffer(bin), `binary arrived as ${Object.prototype.toString.call(bin)}`);
  }
  // Buffers compare by content; a Uint8Array or an attachment placeholder would not match.
  assert.deepEqual(p, payload(from));
}

const clusters = [
  { adapter: "pubsub", second: "sockeye" },
  { adapter: "pubsub", second: "node" },
  { adapter: "streams", second: "node" },
];

for (const { adapter, second } of clusters) {
  describe(`MessagePack parser, ${adapter} adapter: a Sockeye node and a ${second === "node" ? "Node" : "Sockeye"} node`, () => {
    let redis, a, b, publisher;
    // senderA/senderB: on node A/B, not in the room; inA/inB: room members on node A/B.
    let senderA, senderB, inA, inB;
    const sockets = [];
    const connect = async (node) => {
      const s = await client(node, { parser: msgpackParser });
      sockets.push(s);
      return s;
    };

    before(async () => {
      redis = await startRedis();
      a = await startSockeye(redis.url, { adapter, parser: "msgpack" });
      b = await (second === "node" ? startNode : startSockeye)(redis.url, { adapter, parser: "msgpack" });
      publisher = createClient({ url: redis.url });
      await publisher.connect();
      // Both nodes subscribed (what each adapter's serverCount() asks).
      await eventually(async () => (await nodeCount(publisher, adapter)) === 2);
      [senderA, senderB, inA, inB] = [await connect(a), await connect(b), await connect(a), await connect(b)];
      for (const s of sockets) s.on("question", (cb) => cb({ id: s.id, bin: Buffer.from(s.id) }));
      assert.equal(await ask(inA, "join", "r"), "ok");
      assert.equal(await ask(inB, "join", "r"), "ok");
    });

    after(async () => {
      for (const s of sockets) s.disconnect();
      await publisher?.quit();
      await a?.stop();
      await b?.stop();
      await redis?.stop();
    });

    test("a room broadcast from a client of either node reaches the room on both, binary as Buffers", async () => {
      for (const [sender, from] of [[senderA, "a"], [senderB, "b"]]) {
        const got = Promise.all([next(inA, "room-msg"), next(inB, "room-msg")]);
        sender.emit("to-room", "r", payload(from));
        const [atA, atB] = await got;
        assertPayload(atA, from);
        assertPayload(atB, from);
      }
    });

    test("fetchSockets and a broadcast with acks span both nodes", async () => {
      assert.equal(await ask(senderA, "count"), 4);
      assert.equal(await ask(senderB, "count"), 4);
      // The answers carry binary back through each client's node and the adapter.
      const answers = await ask(senderB, "ask-all");
      const expected = sockets.map((s) => ({ id: s.id, bin: Buffer.from(s.id) }));
      const byId = (x, y) => x.id.localeCompare(y.id);
      assert.deepEqual([...answers].sort(byId), expected.sort(byId));
    });
  });
}
