// Installs the locked dependencies when node_modules is missing or was installed from another
// package-lock.json, so `npm start` and `npm test` work on a fresh clone. Uses only Node's
// standard library. Then builds what the product serves from sources (the browser tracker and
// the dashboard), which their build scripts skip when the output is current. `npm ci`: exactly
// what package-lock.json says (it holds every platform's optional binaries of biome, buf and
// esbuild), never a change to it; it fails if the lockfile and package.json disagree, which
// `npm install` would have papered over by rewriting it.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const lock = join(root, "package-lock.json");
const stamp = join(root, "node_modules", ".trellis-lock-hash");
const lockHash = () => createHash("sha256").update(readFileSync(lock)).digest("hex");

if (!existsSync(stamp) || readFileSync(stamp, "utf8") !== lockHash()) {
  process.stderr.write("Installing dependencies from package-lock.json…\n");
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  execFileSync(npm, ["ci", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" });
  writeFileSync(stamp, lockHash());
}

execFileSync(process.execPath, [join(root, "packages", "tracker", "build.mjs")], { cwd: root, stdio: "inherit" });
// The dashboard the gateway serves at `/`: built when its sources changed, skipped otherwise.
execFileSync(process.execPath, [join(root, "apps", "web", "scripts", "build.mjs")], { cwd: root, stdio: "inherit" });
