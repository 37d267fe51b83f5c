// Server CPU per REST answer of two (or more) checkouts of the product, side by side in one
// session, their runs alternated (a, b, then b, a, …) so that other work on the machine
// weighs on both alike: the hot window's answer (a repeated question) and the L1 path
// (Cache-Control: max-age=0), each checkout's product in its own process, driven by
// autocannon from this one. CPU is the product process's (all threads, and its main thread),
// read from /proc, divided by the answers it served.
//
//   node --import tsx bench/cache/paired-cpu.ts old=/tmp/old-checkout new=.
//
// A checkout needs its dependencies installed (node scripts/ensure-deps.mjs in it).
// BENCH_ROUNDS (3), BENCH_DURATION_S (5), BENCH_CONNECTIONS (50), BENCH_EVENTS (20000),
// BENCH_MODES (hot,l1); BENCH_PROFILE_DIR=dir runs each product with node --cpu-prof into
// dir/<label>.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import autocannon from "autocannon";
import { PRODUCT_START_ARGS } from "../lib/processes.js";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const EVENTS = process.env.BENCH_EVENTS ?? "20000";
const MODES = (process.env.BENCH_MODES ?? "hot,l1").split(",") as Array<"hot" | "l1">;

interface Product {
  label: string;
  child: ChildProcess;
  url: string;
  apiKey: string;
  dataDir: string;
  served: number;
}

interface Run {
  answers: number;
  failures: number;
  /** µs of CPU per answer: the whole process, and its main thread. */
  cpuUs: number;
  mainUs: number;
  perSecond: number;
}

/** utime + stime of a /proc stat file, in milliseconds (ticks of 10 ms). */
function cpuMsOf(path: string): number {
  const stat = readFileSync(path, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function cpuOf(pid: number) {
  return { total: cpuMsOf(`/proc/${pid}/stat`), main: cpuMsOf(`/proc/${pid}/task/${pid}/stat`) };
}

function start(label: string, root: string): Promise<Product> {
  const dataDir = mkdtempSync(join(tmpdir(), `trellis-paired-${label}-`));
  const args: string[] = [...PRODUCT_START_ARGS];
  const profileDir = process.env.BENCH_PROFILE_DIR;
  if (profileDir) args.unshift("--cpu-prof", `--cpu-prof-dir=${join(resolve(profileDir), label)}`);
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: {
      ...process.env,
      TRELLIS_PORT: "0",
      TRELLIS_LOG_LEVEL: "info",
      TRELLIS_DEMO_EVENTS: EVENTS,
      TRELLIS_DATA_DIR: dataDir,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    output += c.toString();
  });
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`${label}: not seeded within 300 s\n${output}`)), 300_000);
    child.once("exit", (code) => fail(new Error(`${label} exited ${code}\n${output}`)));
    const poll = setInterval(() => {
      if (!output.includes("demo organization seeded")) return;
      clearInterval(poll);
      clearTimeout(timer);
      const line = output.split("\n").find((l) => l.includes("trellis warehouse listening")) ?? "{}";
      const apiKey = /trk_[a-z0-9]+_[a-z0-9]+/.exec(output)?.[0];
      if (!apiKey) return fail(new Error(`${label}: no demo key printed\n${output}`));
      done({ label, child, url: (JSON.parse(line) as { url: string }).url, apiKey, dataDir, served: 0 });
    }, 50);
  });
}

/** Waits (at most 60 s) until the product uses under 5 % of a core for a second: merges after seeding are done. */
async function untilIdle(pid: number): Promise<void> {
  for (let i = 0; i < 60; i++) {
    const before = cpuOf(pid).total;
    await new Promise((r) => setTimeout(r, 1_000));
    if (cpuOf(pid).total - before < 50) return;
  }
}

const isoDaysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
const path = `/api/v1/analytics/traffic?start_date=${isoDaysAgo(60)}&end_date=${isoDaysAgo(10)}&group_by=day`;

async function run(product: Product, mode: "hot" | "l1", durationS: number): Promise<Run> {
  const headers: Record<string, string> = { authorization: `Bearer ${product.apiKey}` };
  if (mode === "l1") headers["cache-control"] = "max-age=0";
  const pid = product.child.pid as number;
  const before = cpuOf(pid);
  const result = await autocannon({
    url: product.url + path,
    connections: CONNECTIONS,
    duration: durationS,
    headers,
    timeout: 10,
  });
  const after = cpuOf(pid);
  const answers = Math.max(1, result.requests.total);
  product.served += answers;
  return {
    answers,
    failures: result.errors + result.non2xx,
    cpuUs: ((after.total - before.total) * 1000) / answers,
    mainUs: ((after.main - before.main) * 1000) / answers,
    perSecond: result.requests.total / result.duration,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const checkouts = process.argv.slice(2).map((arg) => {
  const [label, root] = arg.split("=");
  if (!label || !root) throw new Error(`expected label=/path/to/checkout, got ${arg}`);
  return { label, root: resolve(root) };
});
if (checkouts.length === 0) throw new Error("name at least one checkout: label=/path/to/checkout");

const products: Product[] = [];
try {
  for (const { label, root } of checkouts) products.push(await start(label, root));
  for (const product of products) await untilIdle(product.child.pid as number);
  // Warm-up: the JIT, and every cache level the modes reach.
  for (const product of products) for (const mode of MODES) await run(product, mode, 2);
  const runs = new Map<string, Run[]>();
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? products : [...products].reverse();
    for (const mode of MODES)
      for (const product of order) {
        const result = await run(product, mode, DURATION_S);
        const key = `${product.label} ${mode}`;
        runs.set(key, [...(runs.get(key) ?? []), result]);
        console.log(
          `round ${round} ${key}: ${result.cpuUs.toFixed(1)} µs of CPU an answer (main thread ${result.mainUs.toFixed(1)}), ${result.perSecond.toFixed(0)} answers/s, ${result.failures} failed`,
        );
      }
  }
  console.log(`\nmedians over ${ROUNDS} rounds of ${DURATION_S} s at ${CONNECTIONS} connections:`);
  const first = products[0]?.label;
  for (const mode of MODES) {
    const base = median((runs.get(`${first} ${mode}`) ?? []).map((r) => r.cpuUs));
    for (const product of products) {
      const all = runs.get(`${product.label} ${mode}`) ?? [];
      const cpu = median(all.map((r) => r.cpuUs));
      console.log(
        `${mode.padEnd(3)} ${product.label.padEnd(8)} ${cpu.toFixed(1)} µs (main thread ${median(all.map((r) => r.mainUs)).toFixed(1)}), ${median(all.map((r) => r.perSecond)).toFixed(0)} answers/s, ×${(cpu / base).toFixed(3)} of ${first}`,
      );
    }
  }
} finally {
  for (const product of products) {
    if (product.child.exitCode === null) {
      const exited = new Promise((r) => product.child.once("exit", r));
      product.child.kill("SIGTERM");
      await exited;
    }
    rmSync(product.dataDir, { recursive: true, force: true });
  }
}
