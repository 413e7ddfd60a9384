// Shortens the names the wasm module and wasm-bindgen's JS glue share: the import module
// ("./sockeye_client_bg.js"), every import (`__wbg_call_275b78b3b6520b92` ...) and every export
// the glue calls (`rawmanager_new`, `__wbindgen_malloc` ...). Bundlers cannot shorten them (they
// are property names), and they cost the module and the glue a few kilobytes, half of it random
// hashes that no compressor can shrink.
//
//   node scripts/lib/shorten-names.mjs <module.wasm> <glue.js>
//
// Both files are rewritten in place. Every name must be found in the glue exactly where expected
// (an import as a key of the imports object, an export as `wasm.<name>`); anything else stops the
// build rather than produce a module that does not link.
import { readFileSync, writeFileSync } from "node:fs";

const [wasmPath, gluePath] = process.argv.slice(2);
if (!wasmPath || !gluePath) throw new Error("usage: shorten-names.mjs <module.wasm> <glue.js>");
const bytes = readFileSync(wasmPath);
let glue = readFileSync(gluePath, "utf8");

// ---- reading and writing the binary format (just what the import and export sections need) ----
function readU32(buf, pos) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = buf[pos++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) return [value, pos];
  }
}
function u32(value) {
  const out = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return Buffer.from(out);
}
function readName(buf, pos) {
  const [len, start] = readU32(buf, pos);
  return [buf.toString("utf8", start, start + len), start + len];
}
function name(text) {
  const b = Buffer.from(text, "utf8");
  return Buffer.concat([u32(b.length), b]);
}
/** Skips a `limits` (table and memory types): a flags byte, the minimum, then the maximum when set. */
function skipLimits(buf, pos) {
  const flags = buf[pos++];
  pos = readU32(buf, pos)[1];
  if (flags & 1) pos = readU32(buf, pos)[1];
  return pos;
}

/** Short identifiers: a, b, ..., Z, aa, ab, ... */
function* shortNames() {
  const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  for (let len = 1; ; len++) {
    const indices = new Array(len).fill(0);
    for (;;) {
      yield indices.map((i) => letters[i]).join("");
      let k = len - 1;
      while (k >= 0 && ++indices[k] === letters.length) indices[k--] = 0;
      if (k < 0) break;
    }
  }
}

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
function replaceExactlyOnce(text, pattern, replacement, what) {
  const matches = text.match(new RegExp(pattern, "g")) ?? [];
  if (matches.length !== 1) throw new Error(`shorten-names: ${what} found ${matches.length} times in the glue`);
  return text.replace(new RegExp(pattern), replacement);
}

// ---- the module's sections ----
if (bytes.readUInt32LE(0) !== 0x6d736100) throw new Error(`shorten-names: ${wasmPath} is not a wasm module`);
const sections = [];
for (let pos = 8; pos < bytes.length; ) {
  const id = bytes[pos];
  const [size, start] = readU32(bytes, pos + 1);
  sections.push({ id, body: bytes.subarray(start, start + size) });
  pos = start + size;
}

// The glue's imports object: `"<module>": import0` (one module for everything the glue provides).
const moduleKey = glue.match(/\n\s*"([^"]+)": import0,\n/);
if (!moduleKey) throw new Error("shorten-names: the glue's imports object was not found");
const glueModule = moduleKey[1];
const newModule = "a";
glue = replaceExactlyOnce(glue, `"${escapeRegExp(glueModule)}": import0`, `${newModule}: import0`, "the import module");

const importNames = shortNames();
const exportNames = shortNames();
let renamedImports = 0;
let renamedExports = 0;
for (const section of sections) {
  if (section.id === 2) {
    // imports: module, field, then the kind and its type
    const buf = section.body;
    let [count, pos] = readU32(buf, 0);
    const out = [u32(count)];
    for (let i = 0; i < count; i++) {
      let module, field;
      [module, pos] = readName(buf, pos);
      [field, pos] = readName(buf, pos);
      const descStart = pos;
      const kind = buf[pos++];
      if (kind === 0) pos = readU32(buf, pos)[1]; // function: type index
      else if (kind === 1) pos = skipLimits(buf, pos + 1); // table: reference type, limits
      else if (kind === 2) pos = skipLimits(buf, pos); // memory: limits
      else if (kind === 3) pos += 2; // global: value type, mutability
      else if (kind === 4) pos = readU32(buf, pos + 1)[1]; // tag: attribute, type index
      else throw new Error(`shorten-names: unknown import kind ${kind}`);
      if (module === glueModule) {
        const short = importNames.next().value;
        glue = replaceExactlyOnce(glue, `(?<=\\n\\s*)${escapeRegExp(field)}(?=: function)`, short, `import ${field}`);
        module = newModule;
        field = short;
        renamedImports++;
      }
      out.push(name(module), name(field), buf.subarray(descStart, pos));
    }
    section.body = Buffer.concat(out);
  } else if (section.id === 7) {
    // exports: name, kind, index; only those the glue reaches as `wasm.<name>`
    const buf = section.body;
    let [count, pos] = readU32(buf, 0);
    const out = [u32(count)];
    for (let i = 0; i < count; i++) {
      let field;
      [field, pos] = readName(buf, pos);
      const desc = buf.subarray(pos, pos + 1);
      pos++;
      const index = readU32(buf, pos);
      const indexBytes = buf.subarray(pos, index[1]);
      pos = index[1];
      const uses = new RegExp(`\\bwasm\\.${escapeRegExp(field)}\\b`, "g");
      if ((glue.match(uses) ?? []).length > 0) {
        let short;
        do short = exportNames.next().value;
        while (/^(do|if|in)$/.test(short));
        glue = glue.replace(uses, `wasm.${short}`);
        field = short;
        renamedExports++;
      }
      out.push(name(field), desc, indexBytes);
    }
    section.body = Buffer.concat(out);
  }
}
const left = glue.match(/\b__wbg_[A-Za-z0-9_]+_[0-9a-f]{16}\b/);
if (left) throw new Error(`shorten-names: ${left[0]} is still in the glue`);

writeFileSync(
  wasmPath,
  Buffer.concat([bytes.subarray(0, 8), ...sections.flatMap((s) => [Buffer.from([s.id]), u32(s.body.length), s.body])]),
);
writeFileSync(gluePath, glue);
console.log(`shorten-names: ${renamedImports} imports and ${renamedExports} exports renamed`);
