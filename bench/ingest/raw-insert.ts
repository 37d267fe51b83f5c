// The limit for ingest: the same enriched rows inserted into the same table in batches of the
// writer's size with no pipeline in front. Three ways, one per run of this script (one embedded
// engine per process):
//  "client": JSONEachRow lines through @clickhouse/client alone, one exec per batch with the lines as its body;
//  "store-json": the lines through the store's insertJsonLines (a spooled INSERT FROM INFILE);
//  "store-native": Native blocks through the store's insertNative, which the ingest writer uses
//                  (a spooled INSERT FROM INFILE … FORMAT Native).
// Prints one JSON line.

import { join } from "node:path";
import { Readable } from "node:stream";
import { createClient } from "@clickhouse/client";
import { createLogger } from "@trellis/platform";
import { createStore } from "@trellis/store";
import { createChdbConnection } from "chdb/connection";
import { enrichedBlocks, enrichedLines } from "./events-file.js";

const [eventsPath, dataDir, batchRowsText, mode, table = "analytics_events"] = process.argv.slice(2);
if (!eventsPath || !dataDir || !batchRowsText || !["client", "store-json", "store-native"].includes(mode ?? ""))
  throw new Error(
    "usage: raw-insert.ts <events.ndjson> <data dir> <batch rows> client|store-json|store-native [table]",
  );
const batchRows = Number(batchRowsText);

const store = createStore(
  { database: "trellis", dataDir, requestTimeoutMs: 600_000, maxOpenConnections: 1 },
  { logger: createLogger({ service: "bench", level: "warn" }) },
);
await store.migrate();

/** One insert per batch of the writer's size: its rows' count, and the insert. */
let batches: Array<{ rows: number; insert: () => Promise<void> }>;
let close: () => Promise<void>;
if (mode === "store-native") {
  const { blocks, rows } = await enrichedBlocks(eventsPath, batchRows);
  // Every block but the last holds batchRows rows.
  batches = blocks.map((block, i) => ({
    rows: i < blocks.length - 1 ? batchRows : rows - batchRows * (blocks.length - 1),
    insert: () => store.insertNative(table, [block], { organizationId: null }),
  }));
  close = () => store.close();
} else if (mode === "store-json") {
  const rows = await enrichedLines(store, eventsPath);
  batches = chunks(rows).map((lines) => ({
    rows: lines.length,
    insert: () => store.insertJsonLines(table, lines, { organizationId: null }),
  }));
  close = () => store.close();
} else {
  const rows = await enrichedLines(store, eventsPath);
  await store.close();
  const client = createClient({
    connection: createChdbConnection({ path: join(dataDir, "clickhouse") }) as unknown as NonNullable<
      Parameters<typeof createClient>[0]
    >["connection"],
    request_timeout: 600_000,
  });
  batches = chunks(rows).map((lines) => ({
    rows: lines.length,
    insert: async () => {
      const result = await client.exec({
        query: `INSERT INTO trellis.${table} FORMAT JSONEachRow`,
        values: Readable.from([lines.join("\n")]),
      });
      for await (const _ of result.stream) {
        // drain the (empty) answer
      }
    },
  }));
  close = () => client.close();
}

function chunks(rows: string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < rows.length; i += batchRows) out.push(rows.slice(i, i + batchRows));
  return out;
}

const rowCount = batches.reduce((sum, b) => sum + b.rows, 0);
const started = performance.now();
const cpu = process.cpuUsage();
for (const batch of batches) await batch.insert();
const used = process.cpuUsage(cpu);
const seconds = (performance.now() - started) / 1000;
await close();
process.stdout.write(
  `${JSON.stringify({ rows: rowCount, seconds, rowsPerSecond: rowCount / seconds, cpuUsPerRow: (used.user + used.system) / rowCount })}\n`,
);
