// Builds the classic-script client (wasm-client/js/classic.js: a global `io`, as socket.io-client's
// `socket.io.js`) from a package that scripts/build-client.sh made, into its `classic/` folder:
//
//   socket.io.js       an IIFE bundle (esbuild, minified) of classic.js, client.js, debug.js and
//                      the package's wasm-bindgen glue
//   socket.io.js.map   its source map (the sources inlined)
//   socket.io.wasm     the package's module, which socket.io.js fetches from beside itself
//
// sockeye-server serves these three at /socket.io/ (`serve_client`). Prints their sizes.
//
//   node scripts/build-classic.mjs PKG_DIR
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(fileURLToPath(import.meta.url), "../..");
const pkg = path.resolve(process.argv[2] ?? "pkg");
const out = path.join(pkg, "classic");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

await build({
  entryPoints: [path.join(root, "wasm-client/js/classic.js")],
  outfile: path.join(out, "socket.io.js"),
  bundle: true,
  format: "iife",
  minify: true,
  sourcemap: true,
  target: "es2022",
  logLevel: "warning",
  plugins: [
    {
      // The glue is the package's (its names shortened to match its module), not a source file.
      name: "glue",
      setup(b) {
        b.onResolve({ filter: /^\.\/sockeye_client\.js$/ }, () => ({ path: path.join(pkg, "sockeye_client.js") }));
      },
    },
  ],
});
copyFileSync(path.join(pkg, "sockeye_client_bg.wasm"), path.join(out, "socket.io.wasm"));

const size = (name) => {
  const file = path.join(out, name);
  // gzip -9, as scripts/bench-size.sh measures (zlib's level 9 differs by a few hundred bytes).
  const gzip = execFileSync("gzip", ["-9", "-c", file], { maxBuffer: 1 << 28 }).length;
  return { raw: readFileSync(file).length, gzip };
};
const js = size("socket.io.js");
const wasm = size("socket.io.wasm");
console.log(
  `build-classic: ${out}/socket.io.js: ${js.raw} bytes, ${js.gzip} gzipped (-9); ` +
    `with socket.io.wasm (${wasm.gzip}): ${js.gzip + wasm.gzip} bytes gzipped`,
);
