// The README's Yew quick start is www/yew-chat/examples/quickstart.rs, which CI compiles (clippy
// --all-targets in scripts/test.sh), and its native quick start is wasm-client/README.md's, a doc
// test of sockeye-client with `native`: this keeps each equal to what is compiled. (The README's
// Rust server snippets are doc tests of native-server.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";

import { root } from "../support/harness.mjs";

test("the README's Yew quick start is examples/quickstart.rs", () => {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  const block = readme.match(/```rust,ignore\n([\s\S]*?)```/);
  assert.ok(block, "the README has a rust,ignore block");
  const example = readFileSync(path.join(root, "www/yew-chat/examples/quickstart.rs"), "utf8")
    .replace(/^(\/\/!.*\n)+/, "");
  assert.equal(block[1], example);
});

test("the README's native quick start is the crate README's, which cargo test --doc compiles", () => {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Native Rust quick start"));
  const block = section.match(/```rust,ignore\n([\s\S]*?)```/);
  assert.ok(block, "the README has a native quick start");
  const crate = readFileSync(path.join(root, "wasm-client/README.md"), "utf8");
  const doctested = crate.match(/```rust,no_run\n([\s\S]*?)```/);
  assert.ok(doctested, "the crate README has a rust,no_run block");
  assert.equal(block[1], doctested[1]);
});
