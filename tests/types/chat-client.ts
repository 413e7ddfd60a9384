// The TypeScript a Rust schema generates (chat-events.ts, from tests/schema's `ChatEvents`:
// `sockeye_core::schema::typescript`) typing a JavaScript client of the `sockeye` package, as
// socket.io's TypeScript guide uses its maps. tsc -p tests/types checks it (scripts/test.sh):
// the right payloads compile, and each `// @ts-expect-error` line (a wrong payload) must not.
// Never run: `check` only gives the statements a scope.
import { io, Socket } from "sockeye";
import type { ChatLine, ClientToServerEvents, ServerToClientEvents } from "./chat-events";

/** Whether `A` and `B` are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Compiles only when `A` is exactly `B`. */
function same<A, B>(_proof: Equal<A, B>): void {}

export async function check(): Promise<void> {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io();

  // Client to server: the arguments and acknowledgements the Rust server's handlers take.
  socket.emit("message", "hello", (count) => same<typeof count, number>(true));
  const count = await socket.emitWithAck("message", "hello");
  same<typeof count, number>(true);
  socket.emit("typing", true);
  socket.emit("join", "lobby", "ann", () => {});
  // @ts-expect-error a wrong payload type (the Rust side's `text: String`)
  socket.emit("message", 42, (count) => count);
  // @ts-expect-error a wrong acknowledgement type (the Rust side's `count: u32`)
  socket.emit("message", "hello", (count: string) => count);
  // @ts-expect-error a missing argument (`join` takes a room and a user)
  socket.emit("join", "lobby", () => {});
  // @ts-expect-error `typing` takes a boolean
  socket.emit("typing", "yes");
  // @ts-expect-error an event the schema does not declare
  socket.emit("shout", "hello");

  // Server to client: the listeners the Rust server's emits reach.
  socket.on("chat", (line) => {
    same<typeof line, ChatLine>(true);
    same<typeof line.seq, number>(true);
  });
  socket.on("members", (room, names) => same<[typeof room, typeof names], [string, string[]]>(true));
  socket.on("chat:ask", (question, callback) => {
    same<typeof question, string>(true);
    callback(question.length > 0 ? "yes" : null);
    // @ts-expect-error the answer is a string or null
    callback(42);
  });
  // @ts-expect-error a listener of the wrong payload type
  socket.on("chat", (line: string) => line);
  // @ts-expect-error `message` goes from the client to the server only
  socket.on("message", () => {});
}
