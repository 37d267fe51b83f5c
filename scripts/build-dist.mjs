#!/usr/bin/env node
// Compiles every runtime workspace (packages, services, apps, tools) to JavaScript under one
// output directory that mirrors the repository: `<out>/services/query/src/main.js` and so on,
// each workspace's package.json beside its code with its exports pointing at the .js files.
// The container image runs this tree with plain `node` (no TypeScript transpiler at run time).
//
//   node scripts/build-dist.mjs [--out dist] [--link-node-modules]
//
// --link-node-modules makes the tree runnable in place: `<out>/node_modules` holds links to the
// repository's installed packages, and the workspaces' own names point at the compiled copies.
// The image does not need it: it installs node_modules into the same layout with `npm ci`.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const outArg = args.indexOf("--out");
const out = resolve(root, outArg >= 0 ? (args[outArg + 1] ?? "dist") : "dist");
const linkNodeModules = args.includes("--link-node-modules");

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// tsconfig.dist.json: the base options with emit on, tests left out.
execFileSync(
  process.execPath,
  [join(root, "node_modules/typescript/bin/tsc"), "-p", join(root, "tsconfig.dist.json"), "--outDir", out],
  { stdio: "inherit", cwd: root },
);

const workspaces = [];
for (const group of ["packages", "services", "apps", "tools"]) {
  for (const name of readdirSync(join(root, group))) {
    const dir = join(group, name);
    let manifest;
    try {
      manifest = JSON.parse(readFileSync(join(root, dir, "package.json"), "utf8"));
    } catch {
      continue;
    }
    workspaces.push({ dir, manifest });
    // Exports and bin name TypeScript sources; the compiled tree names their .js twins.
    const text = JSON.stringify(manifest, null, 2).replace(/(\.\/src\/[^"]*?)\.ts"/g, '$1.js"');
    // A workspace bundled by its own tool (the dashboard: Vite) has no compiled sources here.
    mkdirSync(join(out, dir), { recursive: true });
    writeFileSync(join(out, dir, "package.json"), `${text}\n`);
    copyPlainFiles(join(root, dir, "src"), join(out, dir, "src"));
    // bin: command wrappers; dist: assets a workspace builds itself (the browser tracker).
    for (const extra of ["bin", "dist"]) {
      try {
        cpSync(join(root, dir, extra), join(out, dir, extra), { recursive: true });
      } catch {}
    }
  }
}
rewriteWorkerEntries(out);
writeFileSync(join(out, "package.json"), readFileSync(join(root, "package.json")));

if (linkNodeModules) linkInstalledPackages(workspaces);
process.stdout.write(`compiled ${workspaces.length} workspaces to ${relative(root, out) || "."}\n`);

/** Files under src that are not TypeScript (worker boot scripts, data) travel as they are. */
function copyPlainFiles(from, to) {
  let entries;
  try {
    entries = readdirSync(from, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const source = join(from, entry.name);
    if (entry.isDirectory()) copyPlainFiles(source, join(to, entry.name));
    else if (!entry.name.endsWith(".ts")) {
      mkdirSync(to, { recursive: true });
      cpSync(source, join(to, entry.name));
    }
  }
}

/**
 * Worker threads name their module by URL (`new URL("./x.ts", import.meta.url)`), which the
 * compiler leaves alone: point those at the compiled .js, and boot workers without the
 * TypeScript loader the source tree registers for them.
 */
function rewriteWorkerEntries(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "node_modules") rewriteWorkerEntries(path);
      continue;
    }
    if (entry.name.endsWith(".js")) {
      const text = readFileSync(path, "utf8");
      const rewritten = text.replace(
        /new URL\("(\.\.?\/[^"]+)\.ts", import\.meta\.url\)/g,
        'new URL("$1.js", import.meta.url)',
      );
      if (rewritten !== text) writeFileSync(path, rewritten);
    } else if (entry.name.endsWith(".mjs")) {
      const text = readFileSync(path, "utf8");
      const rewritten = text
        .replace(/^import \{ register \} from "tsx\/esm\/api";\n/m, "")
        .replace(/^register\(\);\n/m, "");
      if (rewritten !== text) writeFileSync(path, rewritten);
    }
  }
}

/** `<out>/node_modules`: the installed packages, with the workspaces' names on the compiled copies. */
function linkInstalledPackages(list) {
  const ownNames = new Map(list.map((w) => [w.manifest.name, w.dir]));
  const modules = join(out, "node_modules");
  mkdirSync(modules, { recursive: true });
  for (const entry of readdirSync(join(root, "node_modules"))) {
    if (entry.startsWith(".")) continue;
    if (entry.startsWith("@")) {
      mkdirSync(join(modules, entry), { recursive: true });
      for (const scoped of readdirSync(join(root, "node_modules", entry))) {
        const name = `${entry}/${scoped}`;
        const target = ownNames.has(name) ? join(out, ownNames.get(name)) : join(root, "node_modules", name);
        symlinkSync(target, join(modules, name), "dir");
      }
    } else {
      const target = ownNames.has(entry) ? join(out, ownNames.get(entry)) : join(root, "node_modules", entry);
      symlinkSync(target, join(modules, entry), "dir");
    }
  }
}
