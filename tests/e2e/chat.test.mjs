// End to end: the chat demo (www/) served by `sockeye-server` with OUR browser client (pkg/, built by
// scripts/build-client.sh), driven in headless Chromium through playwright-core. Two pages pick
// nicks, meet in a room, see each other's presence and typing, exchange text and images; one page
// has its transport closed by the server (socket.conn.close(), through the binary's --test-hooks)
// and comes back recovered with what it missed; one goes offline, writes, and comes back; a restart
// of the server ends in a reconnection that is not recovered.
//
// Screenshots of each page go to target/e2e-screenshots/ (E2E_SCREENSHOTS to change it).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { io as referenceClient } from "socket.io-client";

import { launchChromium, root, startSockeyeServer, targetDir } from "../support/harness.mjs";

const SHOTS = process.env.E2E_SCREENSHOTS ?? path.join(targetDir, "e2e-screenshots");
const PKG = path.join(root, "pkg");
const STEP = 10_000;

const serve = (opts) => startSockeyeServer(["--www", "www", "--client-dir", PKG, "--test-hooks"], opts);

let browser;

before(async () => {
  if (!existsSync(path.join(PKG, "index.js"))) {
    throw new Error(`${PKG}/index.js not found: run \`bash scripts/build-client.sh\` first`);
  }
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
});

after(() => browser?.close());

const tid = (id) => `[data-testid="${id}"]`;

/** Waits until `fn(arg)` (run in the page) is truthy; the error says what was expected. */
async function until(page, what, fn, arg, timeout = STEP) {
  try {
    await page.waitForFunction(fn, arg, { timeout });
  } catch (e) {
    const seen = page.log.length ? `; the page said: ${page.log.join(" | ")}` : "";
    throw new Error(`${page.label}: timed out waiting for ${what}${seen}`, { cause: e });
  }
}

const state = (page) => page.locator(tid("connection-indicator")).getAttribute("data-state");
const textOf = (page, id) => page.locator(tid(id)).innerText();

async function openPage(label, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  page.label = label;
  page.problems = [];
  page.wasm = [];
  page.log = [];
  page.on("pageerror", (e) => page.problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    // Requests that fail while the context is offline or its requests are blocked are expected.
    if (m.type() === "error" && !/net::ERR_/.test(m.text())) page.problems.push(m.text());
    if (m.type() === "warning") page.log.push(m.text());
  });
  page.on("response", (r) => {
    if (r.url().endsWith(".wasm")) page.wasm.push(`${new URL(r.url()).pathname} ${r.status()} ${r.headers()["content-type"]}`);
  });
  return { context, page };
}

async function load(page, url) {
  await page.goto(url);
  await until(page, "connected", () => document.querySelector('[data-testid="connection-indicator"]').dataset.state === "connected");
  await until(page, "the websocket upgrade", () => document.querySelector('[data-testid="transport-badge"]').dataset.transport === "websocket");
  // The page runs on our client: the wasm module came from the package the server serves.
  assert.deepEqual(page.wasm, ["/sockeye/sockeye_client_bg.wasm 200 application/wasm"], `${page.label}: the wasm module`);
}

async function setNick(page, nick) {
  await page.fill(tid("nick-input"), nick);
  await page.press(tid("nick-input"), "Enter");
  await until(page, `${nick} in the lobby's presence list`,
    (n) => [...document.querySelectorAll('[data-testid="presence-item"]')].some((li) => li.dataset.nick === n), nick);
}

const presenceNicks = (page) =>
  page.$$eval(`${tid("presence-list")} ${tid("presence-item")}`, (lis) => lis.map((li) => li.dataset.nick));

const hasPresence = (page, what, nicks, timeout) =>
  until(page, what, (n) =>
    [...document.querySelectorAll('[data-testid="presence-item"]')].map((li) => li.dataset.nick).join() === n, nicks.join(), timeout);

async function sendText(page, text) {
  await page.fill(tid("message-input"), text);
  await page.click(tid("send-button"));
  await until(page, `a delivered tick on "${text}"`, (t) =>
    [...document.querySelectorAll('[data-testid="message"]')].some((li) =>
      li.querySelector('[data-testid="message-text"]')?.textContent === t && li.querySelector('[data-testid="delivered-tick"]')), text);
}

const sees = (page, text) =>
  until(page, `the message "${text}"`, (t) =>
    [...document.querySelectorAll('[data-testid="message-list"] [data-testid="message-text"]')].some((el) => el.textContent === t), text);

const inState = (page, name) =>
  until(page, name, (s) => document.querySelector('[data-testid="connection-indicator"]').dataset.state === s, name);

/** A PNG drawn in the page: a gradient, or random pixels (`noise`, which defeats compression). */
async function makePng(page, width, height, noise = false) {
  const base64 = await page.evaluate(({ width, height, noise }) => {
    const c = document.createElement("canvas");
    c.width = width;
    c.height = height;
    const ctx = c.getContext("2d");
    if (noise) {
      const img = ctx.createImageData(width, height);
      for (let i = 0; i < img.data.length; i++) img.data[i] = (i % 4 === 3) ? 255 : (Math.random() * 256) | 0;
      ctx.putImageData(img, 0, 0);
    } else {
      const g = ctx.createLinearGradient(0, 0, width, height);
      g.addColorStop(0, "#e4572e");
      g.addColorStop(1, "#2f6fed");
      ctx.fillStyle = g;
      ctx.fillRect(0, 0, width, height);
      ctx.fillStyle = "#fff";
      ctx.font = `bold ${Math.round(height / 4)}px sans-serif`;
      ctx.fillText("sockeye", width / 10, height / 1.7);
    }
    return c.toDataURL("image/png").split(",")[1];
  }, { width, height, noise });
  return Buffer.from(base64, "base64");
}

const shot = (page, name) => page.screenshot({ path: path.join(SHOTS, name) });

/** Asks the server (its --test-hooks) to close the transport of the sockets with `nick`. */
async function closeTransportOf(url, nick) {
  const admin = referenceClient(url, { transports: ["websocket"], reconnection: false, forceNew: true });
  try {
    return await admin.timeout(STEP).emitWithAck("test:close-transport", nick);
  } finally {
    admin.close();
  }
}

test("chat demo: two pages chat, share images, and recover a transport the server closed or the network lost", async () => {
  const server = await serve();
  const a = await openPage("alice");
  const b = await openPage("bob");
  try {
    await Promise.all([load(a.page, server.url), load(b.page, server.url)]);
    await shot(a.page, "welcome.png");

    // Nicks; both land in the lobby and see each other there.
    await setNick(a.page, "alice");
    await setNick(b.page, "bob");
    await hasPresence(a.page, "bob in the lobby", ["alice", "bob"]);
    assert.deepEqual(await presenceNicks(b.page), ["alice", "bob"]);
    assert.equal(await textOf(a.page, "online-count"), "2");

    // Alice creates #rust with the join form; Bob joins it from the room list.
    await a.page.fill(tid("join-input"), "Rust");
    await a.page.press(tid("join-input"), "Enter");
    await until(a.page, "#rust as the current room", () =>
      document.querySelector('[data-testid="room-item"][data-room="rust"]')?.getAttribute("aria-current") === "true");
    await until(b.page, "#rust in the room list", () => document.querySelector('[data-testid="room-item"][data-room="rust"]'));
    await b.page.click(`${tid("room-item")}[data-room="rust"] .room-open`);
    await until(b.page, "#rust as the current room", () =>
      document.querySelector('[data-testid="room-item"][data-room="rust"]')?.getAttribute("aria-current") === "true");
    await hasPresence(a.page, "bob in #rust's presence", ["alice", "bob"]);
    await until(a.page, "#rust counting 2", () =>
      document.querySelector('[data-testid="room-item"][data-room="rust"] .room-count')?.textContent === "2");

    // Typing: Bob sees Alice typing, and it clears once her message arrives.
    await a.page.type(tid("message-input"), "Hello Bob", { delay: 20 });
    await until(b.page, "alice is typing", () =>
      document.querySelector('[data-testid="typing-indicator"]').textContent === "alice is typing…");
    await shot(b.page, "typing.png");
    await a.page.click(tid("send-button"));
    await sees(b.page, "Hello Bob");
    await until(a.page, "a delivered tick", () => document.querySelector('[data-testid="delivered-tick"]'));
    await until(b.page, "the typing indicator cleared", () =>
      document.querySelector('[data-testid="typing-indicator"]').textContent === "");

    await sendText(b.page, "Hi Alice! Recovery demo in a minute.");
    await sees(a.page, "Hi Alice! Recovery demo in a minute.");
    await sendText(a.page, "Sharing an image:");

    // A small PNG goes as it is (same bytes, same type).
    const small = await makePng(a.page, 480, 270);
    await a.page.setInputFiles(tid("image-input"), { name: "small.png", mimeType: "image/png", buffer: small });
    await until(b.page, "the image, decoded", () =>
      [...document.querySelectorAll('[data-testid="message-image"]')].some((img) => img.complete && img.naturalWidth === 480));
    await until(a.page, "a delivered tick on the image", () =>
      document.querySelector('[data-testid="message"] [data-testid="message-image"]')?.closest('[data-testid="message"]').querySelector('[data-testid="delivered-tick"]'));
    const received = await b.page.evaluate(async () => {
      const img = [...document.querySelectorAll('[data-testid="message-image"]')].at(-1);
      const blob = await (await fetch(img.src)).blob();
      return { type: blob.type, size: blob.size };
    });
    assert.deepEqual(received, { type: "image/png", size: small.length });

    // A large photo-like PNG (over 700 000 bytes and 1600 px) is downscaled and re-encoded first.
    const large = await makePng(a.page, 2400, 1600, true);
    assert.ok(large.length > 1_000_000, `the noisy PNG is ${large.length} bytes`);
    await a.page.setInputFiles(tid("image-input"), { name: "photo.png", mimeType: "image/png", buffer: large });
    await until(b.page, "the downscaled image", () =>
      [...document.querySelectorAll('[data-testid="message-image"]')].some((img) => img.complete && img.naturalWidth > 0 && img.naturalWidth <= 1600 && img.naturalWidth !== 480));
    const big = await b.page.evaluate(async () => {
      const img = [...document.querySelectorAll('[data-testid="message-image"]')].at(-1);
      const blob = await (await fetch(img.src)).blob();
      return { type: blob.type, size: blob.size, width: img.naturalWidth, height: img.naturalHeight };
    });
    assert.equal(big.type, "image/jpeg");
    assert.ok(big.size <= 700_000, `sent ${big.size} bytes`);
    assert.ok(big.width <= 1600 && big.height <= 1600 && Math.abs(big.width / big.height - 1.5) < 0.01, JSON.stringify(big));

    await sendText(b.page, "Nice 👍");
    await shot(a.page, "desktop-alice.png");
    await shot(b.page, "desktop-bob.png");

    // The server closes Bob's transport (socket.conn.close()). His polling requests are refused
    // for a while, so that he stays away until Alice has sent something; then he comes back with
    // his id and rooms, and the message he missed is replayed.
    await b.context.route("**/socket.io/**", (route) => route.abort());
    assert.equal(await closeTransportOf(server.url, "bob"), 1, "the hook closed one transport");
    await inState(b.page, "reconnecting");
    await until(a.page, "bob gone from #rust", () =>
      ![...document.querySelectorAll('[data-testid="presence-item"]')].some((li) => li.dataset.nick === "bob"));
    await sendText(a.page, "Sent while the server had closed your transport");
    assert.equal(await state(b.page), "reconnecting", "bob is still away when alice's message is accepted");
    await shot(b.page, "reconnecting.png");
    await b.context.unroute("**/socket.io/**");
    await inState(b.page, "recovered");
    await sees(b.page, "Sent while the server had closed your transport");
    await hasPresence(a.page, "bob back in #rust", ["alice", "bob"]);
    await sendText(b.page, "Back, and I got it.");
    await sees(a.page, "Back, and I got it.");
    await shot(b.page, "recovered.png");

    // Bob's network goes (the browser's `offline` event closes the transport at once); Alice sends
    // while he is away; Bob writes while offline (buffered, sent once he is back).
    await b.context.setOffline(true);
    await inState(b.page, "reconnecting");
    await until(a.page, "bob gone from #rust", () =>
      ![...document.querySelectorAll('[data-testid="presence-item"]')].some((li) => li.dataset.nick === "bob"));
    await sendText(a.page, "Did you get this while offline?");
    await b.page.fill(tid("message-input"), "Written while offline");
    await b.page.press(tid("message-input"), "Enter");
    await until(b.page, "the offline message pending", () =>
      document.querySelector('[data-testid="message"][data-status="pending"]'));
    await b.context.setOffline(false);
    await inState(b.page, "recovered");
    await sees(b.page, "Did you get this while offline?");
    await until(b.page, "the websocket upgrade again", () =>
      document.querySelector('[data-testid="transport-badge"]').dataset.transport === "websocket");
    await hasPresence(a.page, "bob back in #rust", ["alice", "bob"]);
    await sees(a.page, "Written while offline");
    await until(b.page, "the offline message delivered", () =>
      !document.querySelector('[data-testid="message"][data-status="pending"]'));

    // Leaving: Bob leaves #rust and lands back in the lobby; Alice sees the count drop.
    await b.page.click(`${tid("room-item")}[data-room="rust"] ${tid("leave-room")}`);
    await until(b.page, "the lobby as the current room", () =>
      document.querySelector('[data-testid="room-item"][data-room="lobby"]')?.getAttribute("aria-current") === "true");
    await until(a.page, "#rust counting 1", () =>
      document.querySelector('[data-testid="room-item"][data-room="rust"] .room-count')?.textContent === "1");

    // A phone-sized third page, in the dark scheme: the sidebar is a drawer.
    const c = await openPage("carol", {
      viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, colorScheme: "dark",
    });
    try {
      await load(c.page, server.url);
      assert.equal(await c.page.locator(tid("nick-input")).isVisible(), false, "the drawer starts closed");
      await c.page.click(tid("menu-button"));
      await c.page.fill(tid("nick-input"), "carol");
      await c.page.press(tid("nick-input"), "Enter");
      await until(c.page, "the drawer closed after joining", () => !document.body.classList.contains("drawer-open"));
      await c.page.click(tid("menu-button"));
      await c.page.click(`${tid("room-item")}[data-room="rust"] .room-open`);
      await until(c.page, "#rust as the current room", () =>
        document.querySelector('[data-testid="room-item"][data-room="rust"]')?.getAttribute("aria-current") === "true");
      await sendText(a.page, "Welcome, Carol!");
      await sees(c.page, "Welcome, Carol!");
      await sendText(c.page, "Hello from my phone");
      await shot(c.page, "mobile-chat.png");
      assert.deepEqual(c.page.problems, [], "carol: console errors");
    } finally {
      await c.context.close();
    }

    for (const p of [a.page, b.page]) assert.deepEqual(p.problems, [], `${p.label}: console errors`);
  } finally {
    await a.context.close();
    await b.context.close();
    await server.stop();
  }
});

test("chat demo: after a server restart the pages reconnect without recovery and restore nick and rooms", async (t) => {
  let server = await serve();
  const a = await openPage("alice");
  const b = await openPage("bob");
  try {
    await Promise.all([load(a.page, server.url), load(b.page, server.url)]);
    await setNick(a.page, "alice");
    await setNick(b.page, "bob");
    for (const p of [a.page, b.page]) {
      await p.fill(tid("join-input"), "ops");
      await p.press(tid("join-input"), "Enter");
      // In #ops once the server answered the join (until then the lobby, where the presence
      // list also reads alice, bob, is shown; a restart then would fail the join itself).
      await until(p, "#ops joined", () =>
        document.querySelector('[data-testid="room-item"][data-room="ops"]')?.getAttribute("aria-current") === "true");
    }
    await hasPresence(a.page, "bob in #ops", ["alice", "bob"]);

    const port = server.port;
    await server.stop();
    for (const p of [a.page, b.page]) await inState(p, "reconnecting");
    server = await serve({ port });
    // A new server knows nothing of the old session: connected, not recovered.
    for (const p of [a.page, b.page]) await inState(p, "connected");
    // Time for a restore request to go unanswered (the page's 15 s ack timeout) and be tried again;
    // the page logs it, and so does this test.
    await hasPresence(a.page, "nick and #ops restored for both", ["alice", "bob"], 40_000);
    await hasPresence(b.page, "nick and #ops restored for both", ["alice", "bob"], 40_000);
    for (const p of [a.page, b.page]) if (p.log.length) t.diagnostic(`${p.label}: ${p.log.join(" | ")}`);
    assert.equal(await a.page.locator(`${tid("room-item")}[data-room="ops"]`).getAttribute("aria-current"), "true");
    await sendText(a.page, "Back after a restart");
    await sees(b.page, "Back after a restart");
    await shot(b.page, "restarted.png");
    for (const p of [a.page, b.page]) assert.deepEqual(p.problems, [], `${p.label}: console errors`);
  } finally {
    await a.context.close();
    await b.context.close();
    await server.stop();
  }
});
