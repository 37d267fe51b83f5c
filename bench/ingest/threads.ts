// Where the product's CPU goes during an ingest load into a Null table, thread by thread: the
// serving thread, each ingest worker, V8's helper threads and the engine's pools, in µs per
// accepted event (from /proc/<pid>/task/*/stat before and after the load).
//   node --import tsx bench/ingest/threads.ts        (BENCH_EVENTS, default 100000)
// BENCH_PROTOCOL=grpc sends the same batches as gRPC IngestEvents calls (protobuf over HTTP/2)
// instead of REST JSON bodies.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import { createGrpcIngestClient, grpcIngestFrame } from "../lib/grpc-ingest.js";
import { runScript, startProduct } from "../lib/processes.js";
import { progress } from "../lib/report.js";
import { threadCpu } from "../lib/threads.js";
import { generatedLoad } from "./events-file.js";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const BATCH = 5_000;
const CONCURRENCY = 6;
/** Long enough for the ingest workers to boot, so their start-up is not counted. */
const SETTLE_MS = 8_000;
const PROTOCOL = process.env.BENCH_PROTOCOL ?? "rest";
if (PROTOCOL !== "rest" && PROTOCOL !== "grpc") throw new Error("BENCH_PROTOCOL is rest or grpc");

/** CPU seconds of each thread of a process, keyed by name and thread id (the main thread as "serving thread"). */
function cpuByThread(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const [tid, { name, seconds }] of threadCpu(pid))
    out.set(tid === pid ? "serving thread" : `${name} ${tid}`, seconds);
  return out;
}

const work = mkdtempSync(join(tmpdir(), "trellis-bench-threads-"));
try {
  const { lines } = await generatedLoad(work, EVENTS);
  await runScript("bench/ingest/prepare-null.ts", [join(work, "null")]);
  const product = await startProduct({
    TRELLIS_DATA_DIR: join(work, "null"),
    TRELLIS_INGEST_TABLE: "analytics_events_null",
  });
  try {
    const pid = product.child.pid as number;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const bodies: string[] = [];
    for (let i = 0; i < lines.length; i += BATCH)
      bodies.push(`{"batch_id":"threads-${i}","events":[${lines.slice(i, i + BATCH).join(",")}]}`);
    const frames =
      PROTOCOL === "grpc"
        ? bodies.map((_, i) => grpcIngestFrame(lines.slice(i * BATCH, (i + 1) * BATCH), `threads-${i * BATCH}`))
        : [];
    const grpc = PROTOCOL === "grpc" ? createGrpcIngestClient(product.url, product.apiKey ?? "") : undefined;
    const send = async (i: number): Promise<{ status: number; accepted: number }> => {
      if (grpc) {
        const answer = await grpc.send(frames[i] as Buffer);
        if (answer.status !== 200 && process.env.BENCH_VERBOSE) console.error(answer.message);
        return answer;
      }
      const response = await fetch(`${product.url}/api/v1/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${product.apiKey}`, "content-type": "application/json" },
        body: bodies[i],
      });
      const answer = (await response.json()) as { accepted?: number };
      return { status: response.status, accepted: answer.accepted ?? 0 };
    };
    let next = 0;
    let accepted = 0;
    /** Requests answered with an error, by status: a load that was refused in part says so. */
    const refusals = new Map<number, number>();
    const client = async () => {
      for (let i = next++; i < bodies.length; i = next++) {
        const answer = await send(i);
        if (answer.status !== 200) refusals.set(answer.status, (refusals.get(answer.status) ?? 0) + 1);
        accepted += answer.accepted;
      }
    };
    progress(`loading ${bodies.length} requests over ${PROTOCOL}`);
    const before = cpuByThread(pid);
    const started = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, client));
    const seconds = (performance.now() - started) / 1000;
    const after = cpuByThread(pid);
    const peakRss = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    grpc?.close();
    const rows = [...after]
      .map(([thread, cpu]) => ({ thread, usPerEvent: ((cpu - (before.get(thread) ?? 0)) * 1e6) / accepted }))
      .filter((row) => row.usPerEvent >= 0.05)
      .sort((a, b) => b.usPerEvent - a.usPerEvent);
    console.log(
      `${accepted} events in ${seconds.toFixed(1)} s: ${(accepted / seconds).toFixed(0)} events/s, peak RSS ${Math.round(Number(peakRss) / 1024)} MiB`,
    );
    for (const [status, count] of refusals)
      console.log(`${count} requests answered ${PROTOCOL === "grpc" ? `with code ${Code[status]}` : status}`);
    for (const { thread, usPerEvent } of rows) {
      const busy = (usPerEvent * accepted) / 1e6 / seconds;
      console.log(
        `${thread.padEnd(28)} ${usPerEvent.toFixed(1).padStart(6)} µs/event  busy ${(busy * 100).toFixed(0)} %`,
      );
    }
    console.log(
      `${"all threads".padEnd(28)} ${rows
        .reduce((sum, r) => sum + r.usPerEvent, 0)
        .toFixed(1)
        .padStart(6)} µs/event`,
    );
  } finally {
    await product.stop();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
