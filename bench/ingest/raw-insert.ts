// The limit for ingest: the same enriched rows inserted into the same table by
// @clickhouse/client alone, in batches of the writer's size. Prints one JSON line.
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { EventSchema } from "@trellis/contracts";
import { createEnricher } from "@trellis/ingest/enrich";
import { toRow } from "@trellis/ingest/rows";
import { validateEvents } from "@trellis/ingest/validate";
import { createLogger } from "@trellis/platform";
import { createStore, toDateTime64 } from "@trellis/store";
import { readEventLines } from "./events-file.js";

const [eventsPath, dataDir, batchRowsText] = process.argv.slice(2);
if (!eventsPath || !dataDir || !batchRowsText)
  throw new Error("usage: raw-insert.ts <events.ndjson> <data dir> <batch rows>");
const batchRows = Number(batchRowsText);

const store = createStore(
  { database: "trellis", dataDir, requestTimeoutMs: 600_000, maxOpenConnections: 1 },
  { logger: createLogger({ service: "bench", level: "warn" }) },
);
await store.migrate();
const enricher = await createEnricher({ ipHashKey: "bench-ip-hash-key-0123456789abcdef0123" });
const receivedAt = new Date();
const events = readEventLines(eventsPath).map((line) => fromJson(EventSchema, JSON.parse(line) as JsonValue));
const { valid } = validateEvents(events, { receivedAt, retentionDays: 3650 });
const context = { organizationId: "demo", retentionDays: 3650, batchId: "raw", ingestedAt: toDateTime64(receivedAt) };
const rows = valid.map((event) =>
  toRow(
    event,
    enricher.enrich(
      {
        type: event.type,
        time: event.time,
        receivedAt,
        url: event.url,
        referrer: event.referrer,
        userAgent: event.userAgent,
        ip: event.ip,
        clickId: event.clickId,
        headers: event.headers,
        sessionId: event.sessionId,
        visitorId: event.visitorId,
      },
      "demo",
    ),
    context,
  ),
);
const started = performance.now();
for (let i = 0; i < rows.length; i += batchRows) {
  await store.insert("analytics_events", rows.slice(i, i + batchRows), { organizationId: null });
}
const seconds = (performance.now() - started) / 1000;
await store.close();
process.stdout.write(`${JSON.stringify({ rows: rows.length, seconds, rowsPerSecond: rows.length / seconds })}\n`);
