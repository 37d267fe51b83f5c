// The limit for ingest: the same enriched rows, encoded as the product encodes them
// (JSONEachRow lines), inserted into the same table in batches of the writer's size by
// @clickhouse/client alone (the store's insertJsonLines is one client.exec). Prints one JSON line.
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { EventSchema } from "@trellis/contracts";
import { createEnricher, prepareBatch } from "@trellis/ingest";
import { createLogger } from "@trellis/platform";
import { createStore } from "@trellis/store";
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
const events = readEventLines(eventsPath).map((line) => fromJson(EventSchema, JSON.parse(line) as JsonValue));
const { rows } = prepareBatch(events, enricher, {
  organizationId: "demo",
  retentionDays: 3650,
  clientBatchId: "raw",
  receivedAt: new Date(),
});
const started = performance.now();
for (let i = 0; i < rows.length; i += batchRows) {
  await store.insertJsonLines("analytics_events", rows.slice(i, i + batchRows), { organizationId: null });
}
const seconds = (performance.now() - started) / 1000;
await enricher.close();
await store.close();
process.stdout.write(`${JSON.stringify({ rows: rows.length, seconds, rowsPerSecond: rows.length / seconds })}\n`);
