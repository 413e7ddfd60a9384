// Tests of scripts/check-layout.mjs on tiny crates written to a temporary folder:
//   node --test scripts/check-layout.test.mjs
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";

import { blank, check, cycles, importGraph, parseUseTree } from "./check-layout.mjs";

const work = mkdtempSync(path.join(tmpdir(), "check-layout-"));
after(() => rmSync(work, { recursive: true, force: true }));

let crates = 0;
/** A crate from { "src/lib.rs": "...", ... }; returns its folder. */
function crate(files) {
  const dir = path.join(work, `crate${crates++}`);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

/** The cycles of a crate, as sorted lists of paths relative to its src/. */
function cyclesOf(dir) {
  const { graph, parentOf, problems } = importGraph(dir);
  assert.deepEqual(problems, []);
  return cycles(graph, parentOf).map((scc) => scc.map((f) => path.relative(path.join(dir, "src"), f)));
}

/** check()'s failure count and report for one crate. */
function run(dir, options = {}) {
  const lines = [];
  const failures = check([{ dir, limited: true }], { print: (l) => lines.push(l), ...options });
  return { failures, report: lines.join("\n") };
}

test("use trees: groups, nested groups, self, aliases, globs; other crates left out", () => {
  assert.deepEqual(
    parseUseTree("crate::{a::B, c::{self, d, e as f}, g::*}").map(({ segs, alias, glob }) => [segs.join("::"), alias, glob]),
    [
      ["crate::a::B", "B", false],
      ["crate::c", "c", false],
      ["crate::c::d", "d", false],
      ["crate::c::e", "f", false],
      ["crate::g", null, true],
    ],
  );
  assert.deepEqual(parseUseTree("::std::fmt"), []);
});

test("comments, strings and char literals are blanked, #[path] values kept", () => {
  const { code, paths } = blank('// use crate::a;\nlet s = "crate::b::C"; let c = \'"\';\n#[path = "x/y.rs"]\nmod y;');
  assert.doesNotMatch(code, /crate::/);
  assert.match(code, /mod y;/);
  assert.deepEqual(paths.map((p) => p.value), ["x/y.rs"]);
  assert.equal(code.split("\n").length, 4);
});

test("a parent and its child importing each other pass", () => {
  const dir = crate({
    "src/lib.rs": "mod engine;\nuse engine::Engine;\npub struct Config;\nfn f(_: Engine) {}\n",
    "src/engine.rs": "mod session;\nuse session::Session;\nuse crate::Config;\npub struct Engine;\nfn g(_: Config, _: Session) {}\n",
    "src/engine/session.rs": "use super::g;\npub struct Session;\n",
  });
  assert.deepEqual(cyclesOf(dir), []);
  const { failures, report } = run(dir);
  assert.equal(failures, 0, report);
  assert.match(report, /engine\.rs -> .*engine\/session\.rs \(parent\/child\)/);
});

test("a grandchild and the crate root importing each other are a cycle (only direct parents are allowed)", () => {
  const dir = crate({
    "src/lib.rs": "mod engine;\nuse engine::Session;\npub struct Config;\nfn f(_: Session) {}\n",
    "src/engine.rs": "mod session;\npub use session::Session;\n",
    "src/engine/session.rs": "use crate::Config;\npub struct Session;\n",
  });
  assert.deepEqual(cyclesOf(dir), [["engine/session.rs", "lib.rs"]]);
});

test("a cycle between siblings is caught: a grouped use one way, an inline super:: path the other", () => {
  const dir = crate({
    "src/lib.rs": "mod a;\nmod b;\n",
    "src/a.rs": "use crate::{b::{B, helper}};\npub struct A;\n",
    "src/b.rs": "pub struct B;\npub fn helper() -> super::a::A { super::a::A }\n",
  });
  assert.deepEqual(cyclesOf(dir), [["a.rs", "b.rs"]]);
  const { failures, report } = run(dir);
  assert.equal(failures, 1);
  assert.match(report, /CYCLE .*\(2 files\): a\.rs, b\.rs/);
  assert.match(report, /b\.rs -> a\.rs: A/);
});

test("one module below the root split into files may tie its files in a cycle; under the root it may not", () => {
  const dir = crate({
    "src/lib.rs": "mod m;\nmod x;\nmod y;\n",
    "src/m/mod.rs": "mod a;\nmod b;\npub struct M(a::A);\n",
    "src/m/a.rs": "pub struct A;\npub fn f() -> super::b::B { super::b::B }\n",
    "src/m/b.rs": "pub struct B(pub Option<super::M>);\n",
    "src/x.rs": "pub struct X(crate::y::Y);\n",
    "src/y.rs": "pub struct Y(Box<Option<crate::x::X>>);\n",
  });
  assert.deepEqual(cyclesOf(dir), [["x.rs", "y.rs"]]);
});

test("a cycle through a re-export, crate:: and self:: paths, mod.rs folders and #[path] is caught", () => {
  const dir = crate({
    "src/lib.rs": "pub mod net;\n#[path = \"layers/engine_impl.rs\"]\nmod engine;\npub use engine::Engine;\n",
    "src/net/mod.rs": "mod http;\npub use self::http::Service;\n",
    "src/net/http.rs": "use crate::Engine;\npub struct Service(Engine);\n",
    "src/layers/engine_impl.rs": "pub struct Engine;\nimpl Engine { fn f() { let _ = crate::net::Service::new; } }\n",
  });
  assert.deepEqual(cyclesOf(dir), [["layers/engine_impl.rs", "net/http.rs"]]);
});

test("a child module named inline (child::Item) is an import; comments and strings are not", () => {
  const dir = crate({
    "src/lib.rs": "mod a;\nmod b;\n",
    "src/a.rs": "mod store;\nfn f() -> store::Store { todo!() }\n",
    "src/a/store.rs": "pub struct Store;\nfn g() { let _ = crate::b::B; }\n",
    "src/b.rs": "// use crate::a::A;\nconst S: &str = \"crate::a::f\";\npub struct B;\nfn h() { super::a::f(); }\n",
  });
  assert.deepEqual(cyclesOf(dir), [["a.rs", "a/store.rs", "b.rs"]]);
  const quiet = crate({
    "src/lib.rs": "mod a;\nmod b;\n",
    "src/a.rs": "use crate::b::B;\npub fn f(_: B) {}\n",
    "src/b.rs": "// use crate::a::f;\nconst S: &str = \"super::a::f\";\npub struct B;\n",
  });
  assert.deepEqual(cyclesOf(quiet), []);
});

test("a child hanging off a cycle only by its parent is not listed in it", () => {
  const dir = crate({
    "src/lib.rs": "mod error;\nmod value;\n",
    "src/error.rs": "use crate::value::Value;\npub struct DataError(Value);\n",
    "src/value.rs": "mod map;\nuse map::Map;\nuse crate::error::DataError;\npub struct Value(Map);\nfn f(_: DataError) {}\n",
    "src/value/map.rs": "use super::Value;\npub struct Map(Vec<Value>);\n",
  });
  assert.deepEqual(cyclesOf(dir), [["error.rs", "value.rs"]]);
});

test("an inline tests module's `use super::*` and a #[path] tests file are parent/child", () => {
  const dir = crate({
    "src/lib.rs": "mod a;\n",
    "src/a.rs": "pub fn f() {}\n#[cfg(test)]\n#[path = \"a_tests.rs\"]\nmod tests;\nmod inline { use super::*; }\n",
    "src/a_tests.rs": "use super::*;\n#[test]\nfn t() { f(); }\n",
  });
  assert.deepEqual(cyclesOf(dir), []);
});

test("a file over the line limit fails", () => {
  const dir = crate({ "src/lib.rs": "pub fn f() {}\n".repeat(12) });
  assert.equal(run(dir, { maxLines: 12 }).failures, 0);
  const { failures, report } = run(dir, { maxLines: 11 });
  assert.equal(failures, 1);
  assert.match(report, /TOO LONG: .*lib\.rs: 12 lines/);
});
