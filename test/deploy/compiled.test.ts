import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/names.js";
import { exitCode, repoRoot } from "../helpers/processes.js";

// The image runs the tree `npm run build` (scripts/build-dist.mjs) compiles, with plain `node`:
// this builds it into a temporary directory and starts the all-in-one process from it, without
// any TypeScript loader.

const out = tempDir("dist");
const dataDir = tempDir("dist-data");
let child: ChildProcess | undefined;
let output = "";

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === "node_modules") return [];
    const path = join(dir, entry.name);
    return entry.isDirectory() ? files(path) : [path];
  });
}

beforeAll(() => {
  execFileSync(process.execPath, ["scripts/build-dist.mjs", "--out", out, "--link-node-modules"], {
    cwd: repoRoot,
    stdio: "pipe",
    timeout: 180_000,
  });
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill("SIGTERM");
    await exitCode(child);
  }
  rmSync(out, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

describe("the compiled tree", () => {
  it("holds JavaScript only, with entry points and exports that name .js files and no TypeScript loader", () => {
    const all = files(out);
    expect(all.filter((f) => f.endsWith(".ts"))).toEqual([]);
    for (const service of ["gateway", "warden", "query", "cache", "ingest", "discovery"]) {
      expect(all).toContain(join(out, "services", service, "src", "main.js"));
      expect(all).toContain(join(out, "services", service, "src", "telemetry.js"));
    }
    for (const file of all.filter((f) => /\.(m?js)$/.test(f))) {
      expect(readFileSync(file, "utf8"), file).not.toMatch(/from "tsx|\.ts", import\.meta\.url/);
    }
    const store = JSON.parse(readFileSync(join(out, "packages", "store", "package.json"), "utf8"));
    expect(store.exports["."]).toBe("./src/index.js");
  });

  it("starts the all-in-one process with plain node and answers over HTTP", async () => {
    child = spawn(
      process.execPath,
      ["--import", "./apps/trellis/src/telemetry.js", "./apps/trellis/src/main.js", "start"],
      {
        cwd: out,
        env: {
          PATH: process.env.PATH ?? "",
          TRELLIS_DATA_DIR: dataDir,
          TRELLIS_PORT: "0",
          TRELLIS_DEMO: "false",
          TRELLIS_LOG_LEVEL: "info",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "listening" line in time:\n${output}`)), 90_000);
      const poll = setInterval(() => {
        const line = output.split("\n").find((l) => l.includes('"trellis warehouse listening"'));
        if (line) {
          clearInterval(poll);
          clearTimeout(timer);
          resolve((JSON.parse(line) as { url: string }).url);
        }
      }, 50);
      child?.once("exit", (code) => {
        clearInterval(poll);
        clearTimeout(timer);
        reject(new Error(`exited with ${code}:\n${output}`));
      });
    });
    const response = await fetch(`${url}/api/v1/analytics/traffic?start_date=2026-01-01&end_date=2026-01-31`);
    expect(response.status).toBe(401);
    expect(output).toContain('"schema migrated"');
    child.kill("SIGTERM");
    expect(await exitCode(child)).toBe(0);
  });
});
