// The declarations against the package they describe: every value index.d.ts declares (the
// exports, the members of Manager, Socket and the engine, `io`'s properties) exists in the built
// package, and every public member the package has is declared, so that the two cannot drift.
// Runs on the built package (SOCKEYE_PKG, default pkg/: `bash scripts/build-client.sh pkg`),
// whose index.d.ts is the one shipped, in Node.js (no connection is made).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import ts from "typescript";

const root = path.resolve(fileURLToPath(import.meta.url), "../../..");
const pkg = path.resolve(root, process.env.SOCKEYE_PKG ?? "pkg");
const dts = path.join(pkg, "index.d.ts");
if (!existsSync(dts) || !existsSync(path.join(pkg, "index.js"))) {
  throw new Error(`${pkg} holds no built package: run \`bash scripts/build-client.sh ${pkg}\` (or set SOCKEYE_PKG)`);
}

// What the package has that index.d.ts leaves out on purpose, with the reason.
const UNDECLARED = {
  // The emitter's local `emit`: socket.io-client declares none on its Manager and engine either
  // (nothing but the protocol emits their events).
  Manager: ["emit"],
  Engine: ["emit"],
};

/** The declarations as the TypeScript checker reads them. */
function declared() {
  // ES2022 only: the declarations need nothing of the DOM's (and a smaller lib reads faster).
  const program = ts.createProgram([dts], { strict: true, noEmit: true, types: [], lib: ["lib.es2022.d.ts"] });
  const diagnostics = [...program.getSyntacticDiagnostics(), ...program.getSemanticDiagnostics(program.getSourceFile(dts))];
  assert.deepEqual(
    diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")),
    [],
    "index.d.ts checks",
  );
  const checker = program.getTypeChecker();
  const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(dts)));
  const byName = new Map(exports.map((s) => [s.name, s]));
  const resolve = (s) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
  // A value, as opposed to a type or a namespace of types only.
  const values = exports.filter((s) => resolve(s).flags & ts.SymbolFlags.Value).map((s) => s.name);
  const members = (type) =>
    Object.fromEntries(
      checker
        .getPropertiesOfType(type)
        .filter((p) => !p.name.startsWith("__@")) // symbol-keyed: types only
        .map((p) => [p.name, p.flags & ts.SymbolFlags.Method ? "function" : "value"]),
    );
  const instance = (name) => members(checker.getDeclaredTypeOfSymbol(resolve(byName.get(name))));
  return {
    values,
    Manager: instance("Manager"),
    Socket: instance("Socket"),
    Engine: instance("Engine"),
    io: members(checker.getTypeOfSymbol(resolve(byName.get("io")))),
  };
}

/** The public string-keyed members of `object`, own and inherited, up to Object.prototype. */
function publicMembers(object) {
  const names = new Set();
  for (let o = object; o && o !== Object.prototype && o !== Function.prototype; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) if (name !== "constructor") names.add(name);
  }
  return names;
}

/** Each declared member is there (a method as a function); each public one is declared. */
function compare(what, object, members, undeclared = []) {
  const missing = Object.keys(members).filter((name) => !(name in object));
  assert.deepEqual(missing, [], `${what}: declared in index.d.ts, missing from the package`);
  const notFunctions = Object.entries(members)
    .filter(([name, kind]) => kind === "function" && typeof object[name] !== "function")
    .map(([name]) => name);
  assert.deepEqual(notFunctions, [], `${what}: declared as methods, not functions in the package`);
  const extra = [...publicMembers(object)].filter((name) => !(name in members) && !undeclared.includes(name));
  assert.deepEqual(extra, [], `${what}: in the package, not declared in index.d.ts`);
}

test("index.d.ts declares what the package exports, and nothing it does not", async () => {
  const d = declared();
  const sockeye = await import(pathToFileURL(path.join(pkg, "index.js")).href);
  assert.deepEqual(Object.keys(sockeye).sort(), [...d.values].sort(), "the exported values");

  const { io, Manager, Socket } = sockeye;
  compare("io", io, d.io, [...publicMembers(function () {})]);
  assert.equal(io.Manager, Manager, "io.Manager");
  assert.equal(io.Socket, Socket, "io.Socket");

  // Made, not connected: long-polling needs only `fetch`, which Node.js has.
  const manager = new Manager("http://127.0.0.1:9", { autoConnect: false, transports: ["polling"] });
  const socket = manager.socket("/", { auth: { token: "t" } });
  compare("Manager", manager, d.Manager, UNDECLARED.Manager);
  compare("Socket", socket, d.Socket);
  compare("manager.engine", manager.engine, d.Engine, UNDECLARED.Engine);
  assert.ok(new Socket(manager, "/other") instanceof Socket, "new Socket(manager, nsp)");
  manager.close();
});
