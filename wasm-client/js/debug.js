// The debug log as socket.io-client's `debug` package has it in a browser: `localStorage.debug`
// holds namespaces separated by commas or spaces, `*` matching anything and a leading `-`
// excluding (an exclusion wins), e.g. `socket.io-client:*,-socket.io-client:socket`. Read when a
// manager or socket is made. Kept small: this is in every bundle, and off it costs one read.

/**
 * The log of namespace `ns` (`socket.io-client:manager`…), or undefined when it is off. Callers
 * write `log?.(…)`: when off, the arguments are not even evaluated.
 */
export function logger(ns) {
  let on;
  try {
    for (const pattern of (localStorage.debug || "").split(/[\s,]+/)) {
      if (pattern && RegExp("^" + pattern.replace(/^-/, "").replaceAll("*", ".*") + "$").test(ns)) {
        if (pattern[0] == "-") return;
        on = 1;
      }
    }
  } catch {
    // No storage (Node.js, a sandboxed frame, storage denied) or a pattern that is no regular
    // expression: no log.
  }
  if (on) return (...args) => console.debug(ns, ...args);
}
