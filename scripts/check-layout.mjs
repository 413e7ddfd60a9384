#!/usr/bin/env node
// The layout check of issue 14: prints the import graph between the files of each crate and fails
// (exit 1) on an import cycle between files, or on a source file over the line limit.
//
//   node scripts/check-layout.mjs [--quiet] [--max-lines N] [CRATE_DIR...]
//
// CRATE_DIRs default to the project's crates (core, websocket, native-server, wasm-client, redis-adapter, yew-hooks,
// loadgen); the line limit (1,000, tests included) applies to the files under their src/ but
// loadgen's. --quiet prints only what fails.
//
// How a crate is read (no dependency: a light Rust reader that blanks comments and literals):
//   - crate roots: src/lib.rs, src/main.rs, src/bin/*.rs, src/bin/*/main.rs (each its own crate,
//     so `crate::` means the root it is reached from);
//   - `mod x;` maps to x.rs or x/mod.rs beside a mod-rs file (lib.rs, main.rs, mod.rs) and under
//     a folder named after any other file; `#[path = "..."] mod x;` is relative to the file's
//     folder; inline `mod x { ... }` blocks are modules of the file that holds them;
//   - an import is a `use` item (groups `{a::B, c::{d, e}}`, `self`, `as`, globs) or a path
//     written in code (`crate::x::y`, `super::x`, `self::x`, `child::x`, `Imported::x`), resolved from the module it is in
//     (`super::`, `self::`, a child module's name) down to the file that defines the item,
//     following `use` re-exports (named and glob) on the way; other crates' paths are ignored.
// A file's import of its direct parent module's file, or of one of its own child modules' files,
// is allowed and not drawn as a cycle, and so is a cycle among the files of one module below the
// crate root (the module and its direct children: one module split into files); any other
// strongly connected set of files is (siblings under the crate root are the crate's layers).
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** The crates checked by default, and whether their src/ files are held to the line limit. */
export const CRATES = [
  ["core", true],
  ["websocket", true],
  ["native-server", true],
  ["wasm-client", true],
  ["redis-adapter", true],
  ["yew-hooks", true],
  ["loadgen", false],
];
export const MAX_LINES = 1000;

/**
 * `text` with comments, string, char and byte literals blanked to spaces (newlines kept), so that
 * offsets and line numbers stay those of the file. `#[path = "..."]` values are returned apart.
 */
export function blank(text) {
  const out = text.split("");
  const paths = [];
  const wipe = (from, to) => {
    for (let k = from; k < to; k++) if (out[k] !== "\n") out[k] = " ";
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === "/" && next === "/") {
      const end = text.indexOf("\n", i);
      const stop = end < 0 ? text.length : end;
      wipe(i, stop);
      i = stop;
    } else if (c === "/" && next === "*") {
      // Block comments nest in Rust.
      let depth = 0;
      let j = i;
      do {
        if (text[j] === "/" && text[j + 1] === "*") (depth++, (j += 2));
        else if (text[j] === "*" && text[j + 1] === "/") (depth--, (j += 2));
        else j++;
      } while (depth > 0 && j < text.length);
      wipe(i, j);
      i = j;
    } else if (/[rb]/.test(c) && /^(?:b?r#*")/.test(text.slice(i, i + 20)) && !/\w/.test(text[i - 1] ?? "")) {
      // Raw strings: r"...", r#"..."#, br#"..."#.
      const m = /^b?r(#*)"/.exec(text.slice(i, i + 20));
      const close = `"${m[1]}`;
      const end = text.indexOf(close, i + m[0].length);
      const stop = end < 0 ? text.length : end + close.length;
      wipe(i + m[0].length, stop - close.length);
      i = stop;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      const attr = /#\[\s*path\s*=\s*$/.exec(text.slice(Math.max(0, i - 40), i));
      if (attr) paths.push({ end: j + 1, value: text.slice(i + 1, j) });
      wipe(i + 1, j);
      i = j + 1;
    } else if (c === "'") {
      // A char literal ('a', '\n', '\u{1F600}', '"'), or a lifetime / label ('a, 'static).
      const m = /^'(?:\\u\{[0-9a-fA-F]+\}|\\.|[^\\'])'/su.exec(text.slice(i, i + 12));
      if (m) {
        wipe(i + 1, i + m[0].length - 1);
        i += m[0].length;
      } else i++;
    } else i++;
  }
  return { code: out.join(""), paths };
}

/** The paths a `use` tree names: [{ segs, alias, glob }] (`self` in a group names the prefix). */
export function parseUseTree(tree) {
  const tokens = tree.match(/::|[{},*]|\bas\b|[A-Za-z_][\w]*/g) ?? [];
  let k = 0;
  const results = [];
  function walk(prefix) {
    const segs = [...prefix];
    for (;;) {
      const t = tokens[k];
      if (t === "{") {
        k++;
        while (k < tokens.length && tokens[k] !== "}") {
          walk(segs);
          if (tokens[k] === ",") k++;
        }
        k++;
        return;
      }
      if (t === "*") {
        k++;
        results.push({ segs, alias: null, glob: true });
        return;
      }
      if (t === "::") {
        k++;
        if (segs.length === 0) segs.push("::"); // a leading `::`: another crate
        continue;
      }
      if (t === undefined || t === "," || t === "}") return;
      k++;
      if (t === "self" && segs.length > 0 && segs.length === prefix.length) {
        // `a::{self, B}`: names `a` itself.
      } else segs.push(t);
      if (tokens[k] === "::") continue;
      let alias = segs[segs.length - 1];
      if (tokens[k] === "as") {
        alias = tokens[k + 1];
        k += 2;
      }
      results.push({ segs, alias, glob: false });
      return;
    }
  }
  while (k < tokens.length) {
    walk([]);
    if (tokens[k] === "," || tokens[k] === "}") k++;
  }
  return results.filter((r) => r.segs[0] !== "::");
}

const ITEM_ANY = /\b(?:struct|enum|union|trait|type|fn|const|static|macro_rules!)\s+([A-Za-z_]\w*)/g;

/**
 * Reads one crate (the folder holding Cargo.toml and src/): its module tree, from every crate
 * root, and the imports of each file. Returns { roots, files: Map(file -> { modules, refs }) ,
 * parentOf: Map(file -> file), problems }.
 */
export function readCrate(crateDir) {
  const src = path.join(crateDir, "src");
  const roots = [];
  for (const name of ["lib.rs", "main.rs"]) if (existsSync(path.join(src, name))) roots.push(path.join(src, name));
  const binDir = path.join(src, "bin");
  if (existsSync(binDir)) {
    for (const entry of readdirSync(binDir).sort()) {
      const full = path.join(binDir, entry);
      if (entry.endsWith(".rs")) roots.push(full);
      else if (statSync(full).isDirectory() && existsSync(path.join(full, "main.rs"))) roots.push(path.join(full, "main.rs"));
    }
  }
  const problems = [];
  // Modules by "root|a::b", each { key, root, segs, file, inline, children: Map, defs: Set,
  // rawUses: [{segs, alias, glob}], uses: Map(alias -> abs segs), globs: [abs segs], refs: [...] }.
  const modules = new Map();
  const parentOf = new Map();
  const files = new Map();
  const macros = new Map();

  function newModule(root, segs, file, inline) {
    const m = { key: `${root}|${segs.join("::")}`, root, segs, file, inline, children: new Map(), defs: new Set(), rawUses: [], uses: new Map(), globs: [], rawRefs: [] };
    modules.set(m.key, m);
    return m;
  }

  function readFile(root, file, segs, parentFile) {
    if (parentFile) parentOf.set(file, parentOf.get(file) ?? parentFile);
    const mod = newModule(root, segs, file, false);
    if (!files.has(file)) files.set(file, { refs: [], lines: 0 });
    const text = readFileSync(file, "utf8");
    const { code, paths } = blank(text);
    const isModRs = /^(lib|main|mod)\.rs$/.test(path.basename(file)) || roots.includes(file);
    const childDir = isModRs ? path.dirname(file) : path.join(path.dirname(file), path.basename(file, ".rs"));
    const lineOf = (offset) => code.slice(0, offset).split("\n").length;
    const stack = [{ mod, depth: 0, dir: childDir }];
    let depth = 0;
    const useRanges = [];
    const re = /\buse\s+([^;{]*(?:\{[^;]*)?);|\bmod\s+([A-Za-z_]\w*)\s*([;{])|[{}]|(?<![\w:])(?!Self\b)[A-Za-z_]\w*(?:\s*::\s*[A-Za-z_]\w*)+/g;
    let m;
    while ((m = re.exec(code)) !== null) {
      const top = stack[stack.length - 1];
      const here = top.mod;
      if (m[0] === "{") depth++;
      else if (m[0] === "}") {
        depth--;
        if (stack.length > 1 && depth < top.depth) stack.pop();
      } else if (m[1] !== undefined) {
        useRanges.push([m.index, m.index + m[0].length]);
        // A re-export (`pub use`, `pub(crate) use`) is see-through: it ties this file to what it
        // names only where this file's own code uses the name too.
        const reexport = /\bpub\s*(\([^)]*\)\s*)?$/.test(code.slice(Math.max(0, m.index - 40), m.index));
        for (const u of parseUseTree(m[1])) here.rawUses.push({ ...u, reexport, line: lineOf(m.index) });
      } else if (m[2] !== undefined) {
        const name = m[2];
        if (m[3] === "{") {
          depth++;
          const inline = newModule(root, [...here.segs, name], file, true);
          here.children.set(name, inline);
          stack.push({ mod: inline, depth, dir: path.join(top.dir, name) });
        } else {
          const attr = paths.filter((p) => p.end <= m.index).at(-1);
          const between = attr ? code.slice(attr.end, m.index) : null;
          let target;
          if (attr && /^\s*\]\s*(#\[[^\]]*\]\s*)*(pub(\s*\([^)]*\))?\s+)?$/.test(between)) {
            const base = stack.length > 1 ? top.dir : path.dirname(file);
            target = path.resolve(base, attr.value);
          } else {
            const candidates = [path.join(top.dir, `${name}.rs`), path.join(top.dir, name, "mod.rs")];
            target = candidates.find((c) => existsSync(c));
            if (!target) {
              problems.push(`${rel(file)}:${lineOf(m.index)}: mod ${name}: neither ${candidates.map(rel).join(" nor ")}`);
              continue;
            }
          }
          if (!existsSync(target)) {
            problems.push(`${rel(file)}:${lineOf(m.index)}: mod ${name}: ${rel(target)} not found`);
            continue;
          }
          here.children.set(name, readFile(root, target, [...here.segs, name], file));
        }
      } else {
        const segs = m[0].split("::").map((s) => s.trim());
        here.rawRefs.push({ segs, line: lineOf(m.index) });
      }
    }
    // The words of this file's code outside its `use` items.
    const rest = code.split("");
    for (const [from, to] of useRanges) for (let k = from; k < to; k++) rest[k] = " ";
    const words = new Set(rest.join("").match(/[A-Za-z_]\w*/g) ?? []);
    for (const m2 of modules.values()) {
      if (m2.file !== file) continue;
      for (const u of m2.rawUses) u.usedHere = u.glob ? false : words.has(u.alias);
    }
    // Items defined in this file's own module (approximate: any depth, inline modules included).
    for (const d of code.matchAll(ITEM_ANY)) mod.defs.add(d[1]);
    // #[macro_export] macros live at the crate root, wherever they are written.
    for (const d of code.matchAll(/#\[macro_export\][^!]{0,200}?macro_rules!\s*([A-Za-z_]\w*)/g)) macros.set(d[1], file);
    files.get(file).lines = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
    return mod;
  }

  for (const root of roots) readFile(root, root, [], null);
  return { roots, modules, parentOf, files, macros, problems };
}

const rel = (file) => path.relative(ROOT, file) || file;

/** The module `segs` names in the tree of `root`, or undefined. */
function moduleAt(crate, root, segs) {
  return crate.modules.get(`${root}|${segs.join("::")}`);
}

/** `segs` as written in module `mod`, made absolute (from the crate root), or null (another crate). */
function absolute(crate, mod, segs) {
  let base = mod.segs;
  let k = 0;
  if (segs[0] === "crate") (base = []), (k = 1);
  else if (segs[0] === "self") k = 1;
  else if (segs[0] === "super") {
    while (segs[k] === "super") {
      if (base.length === 0) return null;
      base = base.slice(0, -1);
      k++;
    }
  } else if (!mod.children.has(segs[0])) {
    // A name the module imported (`use super::engine;` then `engine::X`), else another crate.
    const imported = mod.uses.get(segs[0]);
    return imported ? [...imported, ...segs.slice(1)] : null;
  }
  return [...base, ...segs.slice(k)];
}

/**
 * The file that defines what absolute path `segs` names: walks modules, then follows `use`
 * re-exports (named, then glob). strict: null when the name is not known where it ends.
 */
function resolve(crate, root, segs, strict = false, seen = new Set()) {
  let mod = moduleAt(crate, root, []);
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i];
    const child = mod.children.get(seg);
    if (child) {
      mod = child;
      continue;
    }
    if (mod.defs.has(seg)) return mod.file;
    const key = `${mod.key}|${seg}`;
    if (!seen.has(key)) {
      seen.add(key);
      const rest = segs.slice(i + 1);
      const target = mod.uses.get(seg);
      if (target) {
        const found = resolve(crate, root, [...target, ...rest], true, seen);
        if (found) return found;
      }
      for (const glob of mod.globs) {
        const found = resolve(crate, root, [...glob, seg, ...rest], true, seen);
        if (found) return found;
      }
    }
    if (mod.segs.length === 0 && crate.macros.has(seg)) return crate.macros.get(seg);
    return strict ? null : mod.file;
  }
  return mod.file;
}

/** The name `segs` takes from a module: its first segment past the modules (or the last module). */
function itemName(crate, root, segs) {
  let mod = moduleAt(crate, root, []);
  for (const seg of segs) {
    const child = mod.children.get(seg);
    if (!child) return seg;
    mod = child;
  }
  return segs.at(-1);
}

/** The import graph of one crate: Map(file -> Map(file -> Set of names)), and problems. */
export function importGraph(crateDir) {
  const crate = readCrate(crateDir);
  for (const mod of crate.modules.values()) {
    for (const u of mod.rawUses) {
      const abs = absolute(crate, mod, u.segs);
      if (!abs) continue;
      if (u.glob) mod.globs.push(abs);
      else if (u.alias && u.alias !== "_") mod.uses.set(u.alias, abs);
    }
  }
  const graph = new Map([...crate.files.keys()].map((f) => [f, new Map()]));
  for (const mod of crate.modules.values()) {
    const refs = [
      ...mod.rawUses.filter((u) => !u.reexport || u.usedHere).map((u) => u.segs),
      ...mod.rawRefs.map((r) => r.segs),
    ];
    for (const segs of refs) {
      const abs = absolute(crate, mod, segs);
      if (!abs || abs.length === 0) continue;
      const target = resolve(crate, mod.root, abs);
      if (!target || target === mod.file) continue;
      const edges = graph.get(mod.file);
      if (!edges.has(target)) edges.set(target, new Set());
      edges.get(target).add(itemName(crate, mod.root, abs));
    }
  }
  return { graph, parentOf: crate.parentOf, files: crate.files, problems: crate.problems };
}

/** Whether an import from `a` to `b` is between a module and its direct parent. */
function parentChild(parentOf, a, b) {
  return parentOf.get(a) === b || parentOf.get(b) === a;
}

/**
 * Whether `files` are one module split into files: a module below the crate root and its direct
 * children (a folder's files are that module's business, as issue 14's "except a parent module
 * and its children" says). The crate root is left out: its children are the crate's layers.
 */
function oneModule(parentOf, files) {
  const parents = new Set(files.map((f) => parentOf.get(f) ?? f));
  for (const p of parents) {
    if (parentOf.get(p) === undefined) continue;
    if (files.every((f) => f === p || parentOf.get(f) === p)) return true;
  }
  return false;
}

/**
 * The cycles of `graph`: its strongly connected sets of files that hold at least one import other
 * than a parent/child one (a set tied only by parent/child imports is a module and its children
 * using each other, which is allowed: the module tree has no other closed path). Sorted, largest
 * first.
 */
export function cycles(graph, parentOf) {
  const index = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const out = [];
  let counter = 0;
  const next = (v) => [...graph.get(v).keys()].filter((w) => graph.has(w));
  function connect(v) {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) === index.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      const inSet = new Set(scc);
      const tied = scc.some((a) => next(a).some((b) => inSet.has(b) && !parentChild(parentOf, a, b)));
      if (tied && !oneModule(parentOf, scc)) out.push(pruned(inSet).sort());
    }
  }
  // Leaves out a member tied to the rest only by importing, and being imported by, one parent or
  // child (a value.rs/value/map.rs pair hanging off a cycle): it is on no cycle but that pair.
  function pruned(set) {
    for (let changed = true; changed; ) {
      changed = false;
      for (const v of set) {
        const around = new Set([...next(v), ...[...set].filter((u) => graph.get(u).has(v))].filter((u) => set.has(u) && u !== v));
        const [u] = around;
        if (around.size === 1 && parentChild(parentOf, v, u)) {
          set.delete(v);
          changed = true;
        }
      }
    }
    return [...set];
  }
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) connect(v);
  return out.sort((a, b) => b.length - a.length || a[0].localeCompare(b[0]));
}

/** One closed path through a cycle, for the report: [a, b, ..., a], led by an import that is not parent/child. */
function onePath(graph, parentOf, scc) {
  const inSet = new Set(scc);
  const [from, to] = scc
    .flatMap((a) => [...graph.get(a).keys()].map((b) => [a, b]))
    .find(([a, b]) => inSet.has(b) && !parentChild(parentOf, a, b));
  // The shortest way back from `to` to `from`, inside the set.
  const prev = new Map([[to, null]]);
  const queue = [to];
  while (queue.length) {
    const v = queue.shift();
    if (v === from) break;
    for (const w of graph.get(v).keys()) {
      if (inSet.has(w) && !prev.has(w)) (prev.set(w, v), queue.push(w));
    }
  }
  const back = [];
  for (let x = from; x !== null; x = prev.get(x)) back.push(x);
  // back runs from `from` to `to`: the cycle is from -> to -> ... -> from.
  return [from, ...back.reverse()];
}

/** Checks crates; prints the report through `print`; returns the number of failures. */
export function check(crateDirs, { quiet = false, maxLines = MAX_LINES, print = console.log } = {}) {
  let failures = 0;
  for (const { dir, limited } of crateDirs) {
    const { graph, parentOf, files, problems } = importGraph(dir);
    const short = (f) => path.relative(path.join(dir, "src"), f);
    if (!quiet) {
      print(`${rel(dir)}: ${graph.size} files`);
      for (const [file, edges] of [...graph].sort(([a], [b]) => a.localeCompare(b))) {
        const list = [...edges.keys()].sort().map((t) => short(t) + (parentChild(parentOf, file, t) ? " (parent/child)" : ""));
        print(`  ${short(file)}${list.length ? ` -> ${list.join(", ")}` : ""}`);
      }
    }
    for (const problem of problems) print(`  warning: ${problem}`);
    // A file no `mod` reaches is not in the graph: say so rather than pass it silently.
    for (const file of listRs(path.join(dir, "src"))) {
      if (!graph.has(file)) print(`  warning: ${rel(file)} is in no crate's module tree (read by nothing here)`);
    }
    for (const scc of cycles(graph, parentOf)) {
      failures++;
      print(`CYCLE in ${rel(dir)} (${scc.length} files): ${scc.map(short).join(", ")}`);
      print(`  for example: ${onePath(graph, parentOf, scc).map(short).join(" -> ")}`);
      for (const file of scc) {
        for (const [target, names] of [...graph.get(file)].sort(([a], [b]) => a.localeCompare(b))) {
          if (!scc.includes(target)) continue;
          const note = parentChild(parentOf, file, target) ? " (parent/child)" : "";
          print(`    ${short(file)} -> ${short(target)}${note}: ${[...names].sort().join(", ")}`);
        }
      }
    }
    if (limited) {
      for (const file of listRs(path.join(dir, "src"))) {
        const lines = files.get(file)?.lines ?? readFileSync(file, "utf8").split("\n").length - 1;
        if (lines > maxLines) {
          failures++;
          print(`TOO LONG: ${rel(file)}: ${lines} lines (at most ${maxLines}, tests included)`);
        }
      }
    }
  }
  return failures;
}

function listRs(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true })
    .filter((f) => f.endsWith(".rs"))
    .map((f) => path.join(dir, f))
    .sort();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const args = process.argv.slice(2);
  let quiet = false;
  let maxLines = MAX_LINES;
  const dirs = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--quiet") quiet = true;
    else if (args[i] === "--max-lines") maxLines = Number(args[++i]);
    else if (args[i] === "-h" || args[i] === "--help") {
      console.log("usage: node scripts/check-layout.mjs [--quiet] [--max-lines N] [CRATE_DIR...]");
      process.exit(0);
    } else if (args[i].startsWith("-")) {
      console.error(`check-layout: unknown option ${args[i]}`);
      process.exit(2);
    } else dirs.push({ dir: path.resolve(args[i]), limited: true });
  }
  const crates = dirs.length ? dirs : CRATES.map(([name, limited]) => ({ dir: path.join(ROOT, name), limited }));
  const failures = check(crates, { quiet, maxLines });
  console.log(failures ? `check-layout: ${failures} failure(s)` : "check-layout: no import cycle, no file over the limit");
  process.exit(failures ? 1 : 0);
}
