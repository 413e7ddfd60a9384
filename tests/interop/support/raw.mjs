// Raw Engine.IO clients for what socket.io-client hides: polling over fetch, WebSocket over `ws`
// with every frame and the close status in view.
import WebSocket from "ws";

import { WAIT } from "./client.mjs";

/** A polling session, its handshake done. */
export class Polling {
  static async open(base, query = "") {
    const res = await fetch(`${base}/socket.io/?EIO=4&transport=polling${query}`);
    const body = await res.text();
    if (res.status !== 200) throw new Error(`handshake: ${res.status} ${body}`);
    return new Polling(base, JSON.parse(body.slice(1)).sid, body);
  }

  constructor(base, sid, open) {
    this.url = `${base}/socket.io/?EIO=4&transport=polling&sid=${sid}`;
    this.sid = sid;
    this.open = open;
  }

  async get() {
    const res = await fetch(this.url, { signal: AbortSignal.timeout(WAIT) });
    return { status: res.status, body: await res.text() };
  }

  async post(body, headers = {}) {
    const res = await fetch(this.url, { method: "POST", body, headers, signal: AbortSignal.timeout(WAIT) });
    return { status: res.status, body: await res.text() };
  }

  /** Joins `/` and returns the CONNECT answer. */
  async join() {
    await this.post("40");
    return (await this.get()).body;
  }
}

/** A WebSocket session: its open packet read; frames queue up for next(). */
export class Ws {
  static async open(base, query = "") {
    const ws = new Ws(`${base.replace(/^http/, "ws")}/socket.io/?EIO=4&transport=websocket${query}`);
    ws.openPacket = await ws.next();
    if (typeof ws.openPacket !== "string" || !ws.openPacket.startsWith("0{")) {
      throw new Error(`no open packet: ${String(ws.openPacket)}`);
    }
    return ws;
  }

  constructor(url) {
    this.socket = new WebSocket(url);
    this.queue = [];
    this.waiters = [];
    this.closed = new Promise((resolve) => {
      this.socket.on("close", (code) => {
        resolve({ code });
        this.push(Ws.CLOSED);
      });
    });
    this.socket.on("error", () => {}); // a refused upgrade also ends in `close`
    this.socket.on("message", (data, isBinary) => this.push(isBinary ? data : String(data)));
  }

  push(item) {
    const waiter = this.waiters.shift();
    if (waiter) waiter(item);
    else this.queue.push(item);
  }

  /** The next frame (a string, or a Buffer for binary), or Ws.CLOSED. */
  next(ms = WAIT) {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no frame within ${ms} ms`)), ms);
      this.waiters.push((item) => {
        clearTimeout(timer);
        resolve(item);
      });
    });
  }

  send(frame) {
    this.socket.send(frame, { binary: Buffer.isBuffer(frame) });
  }

  /** Joins `/` and returns the CONNECT answer. */
  async join() {
    this.send("40");
    return this.next();
  }

  close() {
    this.socket.terminate();
  }
}
Ws.CLOSED = Symbol("closed");
