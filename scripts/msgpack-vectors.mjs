// Writes core/src/socket/msgpack/tests/vectors.txt: Socket.IO packets as socket.io-msgpack-parser
// 3.0.2 (over its own notepack.io 2.2.0) puts them on the wire, beside what the core's payload model makes of
// them. Run it again when the reference's parser changes: `node scripts/msgpack-vectors.mjs`.
//
// One line per vector, tab-separated:
//   kind  name  wire-hex  type  nsp  id  data-json  attachments (each as hex and `;`)
// kind: `both` (the core decodes the wire to this packet and encodes this packet to the same
// wire), `decode` (decoding only: a client's packet, with keys the core does not keep), `error`
// (the core refuses it; the type column names the error).
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const parser = require("socket.io-msgpack-parser");

const wire = (packet) => {
  const [buf] = new parser.Encoder().encode(packet);
  return Buffer.from(buf).toString("hex");
};

// What the core's payload model holds for `data`: JSON text with a placeholder per binary, in
// document order (as socket.io-parser's deconstructPacket numbers them).
const model = (data) => {
  const attachments = [];
  const walk = (v) => {
    if (Buffer.isBuffer(v) || v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
      attachments.push(Buffer.from(v).toString("hex"));
      return { _placeholder: true, num: attachments.length - 1 };
    }
    if (v instanceof Date) return v; // JSON.stringify writes its toJSON(), the ISO string
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") {
      const out = {};
      for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = walk(x);
      return out;
    }
    return v;
  };
  const json = data === undefined ? "" : JSON.stringify(walk(data));
  return { json, attachments: attachments.map((a) => a + ";").join("") };
};

const lines = [];
const vector = (kind, name, packet) => {
  const { json, attachments } = model(packet.data);
  lines.push(
    [kind, name, wire(packet), packet.type, packet.nsp, packet.id ?? "", json, attachments].join("\t"),
  );
};
const error = (name, error, packet) => {
  lines.push(["error", name, wire(packet), error, "", "", "", ""].join("\t"));
};

// What socket.io 4.8's server writes: `{ type, data, [id] }`, then `nsp` set by socket.packet().
vector("both", "server connect answer", { type: 0, data: { sid: "abc" }, nsp: "/" });
vector("both", "server event", { type: 2, data: ["hello", "world"], nsp: "/" });
vector("both", "server event with ack", { type: 2, data: ["q", 1], id: 7, nsp: "/admin" });
vector("both", "server ack", { type: 3, data: [{ ok: true }], id: 300, nsp: "/" });
vector("both", "server binary event", {
  type: 2,
  data: ["file", Buffer.from([1, 2, 3]), { nested: [Buffer.alloc(0), "x"] }],
  nsp: "/",
});
vector("both", "server binary 300 bytes", { type: 2, data: ["big", Buffer.alloc(300, 7)], nsp: "/" });
vector("both", "server connect_error", {
  type: 4,
  data: { message: "not authorized", data: { code: 3 } },
  nsp: "/admin",
});
vector("both", "server connect_error string", { type: 4, data: "refused", nsp: "/" });
vector("both", "server disconnect", { type: 1, nsp: "/admin" });
vector("both", "integers", {
  type: 2,
  data: ["n", 0, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, 9007199254740991,
    -1, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649, -9007199254740991],
  nsp: "/",
});
vector("both", "floats", {
  type: 2,
  // Not 1e21 and up: notepack writes integral numbers as uint64 and mangles those past 2^64.
  data: ["f", 0.5, -1.25, 0.1, 1.5e-7, 123456.789, 5e-324, -2.5e-300],
  nsp: "/",
});
vector("both", "strings", {
  type: 2,
  data: ["s", "", "é", "日本", "🦀", "quote\" back\\ nl\n tab\t ctl\u0001", "x".repeat(31),
    "y".repeat(32), "z".repeat(300), "w".repeat(70000)],
  nsp: "/",
});
vector("both", "containers", {
  type: 2,
  data: ["c", [], {}, Array.from({ length: 16 }, (_, i) => i),
    Object.fromEntries(Array.from({ length: 16 }, (_, i) => ["k" + i, null])),
    [[[true, false, null]]]],
  nsp: "/",
});
vector("both", "ack without args", { type: 3, data: [], id: 0, nsp: "/" });

// What socket.io-client 4.8 writes: `{ type, data, options: { compress } , [id] }`, then `nsp`.
vector("decode", "client connect", { type: 0, nsp: "/" });
vector("decode", "client connect with auth", { type: 0, data: { token: "t" }, nsp: "/admin" });
vector("decode", "client event", { type: 2, data: ["chat", "hi"], options: { compress: true }, nsp: "/" });
vector("decode", "client event with ack", {
  type: 2, data: ["chat", Buffer.from("bin")], options: { compress: true }, id: 2, nsp: "/",
});
vector("decode", "client ack", { type: 3, nsp: "/", id: 4, data: [Uint8Array.of(9, 9)] });
vector("decode", "nan and infinity become null", {
  type: 2, data: ["f", NaN, Infinity, -Infinity], nsp: "/",
});
vector("decode", "integer map keys", { type: 2, data: ["m", { 1: "a" }], nsp: "/" });

vector("decode", "dates become their ISO text", {
  type: 2, data: ["d", new Date(0), new Date(-1), new Date(1733456789123), new Date(-62198755200000 - 1)], nsp: "/",
});
vector("decode", "undefined: null in arrays, left out of maps", {
  type: 2, data: ["u", undefined, { a: undefined, b: 1, c: undefined }], id: undefined, nsp: "/",
});
vector("decode", "browser binaries are ext type 0", {
  type: 2, data: ["b", new Uint8Array([1, 2]).buffer, new Uint8Array(300)], nsp: "/",
});
error("binary event type", "InvalidType", { type: 5, data: ["x"], nsp: "/" });
error("no namespace", "InvalidNamespace", { type: 2, data: ["x"] });
error("event without data", "InvalidPayload", { type: 2, nsp: "/" });
error("ack without data", "InvalidPayload", { type: 3, id: 1, nsp: "/" });
error("reserved event", "ReservedEventName", { type: 2, data: ["connect"], nsp: "/" });
error("negative ack id", "InvalidAckId", { type: 2, data: ["x"], id: -1, nsp: "/" });
error("not a map", "NotAMap", ["x"]);

const out = fileURLToPath(new URL("../core/src/socket/msgpack/tests/vectors.txt", import.meta.url));
writeFileSync(out, lines.join("\n") + "\n");
console.log(`${lines.length} vectors written to ${out}`);
