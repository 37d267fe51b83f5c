// Seeding (`trellis seed`, generated traffic written straight to the store), this checkout
// against another one in the same run: the events written a second, and the CPU an event thread
// by thread, read from /proc while the command runs.
//   npm run bench:seed
//   BENCH_EVENTS      events to generate (default 1,000,000; the 10M dataset is 10,000,000)
//   BENCH_RUNS        runs of each checkout, alternating (default 1)
//   BENCH_BASELINE    the root of another checkout to run first, e.g. an older commit's
//                     `git worktree add /tmp/old <commit>` with `node scripts/ensure-deps.mjs`
//                     run in it; the speed-up against it is printed
// Each run is the checkout's own command (`node --import tsx apps/trellis/src/main.ts seed
// --events N`) on a fresh data directory, so any commit that has the command can be measured.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { repoRoot } from "../lib/processes.js";
import { progress, report } from "../lib/report.js";
import { type ThreadCpu, threadCpu } from "../lib/threads.js";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 1);
const BASELINE = process.env.BENCH_BASELINE ? resolve(process.env.BENCH_BASELINE) : undefined;
if (!Number.isInteger(EVENTS) || EVENTS < 1) throw new Error("BENCH_EVENTS must be a positive whole number");
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error("BENCH_RUNS must be a positive whole number");
/** How often the threads' CPU is read: a thread that ends loses at most this much of its count. */
const SAMPLE_MS = 250;

interface SeedRun {
  checkout: string;
  events: number;
  /** The command's own time for writing the events (after start-up and migrations). */
  writeSeconds: number;
  /** The whole command, start-up included. */
  commandSeconds: number;
  /** CPU µs per event: every thread, and by group. */
  cpu: { all: number; main: number; busiestOther: number; otherNode: number; engine: number };
}

function commitOf(root: string): string {
  try {
    return execFileSync("git", ["-C", root, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  } catch {
    return root;
  }
}

/** One `trellis seed` of `root`'s checkout on a fresh data directory, its threads sampled as it runs. */
async function seedOnce(root: string, label: string): Promise<SeedRun> {
  const dataDir = mkdtempSync(join(tmpdir(), "trellis-bench-seed-"));
  try {
    const started = performance.now();
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "apps/trellis/src/main.ts", "seed", "--events", String(EVENTS)],
      { cwd: root, env: { ...process.env, TRELLIS_DATA_DIR: dataDir }, stdio: ["ignore", "ignore", "pipe"] },
    );
    const pid = child.pid as number;
    // The last reading of every thread seen: threads that end (the preparing workers at the
    // end of a seed) keep what they had used.
    const threads = new Map<number, ThreadCpu>();
    const sample = () => {
      for (const [tid, reading] of threadCpu(pid)) threads.set(tid, reading);
    };
    const sampler = setInterval(sample, SAMPLE_MS);
    let output = "";
    child.stderr.on("data", (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-20_000);
      process.stderr.write(chunk); // the command's own progress bar
    });
    const code = await new Promise<number | null>((done) => {
      child.on("close", done);
    });
    clearInterval(sampler);
    const commandSeconds = (performance.now() - started) / 1000;
    if (code !== 0) throw new Error(`${label}: trellis seed exited with ${code}:\n${output.slice(-2_000)}`);
    const wrote = /wrote ([\d,]+) events in ([\d.]+) s/.exec(output);
    if (!wrote) throw new Error(`${label}: trellis seed did not say what it wrote:\n${output.slice(-2_000)}`);
    const events = Number((wrote[1] as string).replaceAll(",", ""));
    const perEvent = (seconds: number) => (seconds * 1e6) / events;
    const main = threads.get(pid)?.seconds ?? 0;
    const node = [...threads].filter(([tid, t]) => tid !== pid && t.name === "node").map(([, t]) => t.seconds);
    const busiestOther = Math.max(0, ...node);
    const otherNode = node.reduce((sum, s) => sum + s, 0) - busiestOther;
    const engine = [...threads]
      .filter(([tid, t]) => tid !== pid && t.name !== "node")
      .reduce((sum, [, t]) => sum + t.seconds, 0);
    return {
      checkout: label,
      events,
      writeSeconds: Number(wrote[2]),
      commandSeconds,
      cpu: {
        all: perEvent(main + busiestOther + otherNode + engine),
        main: perEvent(main),
        busiestOther: perEvent(busiestOther),
        otherNode: perEvent(otherNode),
        engine: perEvent(engine),
      },
    };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

const current = { root: repoRoot, label: `${commitOf(repoRoot)} (this checkout)` };
const baseline = BASELINE ? { root: BASELINE, label: `${commitOf(BASELINE)} (baseline)` } : undefined;
const runs: SeedRun[] = [];
for (let round = 1; round <= RUNS; round++) {
  for (const checkout of baseline ? [baseline, current] : [current]) {
    progress(`seeding ${EVENTS.toLocaleString("en")} events with ${checkout.label}, run ${round} of ${RUNS}`);
    runs.push(await seedOnce(checkout.root, checkout.label));
  }
}

const rate = (run: SeedRun) => run.events / run.writeSeconds;
const rows: Array<Record<string, string | number>> = runs.map((run) => ({
  checkout: run.checkout,
  events: run.events,
  "written in, s": run.writeSeconds,
  "events/s": Math.round(rate(run)),
  "command, s": run.commandSeconds,
  "CPU µs/event": run.cpu.all,
  "main thread": run.cpu.main,
  "busiest other JS thread": run.cpu.busiestOther,
  "other node threads": run.cpu.otherNode,
  "engine threads": run.cpu.engine,
}));
const summary: Record<string, number> = {};
if (baseline) {
  const of = (label: string) => runs.filter((run) => run.checkout === label);
  summary["events/s, this checkout / baseline (medians)"] =
    median(of(current.label).map(rate)) / median(of(baseline.label).map(rate));
  summary["command time, baseline / this checkout (medians)"] =
    median(of(baseline.label).map((r) => r.commandSeconds)) / median(of(current.label).map((r) => r.commandSeconds));
  rows.push(
    ...Object.entries(summary).map(([figure, value]) => ({ checkout: figure, ratio: Number(value.toFixed(2)) })),
  );
}
report("seed", rows, {
  events: EVENTS,
  runs: RUNS,
  baseline: baseline?.label ?? null,
  current: current.label,
  summary,
  threads:
    "busiest other JS thread: the preparing worker where seeding has one; other node threads: V8's helpers " +
    "(compilation, garbage collection), libuv's pool and any other worker; engine threads: every thread chDB names",
});
