// Builds the dashboard into dist/ when its sources changed since the last build (or with --force).
// The hash covers this workspace's sources and the generated contracts it bundles; dist/ is
// gitignored, so `npm start` and `npm test` build it on a fresh clone and skip it afterwards.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const web = join(dirname(fileURLToPath(import.meta.url)), "..");
const root = join(web, "..", "..");
const dist = join(web, "dist");
const stamp = join(dist, ".source-hash");

function files(path) {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => files(join(path, name)));
}

function sourceHash() {
  const hash = createHash("sha256");
  const inputs = [
    join(web, "index.html"),
    join(web, "vite.config.ts"),
    join(web, "package.json"),
    join(web, "src"),
    join(root, "packages", "contracts", "src"),
    join(root, "package-lock.json"),
  ];
  for (const file of inputs.flatMap(files)) {
    hash.update(relative(root, file)).update("\0").update(readFileSync(file)).update("\0");
  }
  return hash.digest("hex");
}

const wanted = sourceHash();
if (!process.argv.includes("--force") && existsSync(stamp) && readFileSync(stamp, "utf8") === wanted) process.exit(0);

process.stderr.write("Building the dashboard (apps/web)…\n");
const { build } = await import("vite");
await build({ root: web, configFile: join(web, "vite.config.ts"), logLevel: "warn" });
writeFileSync(stamp, wanted);
