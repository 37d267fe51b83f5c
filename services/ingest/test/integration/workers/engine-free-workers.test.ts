import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

// Preparing events never loads the engine: a worker thread that had loaded chDB's addon left,
// once terminated, every later statement of the process about 40 ms slower. Each case runs in a
// process of its own (the test runner's may have loaded the engine already).
const run = promisify(execFile);
const script = fileURLToPath(new URL("./engine-free-process.ts", import.meta.url));

async function inOwnProcess(...args: string[]): Promise<Array<Record<string, unknown>>> {
  const { stdout } = await run(process.execPath, ["--import", "tsx", script, ...args], { timeout: 60_000 });
  return stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("the preparing workers", () => {
  it("prepare batches, live and in bulk, without loading the engine", async () => {
    const lines = await inOwnProcess();
    expect(lines).toEqual([{ liveRows: 1, bulkRows: expect.any(Number) }, { engineLoaded: false }]);
    expect(lines[0]?.bulkRows).toBeGreaterThan(0);
  }, 90_000);

  it("are checked by a test that sees the engine where it is loaded", async () => {
    expect(await inOwnProcess("store")).toEqual([{ engineLoaded: true }]);
  }, 90_000);
});
