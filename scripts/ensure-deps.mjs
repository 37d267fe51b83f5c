// Installs the locked dependencies when node_modules is missing or was installed from another
// package-lock.json, so `npm start` and `npm test` work on a fresh clone. Uses only Node's
// standard library. `npm install` rather than `npm ci`: the lockfile holds only this
// platform's optional binaries (biome, buf, esbuild), which `npm ci` would refuse.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const lock = join(root, "package-lock.json");
const stamp = join(root, "node_modules", ".trellis-lock-hash");
const lockHash = () => createHash("sha256").update(readFileSync(lock)).digest("hex");

if (existsSync(stamp) && readFileSync(stamp, "utf8") === lockHash()) process.exit(0);

process.stderr.write("Installing dependencies from package-lock.json…\n");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
execFileSync(npm, ["install", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" });
writeFileSync(stamp, lockHash());
