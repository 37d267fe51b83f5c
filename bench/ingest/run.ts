// Ingest throughput, all in one run on the embedded engine:
//  (a) enriched events/s end to end over HTTP on loopback into the real table, ack latency, peak RSS:
//      the product run from source as `npm start` runs it (TypeScript through tsx), and again
//      compiled as its container image runs it (`npm run build`: plain JavaScript);
//  (a′) the ack latency of the same load sent on a clock (open loop) at half and at 80 % of (a)'s rate;
//  (b) the raw insert rate of the same enriched rows into the same table by @clickhouse/client alone
//      (JSONEachRow), and beside it (b') by the store's JSON insert path alone (a spooled file);
//  (b″) the engine's own insert of the same rows as Native files into the same table, with the
//      rollup views one after another and on several threads (parallel_view_processing): the limit for (a);
//  (c) pipeline capacity: the load of (a) against a Null-engine table (everything but storage),
//      and (c-gRPC) the same load as gRPC IngestEvents calls (the binary path), each loaded
//      BENCH_CAPACITY_RUNS times (3), the load of median CPU per event compared;
//      beside (d) the store's insert path alone into that Null table: the engine's share of (c);
//  each stage of the pipeline on one thread, in CPU µs per event (stages.ts);
//  and the floors under any pipeline here: V8's JSON.parse / JSON.stringify of these events, and
//  the engine's CPU per row parsing the product's lines, or its Native format, into a Null table.
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { createGrpcIngestClient, grpcIngestFrame } from "../lib/grpc-ingest.js";
import { repoRoot, runScript, startProduct } from "../lib/processes.js";
import { percentile, progress, report } from "../lib/report.js";
import { generatedLoad } from "./events-file.js";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 400_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 5_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 6);
const WRITER_ROWS = Number(process.env.BENCH_WRITER_ROWS ?? 50_000);
/**
 * Batches sent one at a time after each start, before a load is measured: the first batches
 * after a start wait for the preparing workers to boot and run code the runtime has not yet
 * optimized (0.7–1.0 s an answer here, against 0.2 s once running), which is a start's cost,
 * not the load's.
 */
const WARMUP_BATCHES = Number(process.env.BENCH_WARMUP_BATCHES ?? 3);
/**
 * (c) and (c-gRPC) are each loaded this many times, alternating, and the load of median CPU per
 * event is the one compared with the floors: one load lasts a few seconds, and on machines whose
 * speed moves from minute to minute its CPU per event swung by half between loads of the same
 * code. Every load is listed.
 */
const CAPACITY_RUNS = Number(process.env.BENCH_CAPACITY_RUNS ?? 3);

interface LoadResult {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  ackP50: number;
  ackP99: number;
  peakRssMiB: number;
  /** CPU the product spent per accepted event, in µs: all threads, and its JavaScript thread. */
  cpuUsPerEvent: number;
  mainThreadUsPerEvent: number;
  errors: number;
}

/** The load of median CPU per event (the lower of the two middle ones when their number is even). */
function medianByCpu(runs: readonly LoadResult[]): LoadResult {
  const sorted = [...runs].sort((a, b) => a.cpuUsPerEvent - b.cpuUsPerEvent);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  if (!median) throw new Error("no load to take a median of");
  return median;
}

function bodies(lines: string[], run: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i += BATCH) {
    out.push(`{"batch_id":"${run}-${i / BATCH}","events":[${lines.slice(i, i + BATCH).join(",")}]}`);
  }
  return out;
}

/**
 * One load over HTTP. Without `eventsPerSecond`, CONCURRENCY clients each send their next batch
 * when the last is answered (closed loop: an answer waits for the batches ahead of it, so its
 * latency is the events in flight over the rate); with it, a batch leaves every BATCH /
 * eventsPerSecond seconds whatever came back (open loop: the latency of the pipeline itself at
 * that rate).
 */
async function load(
  label: string,
  env: Record<string, string>,
  dataDir: string,
  lines: string[],
  eventsPerSecond?: number,
  protocol: "rest" | "grpc" = "rest",
  compiled = false,
): Promise<LoadResult> {
  const product = await startProduct(
    {
      TRELLIS_DATA_DIR: dataDir,
      TRELLIS_INGEST_BATCH_ROWS: String(WRITER_ROWS),
      ...env,
    },
    { compiled },
  );
  try {
    if (!product.apiKey) throw new Error(`no demo key printed:\n${product.output()}`);
    const requests = bodies(lines, label);
    const frames =
      protocol === "grpc"
        ? requests.map((_, i) => grpcIngestFrame(lines.slice(i * BATCH, (i + 1) * BATCH), `${label}-${i}`))
        : [];
    const grpc = protocol === "grpc" ? createGrpcIngestClient(product.url, product.apiKey) : undefined;
    const latencies: number[] = [];
    let accepted = 0;
    let errors = 0;
    let next = 0;
    let lastReport = 0;
    for (let i = 0; i < WARMUP_BATCHES; i++) {
      const warm = lines.slice(i * BATCH, (i + 1) * BATCH);
      if (grpc) await grpc.send(grpcIngestFrame(warm, `${label}-warm-${i}`));
      else
        await fetch(`${product.url}/api/v1/events`, {
          method: "POST",
          headers: { authorization: `Bearer ${product.apiKey}`, "content-type": "application/json" },
          body: `{"batch_id":"${label}-warm-${i}","events":[${warm.join(",")}]}`,
        }).then((r) => r.arrayBuffer());
    }
    const started = performance.now();
    const cpuBefore = product.cpuSeconds();
    async function send(i: number) {
      const sent = performance.now();
      if (grpc) {
        const answer = await grpc.send(frames[i] as Buffer);
        latencies.push(performance.now() - sent);
        if (answer.status === 200) accepted += answer.accepted;
        else errors++;
        return;
      }
      const response = await fetch(`${product.url}/api/v1/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${product.apiKey}`, "content-type": "application/json" },
        body: requests[i],
      });
      const body = (await response.json()) as { accepted?: number };
      latencies.push(performance.now() - sent);
      if (response.status === 200) accepted += body.accepted ?? 0;
      else errors++;
    }
    async function paced(rate: number) {
      const sending: Promise<void>[] = [];
      for (let i = 0; i < requests.length; i++) {
        const due = started + (i * BATCH * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        sending.push(send(i));
      }
      await Promise.all(sending);
    }
    async function worker() {
      for (let i = next++; i < requests.length; i = next++) {
        await send(i);
        if (next - lastReport >= Math.max(1, Math.floor(requests.length / 10))) {
          lastReport = next;
          progress(`  ${label}: ${Math.min(next, requests.length)}/${requests.length} requests`);
        }
      }
    }
    if (eventsPerSecond) await paced(eventsPerSecond);
    else await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = (performance.now() - started) / 1000;
    const cpuAfter = product.cpuSeconds();
    grpc?.close();
    return {
      events: accepted,
      seconds,
      eventsPerSecond: accepted / seconds,
      ackP50: percentile(latencies, 50),
      ackP99: percentile(latencies, 99),
      peakRssMiB: product.peakRssMiB(),
      cpuUsPerEvent: ((cpuAfter.total - cpuBefore.total) * 1e6) / accepted,
      mainThreadUsPerEvent: ((cpuAfter.mainThread - cpuBefore.mainThread) * 1e6) / accepted,
      errors,
    };
  } finally {
    await product.stop();
  }
}

const work = mkdtempSync(join(tmpdir(), "trellis-bench-ingest-"));
try {
  const { path: eventsPath, lines } = await generatedLoad(work, EVENTS);

  type RawResult = { rows: number; seconds: number; rowsPerSecond: number };
  progress("(b) raw insert of the enriched rows by @clickhouse/client");
  const raw = JSON.parse(
    await runScript("bench/ingest/raw-insert.ts", [eventsPath, join(work, "raw"), String(WRITER_ROWS), "client"]),
  ) as RawResult;
  progress("(b') raw insert of the enriched rows by the store's insert path");
  const rawStore = JSON.parse(
    await runScript("bench/ingest/raw-insert.ts", [
      eventsPath,
      join(work, "raw-store"),
      String(WRITER_ROWS),
      "store-json",
    ]),
  ) as RawResult;

  type EngineResult = RawResult & { cpuUsPerRow: number };
  progress("(b″) the engine's own Native insert of the same rows, views one after another, then in parallel");
  const engineSerial = JSON.parse(
    await runScript("bench/ingest/engine-insert.ts", [eventsPath, join(work, "engine-0"), String(WRITER_ROWS), "0"]),
  ) as EngineResult;
  const engine = JSON.parse(
    await runScript("bench/ingest/engine-insert.ts", [eventsPath, join(work, "engine-1"), String(WRITER_ROWS), "1"]),
  ) as EngineResult;

  progress("stages of the pipeline, one thread");
  const stages = JSON.parse(await runScript("bench/ingest/stages.ts", [eventsPath])) as Record<string, number>;

  progress("(a) end to end over HTTP into the real table");
  const endToEnd = await load("real", {}, join(work, "real"), lines);
  progress("(a) the same, the product compiled as its container image runs it (no TypeScript loader)");
  const endToEndCompiled = await load("real-compiled", {}, join(work, "real-compiled"), lines, undefined, "rest", true);

  progress("(a′) the same into the real table, a batch sent at a steady half of (a)'s rate (open loop)");
  const paced = await load("paced", {}, join(work, "paced"), lines, endToEnd.eventsPerSecond / 2);
  progress("(a′) the same at 80 % of (a)'s rate");
  const pacedHigh = await load("paced-80", {}, join(work, "paced-80"), lines, endToEnd.eventsPerSecond * 0.8);

  const capacityRuns: LoadResult[] = [];
  const capacityGrpcRuns: LoadResult[] = [];
  for (let run = 1; run <= CAPACITY_RUNS; run++) {
    progress(`(c) end to end over HTTP into a Null table, load ${run} of ${CAPACITY_RUNS}`);
    await runScript("bench/ingest/prepare-null.ts", [join(work, `null-${run}`)]);
    capacityRuns.push(
      await load(`null-${run}`, { TRELLIS_INGEST_TABLE: "analytics_events_null" }, join(work, `null-${run}`), lines),
    );
    progress(
      `(c-gRPC) the same load as gRPC IngestEvents calls (protobuf over HTTP/2), load ${run} of ${CAPACITY_RUNS}`,
    );
    await runScript("bench/ingest/prepare-null.ts", [join(work, `null-grpc-${run}`)]);
    capacityGrpcRuns.push(
      await load(
        `null-grpc-${run}`,
        { TRELLIS_INGEST_TABLE: "analytics_events_null" },
        join(work, `null-grpc-${run}`),
        lines,
        undefined,
        "grpc",
      ),
    );
  }
  const capacity = medianByCpu(capacityRuns);
  const capacityGrpc = medianByCpu(capacityGrpcRuns);

  progress("(d) raw insert of the enriched rows into the Null table by the store's insert path");
  await runScript("bench/ingest/prepare-null.ts", [join(work, "raw-null")]);
  const rawNull = JSON.parse(
    await runScript("bench/ingest/raw-insert.ts", [
      eventsPath,
      join(work, "raw-null"),
      String(WRITER_ROWS),
      "store-native",
      "analytics_events_null",
    ]),
  ) as RawResult;

  progress("floors: JSON in V8, the engine's parse of JSONEachRow and Native into a Null table");
  const floors = JSON.parse(await runScript("bench/ingest/floors.ts", [eventsPath, join(work, "floors")])) as {
    jsonParseUsPerEvent: number;
    jsonStringifyUsPerEvent: number;
    rows: number;
    engineJson: { rowsPerSecond: number; cpuUsPerRow: number };
    engineNative: { rowsPerSecond: number; cpuUsPerRow: number };
  };

  /** A run with no HTTP in front: a rate, and CPU per row where the run measured it. */
  const rateRow = (name: string, events: number, perSecond: number, cpuUsPerEvent: number | "" = "") => ({
    case: name,
    events,
    events_per_s: perSecond,
    ack_p50_ms: "",
    ack_p99_ms: "",
    peak_rss_mib: "",
    cpu_us_per_event: cpuUsPerEvent,
    js_thread_us_per_event: "",
    errors: 0,
    ratio_to_raw: perSecond / raw.rowsPerSecond,
    ratio_to_store_path: perSecond / rawStore.rowsPerSecond,
    ratio_to_engine: perSecond / engine.rowsPerSecond,
  });
  /** An end-to-end load over HTTP. */
  const loadRow = (name: string, result: LoadResult) => ({
    case: name,
    events: result.events,
    events_per_s: result.eventsPerSecond,
    ack_p50_ms: result.ackP50,
    ack_p99_ms: result.ackP99,
    peak_rss_mib: result.peakRssMiB,
    cpu_us_per_event: result.cpuUsPerEvent,
    js_thread_us_per_event: result.mainThreadUsPerEvent,
    errors: result.errors,
    ratio_to_raw: result.eventsPerSecond / raw.rowsPerSecond,
    ratio_to_store_path: result.eventsPerSecond / rawStore.rowsPerSecond,
    ratio_to_engine: result.eventsPerSecond / engine.rowsPerSecond,
  });
  /** One stage of the pipeline on one thread: its CPU per event, and the rate that would be on one core. */
  const stageRow = (name: string, usPerEvent: number) => ({
    ...rateRow(`stage: ${name}`, stages.events ?? 0, 1e6 / usPerEvent, usPerEvent),
    js_thread_us_per_event: usPerEvent,
  });
  const jsonFloorUs = floors.jsonParseUsPerEvent + floors.jsonStringifyUsPerEvent;
  report(
    "ingest",
    [
      rateRow("(b) raw insert, @clickhouse/client alone", raw.rows, raw.rowsPerSecond),
      rateRow("(b') raw insert, the store's insert path alone", rawStore.rows, rawStore.rowsPerSecond),
      rateRow(
        "(b″) engine's Native insert, real table, views one after another",
        engineSerial.rows,
        engineSerial.rowsPerSecond,
        engineSerial.cpuUsPerRow,
      ),
      rateRow(
        "(b″) engine's Native insert, real table, views in parallel",
        engine.rows,
        engine.rowsPerSecond,
        engine.cpuUsPerRow,
      ),
      loadRow("(a) end to end over HTTP, real table", endToEnd),
      loadRow("(a) the same, compiled as the image runs it", endToEndCompiled),
      loadRow("(a′) the same at half of (a)'s rate, batches sent on a clock", paced),
      loadRow("(a′) the same at 80 % of (a)'s rate, batches sent on a clock", pacedHigh),
      loadRow(`(c) end to end over HTTP, Null table: the median of ${CAPACITY_RUNS} loads`, capacity),
      loadRow(`(c-gRPC) the same as gRPC IngestEvents calls, Null table: the median of ${CAPACITY_RUNS}`, capacityGrpc),
      ...capacityRuns.map((run, i) => loadRow(`    (c) load ${i + 1}`, run)),
      ...capacityGrpcRuns.map((run, i) => loadRow(`    (c-gRPC) load ${i + 1}`, run)),
      rateRow("(d) raw insert into the Null table, the store's insert path alone", rawNull.rows, rawNull.rowsPerSecond),
      rateRow(
        "floor: engine parses the product's JSONEachRow lines from one file into Null",
        floors.rows,
        floors.engineJson.rowsPerSecond,
        floors.engineJson.cpuUsPerRow,
      ),
      rateRow(
        "floor: engine parses the same rows in its Native format into Null",
        floors.rows,
        floors.engineNative.rowsPerSecond,
        floors.engineNative.cpuUsPerRow,
      ),
      stageRow("REST JSON body → events (gateway)", stages.restJsonUs ?? Number.NaN),
      stageRow(
        "binary IngestEventsRequest → events (gRPC/Connect: events framed unread, read on a worker)",
        stages.binaryUs ?? Number.NaN,
      ),
      stageRow("the same decoded whole by protobuf-es (fromBinary), for comparison", stages.protobufEsUs ?? Number.NaN),
      stageRow("validate", stages.validateUs ?? Number.NaN),
      stageRow("enrich", stages.enrichUs ?? Number.NaN),
      stageRow("append to Native columns + encode the block", stages.columnsUs ?? Number.NaN),
      stageRow("prepare: validate + enrich + columns, one pass per event", stages.prepareUs ?? Number.NaN),
      stageRow("binary answer: accepted ids written by protobuf-es", stages.answerProtobufEsUs ?? Number.NaN),
      stageRow(
        "binary answer: accepted ids pre-encoded in one piece (as served)",
        stages.answerPreEncodedUs ?? Number.NaN,
      ),
      {
        ...rateRow(
          "floor: V8 JSON.parse + JSON.stringify of the wire events, nothing else",
          lines.length,
          1e6 / jsonFloorUs,
          jsonFloorUs,
        ),
        js_thread_us_per_event: jsonFloorUs,
      },
    ],
    {
      targets: {
        "(a) / (b″) views in parallel (≥ 0.5)": endToEnd.eventsPerSecond / engine.rowsPerSecond,
        "(c) CPU per event / V8 JSON floor (≤ 4)": capacity.cpuUsPerEvent / jsonFloorUs,
        "(c-gRPC) CPU per event / (c) REST JSON's (≤ 1)": capacityGrpc.cpuUsPerEvent / capacity.cpuUsPerEvent,
        "(c-gRPC) events/s / (c) REST JSON's (≥ 1)": capacityGrpc.eventsPerSecond / capacity.eventsPerSecond,
        "(a) ack p99 ms (≤ 1000)": endToEnd.ackP99,
        "(a′) ack p99 ms at half of (a)'s rate, open loop": paced.ackP99,
        "(a′) ack p99 ms at 80 % of (a)'s rate, open loop": pacedHigh.ackP99,
        "(a) peak RSS MiB, compiled as the image runs it (≤ 1024)": endToEndCompiled.peakRssMiB,
        "(a) peak RSS MiB, from source through tsx as npm start runs it": endToEnd.peakRssMiB,
      },
      stage_cpu_us_per_event: stages,
      events: EVENTS,
      batch_events_per_request: BATCH,
      concurrency: CONCURRENCY,
      writer_batch_rows: WRITER_ROWS,
      warmup_batches: WARMUP_BATCHES,
      capacity_loads: CAPACITY_RUNS,
      cpus: cpus().length,
      node: process.version,
      repo: repoRoot,
    },
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
