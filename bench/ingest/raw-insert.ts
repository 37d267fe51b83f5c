// The limit for ingest: the same enriched rows, encoded as the product encodes them
// (JSONEachRow lines), inserted into the same table in batches of the writer's size with no
// pipeline in front. Two ways, one per run of this script (one embedded engine per process):
//  "client": @clickhouse/client alone, one exec per batch with the lines as its body;
//  "store": the store's insertJsonLines, which the ingest writer uses (a spooled INSERT FROM INFILE
//           on the embedded engine).
// Prints one JSON line.

import { join } from "node:path";
import { Readable } from "node:stream";
import { createClient } from "@clickhouse/client";
import { createLogger } from "@trellis/platform";
import { createStore } from "@trellis/store";
import { createChdbConnection } from "chdb/connection";
import { enrichedRows } from "./events-file.js";

const [eventsPath, dataDir, batchRowsText, mode, table = "analytics_events"] = process.argv.slice(2);
if (!eventsPath || !dataDir || !batchRowsText || (mode !== "client" && mode !== "store"))
  throw new Error("usage: raw-insert.ts <events.ndjson> <data dir> <batch rows> client|store [table]");
const batchRows = Number(batchRowsText);

const rows = await enrichedRows(eventsPath);

const store = createStore(
  { database: "trellis", dataDir, requestTimeoutMs: 600_000, maxOpenConnections: 1 },
  { logger: createLogger({ service: "bench", level: "warn" }) },
);
await store.migrate();

let insertBatch: (lines: string[]) => Promise<void>;
let close: () => Promise<void>;
if (mode === "store") {
  insertBatch = (lines) => store.insertJsonLines(table, lines, { organizationId: null });
  close = () => store.close();
} else {
  await store.close();
  const client = createClient({
    connection: createChdbConnection({ path: join(dataDir, "clickhouse") }) as unknown as NonNullable<
      Parameters<typeof createClient>[0]
    >["connection"],
    request_timeout: 600_000,
  });
  insertBatch = async (lines) => {
    const result = await client.exec({
      query: `INSERT INTO trellis.${table} FORMAT JSONEachRow`,
      values: Readable.from([lines.join("\n")]),
    });
    for await (const _ of result.stream) {
      // drain the (empty) answer
    }
  };
  close = () => client.close();
}

const started = performance.now();
for (let i = 0; i < rows.length; i += batchRows) await insertBatch(rows.slice(i, i + batchRows));
const seconds = (performance.now() - started) / 1000;
await close();
process.stdout.write(`${JSON.stringify({ rows: rows.length, seconds, rowsPerSecond: rows.length / seconds })}\n`);
