// socket.io-client's documented recipes, run on the built npm package (SOCKEYE_PKG, default pkg/)
// in headless Chromium against sockeye-server and the official socket.io 4.8 Node.js server, as
// client.test.mjs runs its scenarios: each recipe is the docs' own example, and what it should do
// is checked from outside the page where the page cannot see it (the requests' URLs and headers).
//
//   - token refresh on reconnection: `socket.io.on("reconnect_attempt", ...)` changes
//     `socket.io.opts.query` / `extraHeaders`, read again for the next connection
//     (https://socket.io/docs/v4/client-options/#query);
//   - polling fallback: `socket.on("connect_error", ...)` sets `socket.io.opts.transports`
//     (https://socket.io/docs/v4/client-options/#transports);
//   - `socket.io.engine`: its transport, `on("upgrade")`, its events and `close()`
//     (https://socket.io/docs/v4/client-socket-instance/, "How it works");
//   - `socket.sendBuffer = []` (https://socket.io/docs/v4/client-offline-behavior/);
//   - `io.Manager`, `io.connect` ..., as the reference's `io` carries them.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

import { SERVERS, launchChromium, openPage, packageDir } from "./support/servers.mjs";

const pkg = packageDir();
let browser;
before(async () => (browser = await launchChromium()));
after(() => browser?.close());

// Reconnection without the reference's 1 to 5 s backoff, so the suite stays fast.
const FAST = { reconnectionDelay: 50, reconnectionDelayMax: 100 };

for (const [serverName, start] of Object.entries(SERVERS)) {
  describe(`against ${serverName}`, () => {
    let server;
    let context;
    before(async () => {
      // A short ping interval, so that the engine's `ping` events come within a test.
      server = await start(pkg, ["--ping-interval", "300", "--ping-timeout", "2000"]);
      context = await browser.newContext();
    });
    after(async () => {
      await context?.close();
      await server?.stop();
    });

    /**
     * Runs `fn({ url, arg })` in a fresh page; its result, and the Engine.IO requests the page
     * made (`{ url, token }`: WebSocket URLs and polling requests, with their `x-token` header).
     * `prepare(page, requests)` runs before, to route what the test needs.
     */
    async function inPage(fn, arg, prepare) {
      const page = await openPage(context, server);
      const requests = [];
      page.on("request", (r) => {
        if (r.url().includes("/socket.io/")) requests.push({ url: r.url(), token: r.headers()["x-token"] });
      });
      page.on("websocket", (ws) => requests.push({ url: ws.url() }));
      try {
        await prepare?.(page, requests);
        const result = await page.evaluate(fn, { url: server.url, arg }).catch((e) => {
          throw new Error(`${e.message}\n${page.problems.join("\n")}`);
        });
        const errors = page.problems.filter((p) => p.startsWith("pageerror"));
        assert.deepEqual(errors, [], "no uncaught errors in the page");
        return { result, requests };
      } finally {
        await page.close();
      }
    }

    for (const transport of ["polling", "websocket"]) {
      test(`token refresh on reconnection: reconnect_attempt changes io.opts.query and extraHeaders (${transport})`, async () => {
        const { result, requests } = await inPage(
          async ({ url, arg }) => {
            const { io } = sockeye;
            const socket = io(url, {
              forceNew: true,
              transports: [arg.transport],
              query: { token: "old" },
              extraHeaders: { "x-token": "old" },
              ...arg.FAST,
            });
            // The docs' recipe.
            socket.io.on("reconnect_attempt", () => {
              socket.io.opts.query.token = "new";
              socket.io.opts.extraHeaders["x-token"] = "new";
            });
            await h.connected(socket);
            const first = socket.io.engine.id;
            const reconnected = h.waitFor(socket.io, "reconnect");
            socket.emit("drop-transport");
            await reconnected;
            await h.connected(socket);
            const me = await socket.emitWithAck("whoami");
            const newEngine = me.engineId !== first && me.engineId === socket.io.engine.id;
            socket.disconnect();
            return { newEngine };
          },
          { transport, FAST },
        );
        assert.equal(result.newEngine, true, "a second Engine.IO session");
        const tokens = requests.map((r) => new URL(r.url).searchParams.get("token"));
        const firstNew = tokens.indexOf("new");
        assert.ok(tokens[0] === "old" && firstNew > 0, `the old token first, then the new one: ${tokens}`);
        assert.deepEqual(tokens.slice(firstNew).filter((t) => t !== "new"), [], "only the new token after the reconnection");
        if (transport === "polling") {
          // WebSocket handshakes cannot carry extra headers in a browser; polling requests do.
          const headers = requests.map((r) => r.token);
          assert.equal(headers[0], "old");
          assert.deepEqual(headers.slice(firstNew), headers.slice(firstNew).map(() => "new"));
        }
      });
    }

    test("polling fallback: connect_error sets io.opts.transports after a WebSocket failure", async () => {
      const { result, requests } = await inPage(
        async ({ url, arg }) => {
          const { io } = sockeye;
          const socket = io(url, { forceNew: true, transports: ["websocket"], ...arg });
          let errors = 0;
          // The docs' recipe.
          socket.on("connect_error", () => {
            errors++;
            // revert to classic upgrade
            socket.io.opts.transports = ["polling", "websocket"];
          });
          await h.until(() => socket.connected, "the connection over polling", 8000);
          const me = await socket.emitWithAck("whoami");
          const engine = socket.io.engine.transport.name;
          socket.disconnect();
          return { errors, transport: me.transport, engine };
        },
        FAST,
        // Every WebSocket to the server fails: opened, then closed at once (a routed WebSocket
        // is no `websocket` event of the page: it is recorded here).
        (page, requests) =>
          page.routeWebSocket(/\/socket\.io\//, (ws) => {
            requests.push({ url: ws.url() });
            ws.close();
          }),
      );
      assert.ok(result.errors >= 1, "a connect_error first");
      assert.deepEqual([result.transport, result.engine], ["polling", "polling"]);
      const kinds = requests.map((r) => new URL(r.url).searchParams.get("transport"));
      assert.equal(kinds[0], "websocket", "first over WebSocket only");
      assert.ok(kinds.includes("polling"), "then over polling");
    });

    test("socket.io.engine: transport, on('upgrade'), its events, readyState and close()", async () => {
      const { result } = await inPage(async ({ url, arg }) => {
        const { io } = sockeye;
        const socket = io(url, { forceNew: true, ...arg });
        const seen = { transports: [], upgraded: [], events: [], packets: new Set(), handshake: null };
        // The docs' recipe.
        socket.on("connect", () => {
          const transport = socket.io.engine.transport.name; // in most cases, "polling"
          seen.transports.push(transport);
          socket.io.engine.on("upgrade", () => {
            const upgradedTransport = socket.io.engine.transport.name; // in most cases, "websocket"
            seen.upgraded.push(upgradedTransport);
          });
        });
        const engine = socket.io.engine;
        for (const event of ["handshake", "open", "ping", "pong", "heartbeat", "upgrading", "upgrade", "close"]) {
          engine.on(event, () => seen.events.includes(event) || seen.events.push(event));
        }
        engine.once("handshake", (data) => (seen.handshake = Object.keys(data).sort()));
        // `addEventListener` is `on`, the packet events included.
        engine.addEventListener("packet", (p) => seen.packets.add(p.type));
        // The manager's `packet`: each Socket.IO packet, decoded.
        const decoded = [];
        socket.io.on("packet", (p) => decoded.push(p));
        await h.connected(socket);
        const opened = engine.readyState;
        // (the upgrade may finish before the CONNECT's answer: then the recipe's listener is late)
        await h.until(() => engine.transport.name === "websocket", "the upgrade");
        await h.until(() => seen.events.includes("ping"), "a ping");
        const me = await socket.emitWithAck("whoami");
        const id = engine.id;
        const [connect, ack] = decoded;
        // `engine.close()`: the manager hears a forced close and reconnects, on a new engine object.
        const closed = h.waitFor(socket.io, "close");
        engine.close();
        const [reason] = await closed;
        const closedState = engine.readyState;
        await h.until(() => seen.transports.length === 2, "the reconnection");
        const again = await socket.emitWithAck("whoami");
        const result = {
          transports: seen.transports,
          upgraded: seen.upgraded,
          events: seen.events.sort(),
          packets: [...seen.packets].sort(),
          handshake: seen.handshake,
          opened,
          server: me.transport,
          engineId: me.engineId === id || [me.engineId, id],
          reason,
          closedState,
          // An engine object of a past connection tells nothing of the next one.
          retired: [engine.id, engine.transport, engine.readyState],
          newEngine: socket.io.engine !== engine && again.engineId === socket.io.engine.id,
          state: socket.io.engine.readyState,
          connect: { type: connect.type, nsp: connect.nsp, sid: typeof connect.data.sid },
          ack: { type: ack.type, nsp: ack.nsp, id: ack.id, engineId: ack.data[0].engineId === id },
        };
        socket.disconnect();
        return result;
      }, FAST);
      // "in most cases, polling", the docs say: the upgrade may finish before the CONNECT's answer.
      assert.equal(result.transports.length, 2, "one connect per connection");
      assert.ok(result.transports.every((t) => t === "polling" || t === "websocket"), `${result.transports}`);
      // One per connection at most (each on its own engine object); none when the race above is lost.
      assert.ok(result.upgraded.length <= 2 && result.upgraded.every((t) => t === "websocket"), `${result.upgraded}`);
      assert.deepEqual(result.events, ["close", "handshake", "heartbeat", "open", "ping", "pong", "upgrade", "upgrading"]);
      // (and a `noop` when a GET was in flight during the upgrade, as is most often the case)
      assert.deepEqual(result.packets.filter((t) => t !== "noop"), ["message", "open", "ping"]);
      assert.deepEqual(result.handshake, ["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"]);
      assert.equal(result.opened, "open");
      assert.equal(result.server, "websocket");
      assert.equal(result.engineId, true, "engine.id is the server's");
      assert.equal(result.reason, "forced close");
      assert.equal(result.closedState, "closed");
      assert.deepEqual(result.retired, [undefined, undefined, "closed"]);
      assert.ok(result.newEngine, "a new engine object for the new connection");
      assert.equal(result.state, "open");
      assert.deepEqual(result.connect, { type: 0, nsp: "/", sid: "string" });
      assert.deepEqual(result.ack, { type: 3, nsp: "/", id: 0, engineId: true });
    });

    test("socket.sendBuffer holds what the offline buffer holds; `= []` drops it", async () => {
      const { result } = await inPage(async ({ url }) => {
        const { io } = sockeye;
        const socket = io(url, { forceNew: true, autoConnect: false });
        const echoes = [];
        socket.on("echo", (v) => echoes.push(v));
        socket.emit("echo", "dropped");
        socket.emit("echo-ack", "dropped too", () => {});
        const buffered = socket.sendBuffer.map((p) => ({ type: p.type, data: p.data, id: p.id }));
        socket.sendBuffer = [];
        const cleared = socket.sendBuffer.length;
        socket.emit("echo", "kept");
        socket.connect();
        await h.until(() => echoes.length > 0, "the echo");
        await h.sleep(100);
        const result = {
          buffered,
          cleared,
          echoes,
          after: socket.sendBuffer.length,
          receiveBuffer: socket.receiveBuffer,
        };
        socket.disconnect();
        return result;
      });
      assert.deepEqual(result.buffered, [
        { type: 2, data: ["echo", "dropped"], id: undefined },
        { type: 2, data: ["echo-ack", "dropped too"], id: 0 },
      ]);
      assert.equal(result.cleared, 0);
      assert.deepEqual(result.echoes, ["kept"], "only what was emitted after the buffer was emptied");
      assert.equal(result.after, 0);
      assert.deepEqual(result.receiveBuffer, []);
    });

    test("options: timestampParam, transportOptions, protocols, requestTimeout, host/hostname/port/secure", async () => {
      let stalled = 0;
      const { result, requests } = await inPage(
        async ({ url }) => {
          const { io } = sockeye;
          // The WebSocket's protocols, as the page's WebSocket is asked for them (then dropped:
          // the servers choose none).
          const asked = [];
          const Real = WebSocket;
          window.WebSocket = class extends Real {
            constructor(u, protocols) {
              asked.push(protocols);
              super(u);
            }
          };
          const socket = io(url, {
            forceNew: true,
            timestampParam: "ts",
            extraHeaders: { "x-token": "everywhere" },
            transportOptions: { polling: { extraHeaders: { "x-token": "polling only" } } },
            protocols: ["chat"],
            // The first GET gets no answer (see below): it fails after this long.
            requestTimeout: 300,
            reconnectionDelay: 50,
            reconnectionDelayMax: 100,
          });
          const errors = [];
          socket.on("connect_error", (e) => errors.push(e.message));
          await h.connected(socket, 8000).catch(() => h.until(() => socket.connected, "a connection", 8000));
          await h.until(() => socket.io.engine.transport.name === "websocket", "the upgrade");
          socket.disconnect();
          const loc = new URL(url);
          const built = [
            new io.Manager({ hostname: "example.com", port: 8443, secure: true, autoConnect: false }).uri,
            new io.Manager({ host: "example.com:80", autoConnect: false }).uri,
            new io.Manager({ autoConnect: false }).uri,
          ];
          const m = new io.Manager({ hostname: loc.hostname, port: loc.port, query: { second: 1 } });
          const s = m.socket("/");
          await h.connected(s);
          const me = await s.emitWithAck("whoami");
          s.disconnect();
          return { errors, asked: asked.slice(0, 1), built, nsp: me.nsp, loc: loc.host };
        },
        undefined,
        // The first polling GET stalls; the others go through.
        (page) =>
          page.route(/transport=polling/, (route) => {
            if (stalled++ === 0) return;
            return route.continue();
          }),
      );
      assert.ok(result.errors.length >= 1, "the stalled request failed: a connect_error");
      assert.deepEqual(result.asked, [["chat"]]);
      assert.deepEqual(result.built, [
        "https://example.com:8443",
        `http://example.com:${result.loc.split(":")[1]}`,
        `http://${result.loc}`,
      ]);
      assert.equal(result.nsp, "/");
      const polling = requests.filter((r) => r.url.includes("transport=polling") && !r.url.includes("second="));
      for (const r of polling) {
        const query = new URL(r.url).searchParams;
        assert.ok(query.has("ts") && !query.has("t"), `timestampParam: ${r.url}`);
      }
      assert.deepEqual([...new Set(polling.map((r) => r.token))], ["polling only"]);
    });

    test("io.Manager, io.Socket, io.connect, io.protocol, as the reference's io carries them", async () => {
      const { result } = await inPage(async ({ url }) => {
        const { io, Manager, Socket, connect, protocol } = sockeye;
        const manager = new io.Manager(url, { autoConnect: false });
        const socket = io.connect(url, { forceNew: true, autoConnect: false });
        return {
          same: [io.Manager === Manager, io.Socket === Socket, io.connect === connect, io.io === io],
          protocol: [io.protocol, protocol],
          instances: [manager instanceof Manager, socket instanceof io.Socket],
        };
      });
      assert.deepEqual(result, { same: [true, true, true, true], protocol: [5, 5], instances: [true, true] });
    });
  });
}
