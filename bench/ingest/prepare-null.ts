// Prepares a data directory whose ingest table discards rows (ClickHouse Null engine), so a
// load against it measures everything but storage.
import { createLogger } from "@trellis/platform";
import { createStore } from "@trellis/store";

const [dataDir] = process.argv.slice(2);
if (!dataDir) throw new Error("usage: prepare-null.ts <data dir>");
const store = createStore(
  { database: "trellis", dataDir, requestTimeoutMs: 60_000, maxOpenConnections: 1 },
  { logger: createLogger({ service: "bench", level: "warn" }) },
);
await store.migrate();
await store.command({
  name: "bench.null-table",
  sql: "CREATE TABLE IF NOT EXISTS trellis.analytics_events_null AS trellis.analytics_events ENGINE = Null",
  organizationId: null,
});
await store.close();
