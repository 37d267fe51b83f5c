// Data lifecycle costs, in one run on the embedded engine:
//  (a) deleting 1,000 visitors of the largest organization through the product (REST, async,
//      polled to done): wall time, rows deleted and rollup rows rewritten, and the share of the
//      rollup rebuild (the runner's own step timings, from the audit log);
//  (a') the engine alone deleting another 1,000 visitors of the same organization with a
//      mutation (ALTER TABLE … DELETE, mutations_sync = 2), the way not taken;
//  (b) ingest CPU per event with PII detection on (the default redaction) against off, paired
//      round by round on the same generated events, in this process.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { type Event, EventSchema } from "@trellis/contracts";
import { createEnricher, prepareBatch } from "@trellis/ingest";
import { readEventLines, writeEventsFile } from "../ingest/events-file.js";
import { openDataset } from "../lib/dataset.js";
import { progress, report } from "../lib/report.js";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const VISITORS = Number(process.env.BENCH_DELETE_VISITORS ?? 1_000);
const PII_EVENTS = Number(process.env.BENCH_PII_EVENTS ?? 50_000);
const PII_ROUNDS = Number(process.env.BENCH_PII_ROUNDS ?? 6);

const dataset = await openDataset({ events: EVENTS, organizations: 20, days: 90, seed: 7 });
const { store } = dataset.embedded;
const db = store.database;
const rows: Array<Record<string, string | number>> = [];
const context: Record<string, unknown> = { events: EVENTS, organizations: 20, largest_events: dataset.largestEvents };

try {
  // Two disjoint sets of visitors of the largest organization, picked by a hash (not by time).
  const { rows: picked } = await store.query<{ visitor_id: string }>({
    name: "bench.visitors",
    sql: `SELECT visitor_id FROM ${db}.analytics_events WHERE organization_id = {org:String} AND visitor_id != ''
GROUP BY visitor_id ORDER BY sipHash64(visitor_id) LIMIT {n:UInt32}`,
    params: { org: dataset.largest, n: VISITORS * 2 },
    organizationId: dataset.largest,
  });
  const product = picked.slice(0, VISITORS).map((r) => r.visitor_id);
  const engineOnly = picked.slice(VISITORS).map((r) => r.visitor_id);
  const countOf = async (ids: string[]) => {
    const { rows: n } = await store.query<{ n: string }>({
      name: "bench.count",
      sql: `SELECT count() AS n FROM ${db}.analytics_events WHERE organization_id = {org:String} AND visitor_id IN {ids:Array(String)}`,
      params: { org: dataset.largest, ids },
      organizationId: dataset.largest,
    });
    return Number(n[0]?.n ?? 0);
  };

  progress(`deleting ${product.length} visitors through the product`);
  const headers = { authorization: `Bearer ${dataset.key}`, "content-type": "application/json" };
  const started = performance.now();
  const created = await fetch(`${dataset.embedded.url}/api/v1/privacy/deletions`, {
    method: "POST",
    headers,
    body: JSON.stringify({ visitor_ids: product }),
  });
  const id = ((await created.json()) as { deletion: { id: string } }).deletion.id;
  let status = "";
  let deletion: {
    status: string;
    deleted?: Array<{ table: string; rows: string }>;
    rebuilt?: Array<{ table: string; rows: string }>;
    affected_dates?: string[];
    error?: string;
  } = { status };
  while (status !== "DELETION_STATUS_DONE" && status !== "DELETION_STATUS_FAILED") {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const got = await fetch(`${dataset.embedded.url}/api/v1/privacy/deletions/${id}`, { headers });
    deletion = ((await got.json()) as { deletion: typeof deletion }).deletion;
    status = deletion.status;
  }
  const wallSeconds = (performance.now() - started) / 1000;
  if (status !== "DELETION_STATUS_DONE") throw new Error(`deletion failed: ${deletion.error}`);
  const { rows: audit } = await store.query<{ detail: string }>({
    name: "bench.audit",
    sql: `SELECT detail FROM ${db}.privacy_audit_log WHERE organization_id = {org:String} AND request_id = {id:String} AND action = 'deletion.done'`,
    params: { org: dataset.largest, id },
    organizationId: dataset.largest,
  });
  const ms = (JSON.parse(audit[0]?.detail ?? "{}") as { ms?: Record<string, number> }).ms ?? {};
  const sum = (list?: Array<{ table: string; rows: string }>, only?: (t: string) => boolean) =>
    (list ?? []).filter((d) => !only || only(d.table)).reduce((n, d) => n + Number(d.rows), 0);
  const rawDeleted = sum(deletion.deleted, (t) => t === "analytics_events");
  const rollupRemoved = sum(deletion.deleted, (t) => t !== "analytics_events");
  const rollupWritten = sum(deletion.rebuilt);
  const stepsMs = Object.values(ms).reduce((a, b) => a + b, 0);
  rows.push({
    measure: `delete ${product.length} visitors (product, lightweight DELETE + rollup rebuild)`,
    seconds: wallSeconds,
    raw_rows_deleted: rawDeleted,
    rollup_rows_rewritten: rollupRemoved + rollupWritten,
    affected_days: deletion.affected_dates?.length ?? 0,
    rollup_share: stepsMs > 0 ? (ms.rollups ?? 0) / stepsMs : 0,
    limit_seconds: 60,
  });
  context.deletion_steps_ms = ms;

  progress(`deleting another ${engineOnly.length} visitors with a mutation, engine alone`);
  const mutationRows = await countOf(engineOnly);
  const mutationStarted = performance.now();
  await store.command({
    name: "bench.mutation",
    sql: `ALTER TABLE ${db}.analytics_events DELETE WHERE organization_id = {org:String} AND visitor_id IN {ids:Array(String)} SETTINGS mutations_sync = 2`,
    params: { org: dataset.largest, ids: engineOnly },
    organizationId: dataset.largest,
  });
  const mutationSeconds = (performance.now() - mutationStarted) / 1000;
  rows.push({
    measure: `delete ${engineOnly.length} visitors (engine alone, ALTER TABLE DELETE, raw table only)`,
    seconds: mutationSeconds,
    raw_rows_deleted: mutationRows,
    vs_product_raw_step: (ms.events ?? 0) > 0 ? mutationSeconds / ((ms.events ?? 0) / 1000) : 0,
  });
} finally {
  await dataset.close();
}

// (b) PII detection's share of ingest CPU per event.
const scratch = mkdtempSync(join(tmpdir(), "trellis-bench-pii-"));
try {
  const path = join(scratch, "events.ndjson");
  await writeEventsFile(path, PII_EVENTS, 30);
  const events: Event[] = readEventLines(path).map((line) => fromJson(EventSchema, JSON.parse(line) as JsonValue));
  const enricher = await createEnricher({ ipHashKey: "bench-ip-hash-key-0123456789abcdef0123" });
  const cpu = { on: [] as number[], off: [] as number[] };
  const run = (mode: "redact" | "disabled") => {
    const before = process.cpuUsage();
    for (let i = 0; i < events.length; i += 5_000) {
      prepareBatch(events.slice(i, i + 5_000), enricher, {
        organizationId: "bench",
        retentionDays: 3650,
        clientBatchId: "",
        receivedAt: new Date(),
        pii: { mode, dropParams: [] },
      });
    }
    const used = process.cpuUsage(before);
    return (used.user + used.system) / events.length;
  };
  run("redact");
  run("disabled");
  for (let round = 0; round < PII_ROUNDS; round++) {
    // Alternate which goes first, so drift in the machine's load falls on both alike.
    if (round % 2 === 0) {
      cpu.on.push(run("redact"));
      cpu.off.push(run("disabled"));
    } else {
      cpu.off.push(run("disabled"));
      cpu.on.push(run("redact"));
    }
  }
  await enricher.close();
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? Number.NaN;
  const on = median(cpu.on);
  const off = median(cpu.off);
  rows.push({ measure: "ingest prepare CPU µs/event, PII detection off", us_per_event: off });
  rows.push({
    measure: "ingest prepare CPU µs/event, PII detection on (redact)",
    us_per_event: on,
    cost_vs_off: on / off - 1,
    limit_cost: 0.1,
  });
  context.pii = { events: PII_EVENTS, rounds: PII_ROUNDS, on_us: cpu.on, off_us: cpu.off };
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

report("privacy", rows, context);
