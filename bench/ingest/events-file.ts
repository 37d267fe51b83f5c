import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { EventSchema } from "@trellis/contracts";
import { createGenerator } from "@trellis/generator";
import { createEnricher, prepareBatch } from "@trellis/ingest";
import { eventColumns, type Store } from "@trellis/store";
import { progress } from "../lib/report.js";

export interface WireEvent {
  event_id: string;
  type: string;
  time: string;
  url: string;
  referrer: string;
  user_agent: string;
  ip: string;
  click_id: string;
  session_id: string;
  visitor_id: string;
  conversion_name: string;
  value: number;
  currency: string;
  name: string;
  properties: Record<string, string>;
  headers: Record<string, string>;
}

const typeNames = {
  click: "EVENT_TYPE_CLICK",
  pageview: "EVENT_TYPE_PAGEVIEW",
  conversion: "EVENT_TYPE_CONVERSION",
  custom: "EVENT_TYPE_CUSTOM",
} as const;

/**
 * Realistic raw events from the traffic generator, as the REST API takes them, spread over
 * the last `days` days (inside any retention) and written to an NDJSON file.
 */
export async function writeEventsFile(path: string, count: number, days: number): Promise<number> {
  const end = new Date(Date.now() - 60_000);
  const start = new Date(end.getTime() - days * 86_400_000);
  const generator = createGenerator({ seed: 7, organizations: 20, totalEvents: count, start, end });
  const out = createWriteStream(path);
  let written = 0;
  for (const batch of generator.batches(10_000)) {
    const lines: string[] = [];
    for (const e of batch) {
      if (written >= count) break;
      const wire: WireEvent = {
        event_id: e.eventId,
        type: typeNames[e.type],
        time: e.time.toISOString(),
        url: e.url,
        referrer: e.referrer,
        user_agent: e.userAgent,
        ip: e.ip,
        click_id: e.clickId,
        session_id: e.sessionId,
        visitor_id: e.visitorId,
        conversion_name: e.conversionName,
        value: e.value,
        currency: e.currency,
        name: e.name,
        properties: e.properties,
        headers: e.headers,
      };
      lines.push(JSON.stringify(wire));
      written++;
    }
    if (!out.write(`${lines.join("\n")}\n`)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
    if (written >= count) break;
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
  return written;
}

export function readEventLines(path: string): string[] {
  return readFileSync(path, "utf8").split("\n").filter(Boolean);
}

/**
 * The ingest benchmarks' load: `count` generated events over the last 20 days, written to
 * `<dir>/events.ndjson` (with progress) and read back as lines.
 */
export async function generatedLoad(dir: string, count: number): Promise<{ path: string; lines: string[] }> {
  const path = join(dir, "events.ndjson");
  progress(`generating ${count} events`);
  await writeEventsFile(path, count, 20);
  return { path, lines: readEventLines(path) };
}

/**
 * The events of a file (at most `limit`) validated, enriched and encoded as ingest stores them:
 * Native blocks of at most `blockRows` rows each.
 */
export async function enrichedBlocks(
  path: string,
  blockRows: number,
  limit = Number.POSITIVE_INFINITY,
): Promise<{ blocks: Uint8Array[]; rows: number }> {
  const enricher = await createEnricher({ ipHashKey: "bench-ip-hash-key-0123456789abcdef0123" });
  try {
    const events = readEventLines(path)
      .slice(0, limit)
      .map((line) => fromJson(EventSchema, JSON.parse(line) as JsonValue));
    const blocks: Uint8Array[] = [];
    let rows = 0;
    for (let i = 0; i < events.length; i += blockRows) {
      const prepared = prepareBatch(events.slice(i, i + blockRows), enricher, {
        organizationId: "demo",
        retentionDays: 3650,
        clientBatchId: `bench-${i / blockRows}`,
        receivedAt: new Date(),
      });
      blocks.push(prepared.block);
      rows += prepared.rows;
    }
    return { blocks, rows };
  } finally {
    await enricher.close();
  }
}

/**
 * The same rows as JSONEachRow lines, as the engine writes them from the Native blocks
 * (through a Memory table of analytics_events' columns): the text the JSON insert paths and
 * floors take. Written to a file and read back line by line: 400k rows of about 1.5 KB are more
 * text than one JavaScript string may hold.
 */
export async function enrichedLines(store: Store, path: string, limit = Number.POSITIVE_INFINITY): Promise<string[]> {
  const { blocks } = await enrichedBlocks(path, 50_000, limit);
  const table = `${store.database}.rows_for_json`;
  const columns = eventColumns.map((c) => `\`${c.name}\` ${c.type}`).join(", ");
  const statement = (sql: string) => ({ name: "bench.rows-for-json", sql, organizationId: null });
  await store.command(statement(`CREATE OR REPLACE TABLE ${table} (${columns}) ENGINE = Memory`));
  try {
    await store.insertNative("rows_for_json", blocks, { organizationId: null });
    const dir = mkdtempSync(join(tmpdir(), "trellis-bench-lines-"));
    try {
      const file = join(dir, "rows.ndjson");
      await store.queryToFile(statement(`SELECT * FROM ${table}`), "JSONEachRow", file);
      const lines: string[] = [];
      for await (const line of createInterface({
        input: createReadStream(file),
        crlfDelay: Number.POSITIVE_INFINITY,
      })) {
        if (line) lines.push(line);
      }
      return lines;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await store.command(statement(`DROP TABLE ${table}`));
  }
}
