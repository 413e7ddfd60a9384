// End to end: the Yew chat (www/yew-chat/, on sockeye-client's typed Rust API, built by
// scripts/build-yew.sh into www/yew/) and the JS chat page (www/, on the npm package) talk through
// `sockeye-server` in the lobby, both ways, and see each other in its presence list.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";

import { launchChromium, root, startSockeyeServer, targetDir } from "../support/harness.mjs";

const SHOTS = process.env.E2E_SCREENSHOTS ?? path.join(targetDir, "e2e-screenshots");
const PKG = path.join(root, "pkg");
const STEP = 10_000;

let browser;

before(async () => {
  for (const file of [path.join(PKG, "index.js"), path.join(root, "www/yew/index.html")]) {
    if (!existsSync(file)) {
      throw new Error(`${file} not found: run \`bash scripts/build-client.sh && bash scripts/build-yew.sh\` first`);
    }
  }
  mkdirSync(SHOTS, { recursive: true });
  browser = await launchChromium();
});

after(() => browser?.close());

const tid = (id) => `[data-testid="${id}"]`;

async function until(page, what, fn, arg) {
  try {
    await page.waitForFunction(fn, arg, { timeout: STEP });
  } catch (e) {
    throw new Error(`${page.label}: timed out waiting for ${what}`, { cause: e });
  }
}

async function openPage(label, url) {
  const context = await browser.newContext({ viewport: { width: 1024, height: 700 } });
  const page = await context.newPage();
  page.label = label;
  page.problems = [];
  page.on("pageerror", (e) => page.problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && page.problems.push(m.text()));
  await page.goto(url);
  await until(page, "connected", () => document.querySelector('[data-testid="connection-indicator"]')?.dataset.state === "connected");
  return { context, page };
}

async function signIn(page, nick, submit) {
  await page.fill(tid("nick-input"), nick);
  await page.press(tid("nick-input"), "Enter");
  await until(page, `${nick} in the lobby's presence list`,
    (n) => [...document.querySelectorAll('[data-testid="presence-item"]')].some((li) => li.dataset.nick === n), nick);
}

async function send(page, text) {
  await page.fill(tid("message-input"), text);
  await page.press(tid("message-input"), "Enter");
  await until(page, `a delivered tick on "${text}"`, (t) =>
    [...document.querySelectorAll('[data-testid="message"]')].some((li) =>
      li.querySelector('[data-testid="message-text"]')?.textContent === t && li.querySelector('[data-testid="delivered-tick"]')), text);
}

const sees = (page, text) =>
  until(page, `the message "${text}"`, (t) =>
    [...document.querySelectorAll('[data-testid="message-list"] [data-testid="message-text"]')].some((el) => el.textContent === t), text);

test("the Yew page and the JS page chat in the lobby through sockeye-server", async () => {
  const server = await startSockeyeServer(["--www", "www", "--client-dir", PKG]);
  const yew = await openPage("yew", new URL("yew/", server.url).href);
  const js = await openPage("js", server.url);
  try {
    await signIn(yew.page, "ferris");
    await signIn(js.page, "alice");
    await until(yew.page, "alice in the Yew page's presence list", () =>
      [...document.querySelectorAll('[data-testid="presence-item"]')].map((li) => li.dataset.nick).join() === "alice,ferris");
    await until(js.page, "ferris in the JS page's presence list", () =>
      [...document.querySelectorAll('[data-testid="presence-item"]')].some((li) => li.dataset.nick === "ferris"));

    await send(yew.page, "Hello from Yew 🦀");
    await sees(js.page, "Hello from Yew 🦀");
    await send(js.page, "Hello from JS");
    await sees(yew.page, "Hello from JS");
    const line = await yew.page.locator(`${tid("message")}:has-text("Hello from JS") b`).innerText();
    assert.equal(line, "alice", "the Yew page shows the sender's nick");

    await yew.page.screenshot({ path: path.join(SHOTS, "yew.png") });
    for (const p of [yew.page, js.page]) assert.deepEqual(p.problems, [], `${p.label}: console errors`);
  } finally {
    await yew.context.close();
    await js.context.close();
    await server.stop();
  }
});
