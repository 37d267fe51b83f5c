// The product's CPU per event under an ingest-only load with different flags for node itself
// (what TRELLIS_NODE_FLAGS gives the image), the configurations alternating load by load so that
// the machine's drift falls on all of them alike:
//   node --import tsx bench/ingest/node-flags.ts
// BENCH_NODE_FLAGS: the configurations, separated by "|" (default "|--single-threaded-gc": none,
// then V8's collection on the allocating thread); BENCH_ROUNDS (6): loads of each;
// BENCH_EVENTS (150000): events a load. Each load starts the product compiled, as its image runs
// it, into a Null table (everything but storage), waits until its preparing workers are ready,
// and sends the same generated events (new to that process) from 6 clients, 5,000 a request; CPU
// is every thread of the process per accepted event, from /proc. Prints each load, each
// configuration's median, and in how many rounds each configuration used less CPU than the first.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runScript, startProduct } from "../lib/processes.js";
import { percentile, progress, report } from "../lib/report.js";
import { generatedLoad } from "./events-file.js";

const CONFIGS = (process.env.BENCH_NODE_FLAGS ?? "|--single-threaded-gc").split("|").map((c) => c.trim());
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 150_000);
const BATCH = 5_000;
const CONCURRENCY = 6;

/** CPU seconds of the whole process (utime + stime of every thread). */
function processCpu(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function load(flags: string, dataDir: string, lines: string[], label: string) {
  await runScript("bench/ingest/prepare-null.ts", [dataDir]);
  process.env.BENCH_PRODUCT_NODE_ARGS = flags;
  const product = await startProduct(
    { TRELLIS_DATA_DIR: dataDir, TRELLIS_INGEST_TABLE: "analytics_events_null" },
    { compiled: true },
  );
  try {
    const readyBy = Date.now() + 120_000;
    while (!product.output().includes("ingest workers ready")) {
      if (Date.now() > readyBy) throw new Error(`the ingest workers did not start:\n${product.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const bodies: string[] = [];
    for (let i = 0; i < lines.length; i += BATCH)
      bodies.push(`{"batch_id":"${label}-${i}","events":[${lines.slice(i, i + BATCH).join(",")}]}`);
    const pid = product.child.pid as number;
    let next = 0;
    let accepted = 0;
    let refused = 0;
    const client = async () => {
      for (let i = next++; i < bodies.length; i = next++) {
        const response = await fetch(`${product.url}/api/v1/events`, {
          method: "POST",
          headers: { authorization: `Bearer ${product.apiKey}`, "content-type": "application/json" },
          body: bodies[i],
        });
        const answer = (await response.json()) as { accepted?: number };
        if (response.status === 200) accepted += answer.accepted ?? 0;
        else refused++;
      }
    };
    const cpuBefore = processCpu(pid);
    const started = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, client));
    const seconds = (performance.now() - started) / 1000;
    const cpu = processCpu(pid) - cpuBefore;
    return { accepted, refused, eventsPerSecond: accepted / seconds, cpuUsPerEvent: (cpu * 1e6) / accepted };
  } finally {
    await product.stop();
  }
}

const work = mkdtempSync(join(tmpdir(), "trellis-bench-node-flags-"));
try {
  const { lines } = await generatedLoad(work, EVENTS);
  const runs = new Map<string, number[]>(CONFIGS.map((c) => [c, []]));
  const rows: Array<Record<string, string | number>> = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, flags] of CONFIGS.entries()) {
      progress(`round ${round + 1} of ${ROUNDS}: node ${flags || "(no flags)"}`);
      const result = await load(flags, join(work, `r${round}-c${i}`), lines, `r${round}-c${i}`);
      if (result.refused > 0) throw new Error(`${result.refused} requests refused: the load is not comparable`);
      runs.get(flags)?.push(result.cpuUsPerEvent);
      rows.push({
        case: `round ${round + 1}: ${flags || "(no flags)"}`,
        events: result.accepted,
        events_per_s: result.eventsPerSecond,
        cpu_us_per_event: result.cpuUsPerEvent,
      });
    }
  }
  const baseline = runs.get(CONFIGS[0] as string) ?? [];
  for (const flags of CONFIGS) {
    const cpu = runs.get(flags) ?? [];
    // The lower of the middle two when the number of loads is even.
    const median = percentile(cpu, 50);
    const lower = cpu.filter((v, round) => v < (baseline[round] ?? Number.NaN)).length;
    rows.push({
      case: `median: ${flags || "(no flags)"}`,
      cpu_us_per_event: median,
      against_first: median / percentile(baseline, 50),
      rounds_below_first: flags === CONFIGS[0] ? "" : `${lower} of ${cpu.length}`,
    });
  }
  report("ingest-node-flags", rows, { configs: CONFIGS, rounds: ROUNDS, events: EVENTS, batch: BATCH });
} finally {
  rmSync(work, { recursive: true, force: true });
}
