import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/processes.js";

// The layering rule (docs/architecture.md): the services never import each other. They talk
// over RPC; what two of them need alike lives in a runtime library under packages/ (the store,
// the platform, the contracts, BigQuery …), and only apps/ compose services into one process.
// This reads every service's package.json and every file under its src/ and test/, and every
// library's, and names each place where one reaches into a service. Tests that compose
// services live in the repository's test/ (test/e2e), like apps/.

interface Workspace {
  /** The folder under services/ or packages/. */
  folder: string;
  /** The package name (`@trellis/query`). */
  name: string;
  dir: string;
}

function workspaces(group: "services" | "packages"): Workspace[] {
  const root = join(repoRoot, group);
  return readdirSync(root)
    .filter((folder) => statSync(join(root, folder, "package.json"), { throwIfNoEntry: false })?.isFile())
    .map((folder) => {
      const dir = join(root, folder);
      const { name } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name: string };
      return { folder, name, dir };
    });
}

const services = workspaces("services");
const libraries = workspaces("packages");

function sourceFiles(dir: string): string[] {
  const entries = readdirSync(dir, { withFileTypes: true });
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" || entry.name === "dist" ? [] : sourceFiles(path);
    return /\.(ts|tsx|mts|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

/** Module specifiers of a file: static and dynamic imports, re-exports, require. */
function specifiers(text: string): string[] {
  const found: string[] = [];
  const patterns = [/\bfrom\s+["']([^"']+)["']/g, /\bimport\s*\(\s*["']([^"']+)["']/g, /\bimport\s+["']([^"']+)["']/g];
  patterns.push(/\brequire\s*\(\s*["']([^"']+)["']/g);
  for (const pattern of patterns) for (const match of text.matchAll(pattern)) found.push(match[1] as string);
  return found;
}

/** "<who> -> <service>: <where>", one per place a workspace reaches into another service. */
function violations(from: Workspace): string[] {
  const others = services.filter((s) => s.dir !== from.dir);
  const found: string[] = [];
  const manifest = JSON.parse(readFileSync(join(from.dir, "package.json"), "utf8")) as Record<string, unknown>;
  for (const field of ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"]) {
    const deps = (manifest[field] ?? {}) as Record<string, string>;
    for (const other of others)
      if (other.name in deps) found.push(`${from.name} -> ${other.name}: package.json ${field}`);
  }
  // Tests too: a test that needs two services together lives under the repository's test/.
  for (const folder of ["src", "test"]) {
    const root = join(from.dir, folder);
    if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) continue;
    for (const file of sourceFiles(root)) found.push(...importViolations(from, file, readFileSync(file, "utf8")));
  }
  return found;
}

/** The imports of one file of `from` that reach into another service, by package name or by path. */
function importViolations(from: Workspace, file: string, text: string): string[] {
  const where = relative(repoRoot, file);
  const found: string[] = [];
  for (const spec of specifiers(text)) {
    for (const other of services) {
      if (other.dir === from.dir) continue;
      const byName = spec === other.name || spec.startsWith(`${other.name}/`);
      // A relative path that leaves the workspace and lands in another service's folder.
      const byPath = spec.startsWith(".") && join(file, "..", spec).startsWith(`${other.dir}/`);
      if (byName || byPath) found.push(`${from.name} -> ${other.name}: ${where} imports "${spec}"`);
    }
  }
  return found;
}

/**
 * Violations allowed by name. Empty: a service imports no other service and no library imports a
 * service. A new entry needs a reason here; the test below fails once a listed one is gone.
 */
const known = new Set<string>([]);

describe("layering", () => {
  it("finds every service and library", () => {
    expect(services.map((s) => s.folder)).toEqual(
      expect.arrayContaining(["cache", "discovery", "export", "gateway", "ingest", "query", "warden"]),
    );
    expect(libraries.map((l) => l.folder)).toEqual(
      expect.arrayContaining(["bigquery", "contracts", "platform", "store", "traffic-rules"]),
    );
  });

  it("no service imports or depends on another service", () => {
    const found = services.flatMap(violations);
    expect(found.filter((v) => !known.has(v))).toEqual([]);
  });

  it("each known violation still exists (remove it from the list once fixed)", () => {
    const found = new Set([...services, ...libraries].flatMap(violations));
    expect([...known].filter((v) => !found.has(v))).toEqual([]);
  });

  it("no runtime library imports or depends on a service", () => {
    expect(libraries.flatMap(violations).filter((v) => !known.has(v))).toEqual([]);
  });

  it("the check itself sees an import of another service, by name and by path", () => {
    const query = services.find((s) => s.folder === "query") as Workspace;
    const text = [
      'import { a } from "@trellis/export";',
      'export * from "../../../ingest/src/index.js";',
      'const m = await import("@trellis/cache/x");',
      'import { b } from "@trellis/store";',
      'import { c } from "../domain/d.js";',
    ].join("\n");
    const found = importViolations(query, join(query.dir, "src", "questions", "x.ts"), text);
    expect(found.map((v) => v.split(":")[0])).toEqual([
      "@trellis/query -> @trellis/export",
      "@trellis/query -> @trellis/ingest",
      "@trellis/query -> @trellis/cache",
    ]);
  });
});
