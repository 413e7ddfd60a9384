// The `sockeye` package: socket.io-client's API (`client.js`) over the WebAssembly client. The
// module is instantiated here, on import, so `io()` needs no init call. The same file is
// `sockeye/msgpack` (msgpack/index.js), over the module built with the MessagePack parser.

import init from "./sockeye_client.js";
import { ready } from "./client.js";

const wasm = new URL("sockeye_client_bg.wasm", import.meta.url);
// Node.js's fetch cannot read file: URLs, so there the file is read instead, through
// `process.getBuiltinModule` (Node.js 20.16+) rather than an import a bundler would try to resolve.
const fs = wasm.protocol === "file:" ? globalThis.process?.getBuiltinModule?.("fs/promises") : undefined;
await init({ module_or_path: fs ? fs.readFile(wasm) : wasm });
ready();

export { Manager, Socket, io, connect, protocol, io as default } from "./client.js";
