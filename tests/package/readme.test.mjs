// The README's Yew quick start is www/yew-chat/examples/quickstart.rs, which CI compiles (clippy
// --all-targets in scripts/test.sh): this keeps the two equal. (The README's Rust server snippets
// are doc tests of native-server.)
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
