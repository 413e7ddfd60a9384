// The classic-script build: `<script src="/socket.io/socket.io.js"></script>` defines a global
// `io`, as socket.io-client's UMD build does (scripts/build-classic.mjs bundles this file as an
// IIFE; sockeye-server serves it with `serve_client`). The ES module (index.js) stays the primary
// build: it can wait for the wasm module with a top-level `await`, a classic script cannot.
//
// So `io` is usable at once: until the module is instantiated, what `io()`, `new io.Manager()`
// and `new io.Socket()` return are stand-ins that record every call and assignment, in order,
// and replay them on the real objects once it is; from then on they forward to those objects,
// and new calls make real ones directly.

import init from "./sockeye_client.js";
import { Manager, Socket, io as connect, protocol, ready } from "./client.js";

// The wasm module sits beside this script: its URL is read while the script runs, the only time
// `document.currentScript` is this script.
const base = globalThis.document?.currentScript?.src || globalThis.location?.href;

/** What waits for the module, in call order; null once it is instantiated. */
let queue = [];
const later = (op) => (queue ? queue.push(op) : op());

init({ module_or_path: new URL("socket.io.wasm", base) }).then(
  () => {
    ready();
    const ops = queue;
    queue = null;
    for (const op of ops) op();
  },
  (e) => console.error("sockeye: the WebAssembly module did not load", e),
);

/** What a stand-in's getters read before the module is ready (the rest: undefined). */
const before = { connected: false, disconnected: true, recovered: false };

/**
 * A stand-in for the object that `make()` returns once the module is ready, with `proto`'s
 * methods. Before then a method call is recorded and returns the stand-in (a `socket` call, a
 * stand-in socket; `emitWithAck`, a promise), a getter reads as `before` says, and assignments
 * are kept and replayed.
 */
function standIn(proto, make) {
  let real;
  const resolve = () => (real ??= make());
  later(resolve);
  const self = new Proxy(Object.create(proto), {
    get(target, key) {
      if (!queue) {
        const value = resolve()[key];
        return typeof value === "function" ? value.bind(real) : value;
      }
      if (Object.hasOwn(target, key)) return target[key];
      // A socket's manager, as used before the module is ready (`socket.io.on("reconnect", …)`).
      if (key === "io" && proto === Socket.prototype) {
        return (target.io = standIn(Manager.prototype, () => resolve().io));
      }
      let p = proto;
      while (p && !Object.hasOwn(p, key)) p = Object.getPrototypeOf(p);
      const desc = p && Object.getOwnPropertyDescriptor(p, key);
      if (key === "volatile") later(() => resolve().volatile);
      else if (desc?.get) return before[key];
      if (typeof desc?.value !== "function") return key === "volatile" ? self : undefined;
      if (key === "socket") return (...args) => standIn(Socket.prototype, () => resolve().socket(...args));
      if (key === "emitWithAck") {
        return (...args) => new Promise((ok, fail) => later(() => resolve().emitWithAck(...args).then(ok, fail)));
      }
      return (...args) => (later(() => resolve()[key](...args)), self);
    },
    set(target, key, value) {
      if (queue) {
        target[key] = value;
        later(() => (resolve()[key] = value));
      } else resolve()[key] = value;
      return true;
    },
  });
  return self;
}

/** Makes a real object once the module is ready, else a stand-in for one. */
function whenReady(proto, make) {
  return function (...args) {
    return queue ? standIn(proto, () => make(...args)) : make(...args);
  };
}

const io = whenReady(Socket.prototype, connect);
// `new io.Manager(…)` and `new io.Socket(…)`: a constructor that returns an object gives it to `new`.
const M = whenReady(Manager.prototype, (...args) => new Manager(...args));
const S = whenReady(Socket.prototype, (...args) => new Socket(...args));
M.prototype = Manager.prototype;
S.prototype = Socket.prototype;
Object.assign(io, { io, connect: io, Manager: M, Socket: S, protocol });
globalThis.io = io;
