// A minimal WebSocket client over a bare TCP socket, for the benchmarks: it can vanish the way a
// real client does (reset its TCP connection, or go silent) without any WebSocket goodbye, which a
// full client library does not let one do through its public API.
import { randomBytes } from "node:crypto";
import net from "node:net";

/**
 * Opens `ws://host:port<path>`. `onFrame(opcode, payload, ws)` gets every server frame (text
 * payloads as strings; frames that came with the 101 may come before the promise resolves).
 * Resolves with ws, { socket, send(text) }, once the 101 is read.
 */
export function openRawWs({ host = "127.0.0.1", port, path }, onFrame) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let buf = Buffer.alloc(0);
    let upgraded = false;
    const send = (text) => {
      const payload = Buffer.from(text);
      if (payload.length > 125) throw new Error("raw-ws sends short frames only");
      const mask = randomBytes(4);
      const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
      socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]));
    };
    // Errors after the upgrade (a reset by the server) end the socket; they are not failures here.
    socket.on("error", (e) => reject(e));
    const ws = { socket, send };
    socket.on("connect", () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString("base64")}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    socket.on("data", (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (!upgraded) {
        const end = buf.indexOf("\r\n\r\n");
        if (end === -1) return;
        const head = buf.subarray(0, end).toString();
        if (!head.startsWith("HTTP/1.1 101")) {
          socket.destroy();
          return reject(new Error(`upgrade refused: ${head.split("\r\n", 1)[0]}`));
        }
        upgraded = true;
        buf = buf.subarray(end + 4);
        resolve(ws);
      }
      // Server frames are unmasked: FIN/opcode, length (7, 16 or 64 bits), payload.
      while (buf.length >= 2) {
        const opcode = buf[0] & 0x0f;
        let len = buf[1] & 0x7f;
        let offset = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          offset = 4;
        } else if (len === 127) {
          if (buf.length < 10) return;
          len = Number(buf.readBigUInt64BE(2));
          offset = 10;
        }
        if (buf.length < offset + len) return;
        const payload = buf.subarray(offset, offset + len);
        buf = buf.subarray(offset + len);
        onFrame(opcode, opcode === 1 ? payload.toString() : payload, ws);
      }
    });
  });
}
