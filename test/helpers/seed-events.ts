// Writes deterministic traffic straight into a store: node --import tsx seed-events.ts <data dir> <database> <org>:<per day>...
import { createLogger } from "@trellis/platform";
import { createStore } from "@trellis/store";
import { dailyTraffic, eventRow } from "./events.js";

const [dataDir, database, ...orgs] = process.argv.slice(2);
if (!dataDir || !database || orgs.length === 0) {
  process.stderr.write("usage: seed-events.ts <data dir> <database> <org>:<events per day>...\n");
  process.exit(2);
}
const store = createStore(
  { dataDir, database, requestTimeoutMs: 30_000, maxOpenConnections: 2 },
  { logger: createLogger({ service: "seed", level: "warn" }) },
);
await store.migrate();
let index = 0;
for (const spec of orgs) {
  const [org, perDay] = spec.split(":");
  const rows = dailyTraffic(org ?? "", "2026-04-01", 3, Number(perDay)).map((s) => eventRow(s, index++));
  await store.insert("analytics_events", rows, { organizationId: null });
}
await store.close();
