// Clusters through Redis 7 sharded pub/sub (`sockeye-redis` ShardedAdapterConfig and the Node
// `@socket.io/redis-adapter` 8.3 `createShardedAdapter`), with a real redis-server: see suite.mjs.
import { clusterSuites } from "./suite.mjs";

clusterSuites("sharded");
