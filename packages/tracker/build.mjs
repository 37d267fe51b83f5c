// Builds browser/tracker.ts into dist/tracker.js (a minified plain script) with esbuild, and
// does nothing when the output is current: the stamp beside it holds a hash of the sources,
// this script and esbuild's version. Run by `npm start` and `npm test` (scripts/ensure-deps.mjs).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const sourceDir = join(here, "browser");
const outFile = join(here, "dist", "tracker.js");
const stampFile = join(here, "dist", ".build-hash");
const require = createRequire(import.meta.url);
const esbuildVersion = require("esbuild/package.json").version;

const hash = createHash("sha256")
  .update(esbuildVersion)
  .update(readFileSync(fileURLToPath(import.meta.url)));
for (const name of readdirSync(sourceDir).sort()) hash.update(name).update(readFileSync(join(sourceDir, name)));
// The one file outside browser/ the bundle takes: the URL parameters ingest reads.
hash.update(readFileSync(join(here, "..", "contracts", "src", "url-parameters.ts")));
const digest = hash.digest("hex");

if (existsSync(outFile) && existsSync(stampFile) && readFileSync(stampFile, "utf8") === digest) process.exit(0);

const { build } = await import("esbuild");
mkdirSync(dirname(outFile), { recursive: true });
await build({
  entryPoints: [join(sourceDir, "tracker.ts")],
  outfile: outFile,
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2020",
  legalComments: "none",
  banner: { js: "/* Trellis tracker — https://github.com/trellis-warehouse */" },
  logLevel: "warning",
});
writeFileSync(stampFile, digest);
process.stderr.write(`Built ${outFile} (${readFileSync(outFile).length} bytes)\n`);
