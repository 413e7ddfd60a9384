// The official socket.io-client, set up the same way in every interop test: one of three
// transport modes, fast reconnection, every socket closed after each test.
import { io, Manager } from "socket.io-client";

/** The transport modes every client-level test runs in. */
export const MODES = {
  polling: { transports: ["polling"], expected: "polling" },
  websocket: { transports: ["websocket"], expected: "websocket" },
  "polling then upgrade": { transports: ["polling", "websocket"], expected: "websocket" },
};

// How long any single awaited thing may take before the test fails with a message saying what.
export const WAIT = 5_000;

// A backstop for a whole describe block, should something be awaited without a bound.
export const SUITE_TIMEOUT = 60_000;

/** `promise`, or a rejection saying `what` did not happen within `ms`. */
export function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves with the arguments of the next `event` on `emitter`; rejects after `ms`. */
export function waitFor(emitter, event, ms = WAIT) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no "${event}" within ${ms} ms`));
    }, ms);
    const listener = (...args) => {
      clearTimeout(timer);
      resolve(args);
    };
    emitter.once(event, listener);
  });
}

/** Resolves once `predicate()` holds, re-checked whenever `emitter` emits `event`. */
export function waitUntil(emitter, event, predicate, ms = WAIT) {
  return new Promise((resolve, reject) => {
    if (predicate()) return resolve();
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`condition not met within ${ms} ms (re-checked on "${event}")`));
    }, ms);
    const listener = () => {
      if (!predicate()) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve();
    };
    emitter.on(event, listener);
  });
}

const open = new Set();

function options(mode, extra) {
  return {
    forceNew: true,
    transports: MODES[mode].transports,
    reconnectionDelay: 50,
    reconnectionDelayMax: 100,
    ...extra,
  };
}

/** A socket (not yet connected) on `url` + `nsp`, with its own connection. */
export function socket(url, mode, { nsp = "/", ...extra } = {}) {
  const s = io(url + nsp, options(mode, extra));
  open.add(s);
  return s;
}

/** A Manager of its own, for several namespaces over one connection. */
export function manager(url, mode, extra = {}) {
  const m = new Manager(url, { ...options(mode, extra), autoConnect: false });
  return {
    manager: m,
    socket(nsp, opts) {
      const s = m.socket(nsp, opts);
      open.add(s);
      s.connect();
      return s;
    },
  };
}

/** Waits until the engine runs on the mode's final transport (after the upgrade, if any). */
export async function settled(s, mode) {
  const engine = s.io.engine;
  if (MODES[mode].expected === "websocket" && engine.transport.name !== "websocket") {
    await waitFor(engine, "upgrade");
  }
}

/** A connected socket: connect (and the upgrade, in the upgrade mode) done. */
export async function connected(url, mode, opts) {
  const s = socket(url, mode, opts);
  await connectedSocket(s, mode);
  return s;
}

/** Waits for `s` to connect and settle on its transport. */
export async function connectedSocket(s, mode) {
  if (!s.connected) {
    await new Promise((resolve, reject) => {
      const done = (err) => {
        clearTimeout(timer);
        s.off("connect", onConnect);
        s.off("connect_error", onError);
        err ? reject(err) : resolve();
      };
      const onConnect = () => done();
      const onError = (e) => done(new Error(`connect_error: ${e.message}`));
      const timer = setTimeout(() => done(new Error(`no "connect" within ${WAIT} ms`)), WAIT);
      s.on("connect", onConnect);
      s.on("connect_error", onError);
    });
  }
  await settled(s, mode);
  return s;
}

/** Disconnects every socket made since the last call. */
export function closeAll() {
  for (const s of open) s.disconnect();
  open.clear();
}

/** Every event a socket receives, in order, as [name, ...args]. */
export function record(s) {
  const events = [];
  s.onAny((...args) => events.push(args));
  return events;
}

/** The bytes of a Buffer, ArrayBuffer or typed array, as a plain array (for deepEqual). */
export function bytes(x) {
  if (x instanceof ArrayBuffer) return [...new Uint8Array(x)];
  if (ArrayBuffer.isView(x)) return [...new Uint8Array(x.buffer, x.byteOffset, x.byteLength)];
  throw new Error(`not binary: ${Object.prototype.toString.call(x)}`);
}
