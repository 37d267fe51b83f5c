// (b″): the engine's own insert of the same enriched rows as Native, into the real table with
// its rollup views, in batches of the writer's size, with nothing of the product in front: each
// batch a Native file read by `INSERT … FROM INFILE … FORMAT Native` on the embedded engine,
// with `parallel_view_processing` as asked (0: the views one after another; 1: on several
// threads). The limit for (a). Prints one JSON line.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLogger } from "@trellis/platform";
import { createStore } from "@trellis/store";
import { Session } from "chdb";
import { enrichedBlocks } from "./events-file.js";

const [eventsPath, dataDir, batchRowsText, parallelViews = "0"] = process.argv.slice(2);
if (!eventsPath || !dataDir || !batchRowsText)
  throw new Error("usage: engine-insert.ts <events.ndjson> <data dir> <batch rows> [parallel_view_processing 0|1]");

const store = createStore(
  { database: "trellis", dataDir, requestTimeoutMs: 600_000, maxOpenConnections: 1 },
  { logger: createLogger({ service: "bench", level: "warn" }) },
);
await store.migrate();
await store.close();

const { blocks, rows } = await enrichedBlocks(eventsPath, Number(batchRowsText));
const files = blocks.map((block, i) => {
  const path = join(dataDir, `batch-${i}.native`);
  writeFileSync(path, block);
  return path;
});

const session = new Session(join(dataDir, "clickhouse"));
const started = performance.now();
const cpu = process.cpuUsage();
for (const path of files) {
  await session.queryAsync(
    `INSERT INTO trellis.analytics_events FROM INFILE '${path}' SETTINGS parallel_view_processing = ${Number(parallelViews)} FORMAT Native`,
  );
}
const used = process.cpuUsage(cpu);
const seconds = (performance.now() - started) / 1000;
session.close();
process.stdout.write(
  `${JSON.stringify({ rows, seconds, rowsPerSecond: rows / seconds, cpuUsPerRow: (used.user + used.system) / rows })}\n`,
);
