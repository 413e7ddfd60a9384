// `sockeye/msgpack`: the API of `sockeye` over the MessagePack parser (socket.io-msgpack-parser's
// wire). `import { io } from "sockeye/msgpack"`, or socket.io-client's shape:
// `import * as parser from "sockeye/msgpack"; io(url, { parser })` with `io` from `sockeye`.
export * from "../index.js";
export { default } from "../index.js";
