// What the browser tests' page functions share (window.h). Every wait has a bound, and says what
// it waited for when it runs out.

/** How long any single awaited thing may take. */
export const WAIT = 5000;

/** Resolves with the arguments of the next `event` on `emitter`; rejects after `ms`. */
export function waitFor(emitter, event, ms = WAIT) {
  return new Promise((resolve, reject) => {
    const listener = (...args) => {
      clearTimeout(timer);
      resolve(args);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no "${event}" within ${ms} ms`));
    }, ms);
    emitter.once(event, listener);
  });
}

/** Resolves once `socket` connects; rejects with its `connect_error` or after `ms`. */
export function connected(socket, ms = WAIT) {
  if (socket.connected) return Promise.resolve(socket);
  return new Promise((resolve, reject) => {
    const done = (err) => {
      clearTimeout(timer);
      socket.off("connect", onConnect).off("connect_error", done);
      if (err) reject(err);
      else resolve(socket);
    };
    const onConnect = () => done();
    const timer = setTimeout(() => done(new Error(`no "connect" on ${socket.nsp} within ${ms} ms`)), ms);
    socket.on("connect", onConnect).on("connect_error", done);
  });
}

/** Resolves once `predicate()` holds, checked every few milliseconds; rejects after `ms`. */
export async function until(predicate, what, ms = WAIT) {
  const end = performance.now() + ms;
  while (!predicate()) {
    if (performance.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(5);
  }
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Emits `event` with `args` and resolves with every argument of the acknowledgement. */
export function ack(socket, event, ...args) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ack for "${event}" within ${WAIT} ms`)), WAIT);
    socket.emit(event, ...args, (...got) => {
      clearTimeout(timer);
      resolve(got);
    });
  });
}

/**
 * A value the test process can compare: binary becomes `{ $type, bytes }` (its constructor's name
 * and its bytes), errors `{ $error, message, data }`, other objects and arrays recursively.
 */
export function describe(value) {
  if (value instanceof ArrayBuffer) return { $type: "ArrayBuffer", bytes: [...new Uint8Array(value)] };
  if (ArrayBuffer.isView(value)) {
    return {
      $type: value.constructor.name,
      bytes: [...new Uint8Array(value.buffer, value.byteOffset, value.byteLength)],
    };
  }
  if (typeof Blob !== "undefined" && value instanceof Blob) return { $type: "Blob", size: value.size };
  if (value instanceof Error) {
    return { $error: value.constructor.name, message: value.message, data: describe(value.data) };
  }
  if (typeof value === "function") return { $type: "function" };
  if (value === undefined) return { $type: "undefined" };
  if (Array.isArray(value)) return value.map(describe);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, describe(v)]));
  }
  return value;
}

/** The socket.io-client options of each transport mode, and the transport each ends on. */
export const MODES = {
  polling: { options: { transports: ["polling"] }, transport: "polling" },
  websocket: { options: { transports: ["websocket"] }, transport: "websocket" },
  "polling then upgrade": { options: {}, transport: "websocket" },
};
