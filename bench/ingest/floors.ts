// Floors under any ingest pipeline on this machine, for the same events and rows as the other
// runs: the cost of reading the wire JSON and writing a JSON line in V8 alone, and the engine's
// CPU per row when it parses the product's JSONEachRow lines, or the same rows in its Native
// format, from a file into a Null table. Prints one JSON line.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLogger } from "@trellis/platform";
import { createStore } from "@trellis/store";
import { Session } from "chdb";
import { enrichedLines, readEventLines } from "./events-file.js";

const [eventsPath, dataDir] = process.argv.slice(2);
if (!eventsPath || !dataDir) throw new Error("usage: floors.ts <events.ndjson> <data dir>");
const FILE_ROWS = 100_000;

const lines = readEventLines(eventsPath);
const wire = `[${lines.join(",")}]`;
const jsonTimes: Array<{ parse: number; stringify: number }> = [];
for (let round = 0; round < 5; round++) {
  const started = performance.now();
  const parsed = JSON.parse(wire) as object[];
  const parsedAt = performance.now();
  for (const event of parsed) JSON.stringify(event);
  jsonTimes.push({
    parse: ((parsedAt - started) * 1000) / parsed.length,
    stringify: ((performance.now() - parsedAt) * 1000) / parsed.length,
  });
}
const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

const store = createStore(
  { database: "trellis", dataDir, requestTimeoutMs: 600_000, maxOpenConnections: 1 },
  { logger: createLogger({ service: "bench", level: "warn" }) },
);
await store.migrate();
const rows = await enrichedLines(store, eventsPath, FILE_ROWS);
await store.close();

const session = new Session(join(dataDir, "clickhouse"));
await session.queryAsync("CREATE TABLE trellis.floor_null AS trellis.analytics_events ENGINE = Null");
await session.queryAsync("CREATE TABLE trellis.floor_rows AS trellis.analytics_events ENGINE = Memory");
const jsonPath = join(dataDir, "rows.jsonl");
writeFileSync(jsonPath, rows.join("\n"));
await session.queryAsync(`INSERT INTO trellis.floor_rows FROM INFILE '${jsonPath}' FORMAT JSONEachRow`);
const nativePath = join(dataDir, "rows.native");
writeFileSync(nativePath, (await session.queryAsync("SELECT * FROM trellis.floor_rows", { format: "Native" })).bytes());

async function engineLoad(path: string, format: string): Promise<{ rowsPerSecond: number; cpuUsPerRow: number }> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  await session.queryAsync(`INSERT INTO trellis.floor_null FROM INFILE '${path}' FORMAT ${format}`);
  const used = process.cpuUsage(cpu);
  return {
    rowsPerSecond: rows.length / ((performance.now() - started) / 1000),
    cpuUsPerRow: (used.user + used.system) / rows.length,
  };
}
await engineLoad(jsonPath, "JSONEachRow");
const json = await engineLoad(jsonPath, "JSONEachRow");
const native = await engineLoad(nativePath, "Native");
session.close();
process.stdout.write(
  `${JSON.stringify({
    jsonParseUsPerEvent: median(jsonTimes.map((t) => t.parse)),
    jsonStringifyUsPerEvent: median(jsonTimes.map((t) => t.stringify)),
    rows: rows.length,
    engineJson: json,
    engineNative: native,
  })}\n`,
);
