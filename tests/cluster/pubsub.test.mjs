// Clusters through the Redis pub/sub adapter (`sockeye-redis` RedisAdapter and the Node
// `@socket.io/redis-adapter` 8.3 `createAdapter`), with a real redis-server: see suite.mjs.
// Then what is particular to this adapter: `requestsTimeout`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "redis";
import { clusterSuites } from "./suite.mjs";
import { ask, client, startRedis, startSockeye } from "./support.mjs";

clusterSuites("pubsub");

test("pub/sub adapter: a node that never answers fails fetchSockets after requestsTimeout", async () => {
  const redis = await startRedis();
  const a = await startSockeye(redis.url, { args: ["--requests-timeout", "700"] });
  // A silent "node": it subscribes to the request channel (so it is counted) and never answers.
  const silent = createClient({ url: redis.url });
  await silent.connect();
  await silent.subscribe("socket.io-request#/#", () => {});
  const c = await client(a);
  try {
    const t0 = Date.now();
    const answer = await ask(c, "count");
    const took = Date.now() - t0;
    assert.match(String(answer), /^error: timeout reached: only 0 responses received out of 1/);
    assert.ok(took >= 600 && took < 3000, `answered after ${took} ms`);
    // Without the silent node, the count is immediate again.
    await silent.unsubscribe("socket.io-request#/#");
    assert.equal(await ask(c, "count"), 1);
  } finally {
    c.disconnect();
    await silent.quit();
    await a.stop();
    await redis.stop();
  }
});
