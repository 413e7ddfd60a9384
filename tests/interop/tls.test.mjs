// The `sockeye-server` binary over TLS (`--tls-cert`, `--tls-key`, built with the `tls` feature):
// the official socket.io-client over https long-polling, the upgrade to wss, and wss alone, with a
// certificate made for the test by openssl; a client that does not trust it, and plain HTTP on the
// TLS port, fail without harming the server.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { io } from "socket.io-client";

import { sockeyeServerBinary, startProcess, startSockeyeServer } from "../support/harness.mjs";

const dir = mkdtempSync(path.join(tmpdir(), "sockeye-tls-"));
const cert = path.join(dir, "cert.pem");
const key = path.join(dir, "key.pem");
let server;
let ca;

before(async () => {
  // A self-signed certificate for 127.0.0.1, valid for a day; the client trusts it as its CA.
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
    "-keyout", key, "-out", cert,
  ], { stdio: "pipe" });
  ca = readFileSync(cert, "utf8");
  server = await startSockeyeServer(["--tls-cert", cert, "--tls-key", key]);
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Connects, sets a nick (an acked emit of the demo), resolves with the socket and the ack. */
async function nick(opts) {
  const socket = io(server.url, { ca, reconnection: false, ...opts });
  try {
    await new Promise((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("connect_error", reject);
    });
    const ack = await socket.timeout(5000).emitWithAck("nick", "tls");
    return { socket, ack };
  } catch (e) {
    socket.close();
    throw e;
  }
}

describe("TLS", { timeout: 30_000 }, () => {
  it("announces https", () => {
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it("carries https long-polling, then upgrades to wss", async () => {
    const { socket, ack } = await nick({ transports: ["polling", "websocket"] });
    assert.deepEqual(ack, { ok: true, nick: "tls" });
    if (socket.io.engine.transport.name !== "websocket") {
      await new Promise((resolve) => socket.io.engine.once("upgrade", resolve));
    }
    assert.equal(socket.io.engine.transport.name, "websocket");
    assert.deepEqual(await socket.timeout(5000).emitWithAck("nick", "wss"), { ok: true, nick: "wss" });
    socket.close();
  });

  it("carries wss alone", async () => {
    const { socket, ack } = await nick({ transports: ["websocket"] });
    assert.deepEqual(ack, { ok: true, nick: "tls" });
    assert.equal(socket.io.engine.transport.name, "websocket");
    socket.close();
  });

  it("refuses a client that does not trust the certificate, and goes on serving", async () => {
    for (const transports of [["polling"], ["websocket"]]) {
      await assert.rejects(nick({ ca: undefined, transports }), (e) => {
        assert.equal(e.message, transports[0] === "polling" ? "xhr poll error" : "websocket error");
        return true;
      });
    }
    const { socket } = await nick({ transports: ["websocket"] });
    socket.close();
  });

  it("answers plain HTTP on the TLS port with no page", async () => {
    const plain = server.url.replace("https:", "http:");
    await assert.rejects(fetch(`${plain}socket.io/?EIO=4&transport=polling`));
  });

  it("wants both --tls-cert and --tls-key", async () => {
    await assert.rejects(
      startProcess(sockeyeServerBinary(), ["--port", "0", "--tls-cert", cert]),
      /--tls-cert and --tls-key go together/,
    );
  });
});
