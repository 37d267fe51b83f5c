import { createGenerator, type GeneratedEvent } from "@trellis/generator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readNativeRows } from "../../../../../test/helpers/native-rows.js";
import { type BulkPreparer, createBulkPreparer } from "../../../src/adapters/bulk-preparer.js";

// Generated traffic prepared in bulk on worker threads is stored exactly as on one thread:
// every column of every row, fraud flags counted per address and per session included.
const enricher = { ipHashKey: "bulk-preparer-test-key-0123456789abcdef" };
let onThread: BulkPreparer;
let onWorkers: BulkPreparer;

beforeAll(async () => {
  [onThread, onWorkers] = await Promise.all([
    createBulkPreparer({ workers: 0, enricher }),
    createBulkPreparer({ workers: 2, enricher }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([onThread?.close(), onWorkers?.close()]);
});

const receivedAt = new Date();
const end = new Date(receivedAt.getTime() - 60_000);

function traffic(): GeneratedEvent[][] {
  const generator = createGenerator({
    seed: 7,
    organizations: 3,
    totalEvents: 6_000,
    start: new Date(end.getTime() - 5 * 86_400_000),
    end,
  });
  let n = 0;
  const runs = [...generator.batches(1_000)].map((batch) => batch.map((event) => ({ ...event, eventId: `g-${n++}` })));
  // One address far over the per-minute velocity, and one session clicking faster than a person can.
  const base = (runs[0] as GeneratedEvent[])[0] as GeneratedEvent;
  const burst = Array.from({ length: 400 }, (_, i) => ({
    ...base,
    eventId: `burst-${i}`,
    type: "pageview" as const,
    ip: "81.2.69.142",
    sessionId: `burst-session-${i}`,
    time: new Date(end.getTime() - 30_000 + i),
  }));
  const clicks = Array.from({ length: 12 }, (_, i) => ({
    ...base,
    eventId: `click-${i}`,
    type: "click" as const,
    ip: "2001:db8::7",
    sessionId: "fast-session",
    time: new Date(end.getTime() - 10_000 + i * 50),
  }));
  runs.push([...burst.slice(0, 200), ...clicks, ...burst.slice(200)]);
  return runs;
}

async function rowsOf(preparer: BulkPreparer) {
  const rows: Array<Record<string, unknown>> = [];
  let runNumber = 0;
  for (const events of traffic()) {
    const run = await preparer.prepare({
      events,
      organizationIds: events.map((event) => event.organizationId),
      receivedAt,
      retentionDays: 365,
      batchIdPrefix: `test-${runNumber++}`,
    });
    for (const block of run.blocks) rows.push(...readNativeRows(block));
    expect(run.rejected).toBe(0);
    expect(run.rows).toBe(events.length);
  }
  // Which worker prepared a row names its batch; nothing else may differ.
  return rows
    .map(({ batch_id: _batch, ...row }) => row)
    .sort((a, b) => String(a.event_id).localeCompare(String(b.event_id)));
}

describe("bulk preparation", () => {
  it("stores generated traffic on worker threads exactly as on one thread", async () => {
    const [single, parallel] = await Promise.all([rowsOf(onThread), rowsOf(onWorkers)]);
    expect(parallel).toHaveLength(single.length);
    expect(parallel).toEqual(single);
    const flags = (id: string) => single.find((row) => row.event_id === id)?.fraud_flags;
    expect(flags("burst-399")).toContain("ip_velocity");
    expect(flags("click-11")).toContain("impossible_timing");
    expect(new Set(single.map((row) => row.organization_id)).size).toBe(3);
  }, 120_000);
});
