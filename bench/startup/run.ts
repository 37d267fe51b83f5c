// How long the embedded product takes from `npm start` to answering its first request, cold
// (empty data directory: migrations and the demo organization) and warm, beside the raw
// engine's own floor: a fresh process that opens chDB and answers SELECT 1.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { benchRoot, percentile, progress, report } from "../lib/report.js";

const repoRoot = join(benchRoot, "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

interface Timing {
  listeningMs: number;
  firstAnswerMs: number;
}

async function startOnce(dataDir: string, apiKey?: string): Promise<Timing & { apiKey: string }> {
  const started = performance.now();
  const child = spawn("npm", ["start", "--silent"], {
    cwd: repoRoot,
    env: { ...process.env, TRELLIS_DATA_DIR: dataDir, TRELLIS_PORT: "0", TRELLIS_LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  child.stdout.on("data", (c: Buffer) => {
    output += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    output += c.toString();
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start within 120 s:\n${output}`)), 120_000);
      const poll = setInterval(() => {
        const line = output.split("\n").find((l) => l.includes("trellis warehouse listening"));
        if (!line) return;
        clearInterval(poll);
        clearTimeout(timer);
        resolve((JSON.parse(line) as { url: string }).url);
      }, 5);
      child.once("exit", (code) => reject(new Error(`npm start exited ${code}:\n${output}`)));
    });
    const listeningMs = performance.now() - started;
    await new Promise((r) => setTimeout(r, 20));
    const key = apiKey ?? /trk_[a-z0-9]+_[a-z0-9]+/.exec(output)?.[0];
    if (!key) throw new Error(`no demo API key printed:\n${output}`);
    const response = await fetch(
      `${url}/api/v1/analytics/traffic?start_date=2026-01-01&end_date=2026-12-31&group_by=month`,
      {
        headers: { authorization: `Bearer ${key}` },
      },
    );
    if (response.status !== 200) throw new Error(`first request answered ${response.status}: ${await response.text()}`);
    return { listeningMs, firstAnswerMs: performance.now() - started, apiKey: key };
  } finally {
    if (child.exitCode === null && child.pid) {
      const exited = new Promise((r) => child.once("exit", r));
      process.kill(-child.pid, "SIGTERM");
      await exited;
    }
  }
}

async function rawEngineOnce(dataDir: string): Promise<number> {
  const started = performance.now();
  const script = `
    import { createClient } from "@clickhouse/client";
    import { createChdbConnection } from "chdb/connection";
    const client = createClient({ connection: createChdbConnection({ path: ${JSON.stringify(dataDir)} }) });
    await (await client.query({ query: "SELECT 1", format: "JSONEachRow" })).json();
    await client.close();`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    cwd: join(repoRoot, "packages/store"),
    stdio: "inherit",
  });
  await new Promise((r) => child.once("exit", r));
  return performance.now() - started;
}

const cold: Timing[] = [];
const warm: Timing[] = [];
const raw: number[] = [];
for (let run = 1; run <= RUNS; run++) {
  const dataDir = mkdtempSync(join(tmpdir(), "trellis-bench-startup-"));
  progress(`run ${run}/${RUNS}: cold start`);
  const first = await startOnce(dataDir);
  cold.push(first);
  progress(`run ${run}/${RUNS}: warm start`);
  warm.push(await startOnce(dataDir, first.apiKey));
  rmSync(dataDir, { recursive: true, force: true });
  const rawDir = mkdtempSync(join(tmpdir(), "trellis-bench-raw-"));
  progress(`run ${run}/${RUNS}: raw engine`);
  raw.push(await rawEngineOnce(rawDir));
  rmSync(rawDir, { recursive: true, force: true });
}

const rawP50 = percentile(raw, 50);
report(
  "startup",
  [
    {
      case: "raw engine: fresh process, chDB open, SELECT 1",
      p50_ms: rawP50,
      max_ms: Math.max(...raw),
      ratio_to_raw: 1,
    },
    ...(["cold", "warm"] as const).map((label) => {
      const timings = label === "cold" ? cold : warm;
      const answers = timings.map((t) => t.firstAnswerMs);
      return {
        case: `npm start (${label}) → first traffic answer`,
        p50_ms: percentile(answers, 50),
        max_ms: Math.max(...answers),
        ratio_to_raw: percentile(answers, 50) / rawP50,
      };
    }),
    {
      case: "npm start (cold) → listening",
      p50_ms: percentile(
        cold.map((t) => t.listeningMs),
        50,
      ),
      max_ms: Math.max(...cold.map((t) => t.listeningMs)),
      ratio_to_raw:
        percentile(
          cold.map((t) => t.listeningMs),
          50,
        ) / rawP50,
    },
  ],
  { runs: RUNS, cpus: cpus().length, node: process.version },
);
