// One all-in-one warehouse (its own embedded engine, every service in this process) as a child
// process that a test drives over IPC: tests that need two warehouses side by side need two
// processes, as the embedded engine binds one data directory per process.
//
//   parent → { op: "insert", specs }                 events stored straight into this engine
//   parent → { op: "rulesets", organizationId }      this engine's campaign ruleset rows of it
//   parent → { op: "insertRulesets", rows }          ruleset rows stored straight into this engine
//   child  → { ready: { url, keys } } once listening; { done: id, rows? } or { failed: id, error }
import type { EventSpec } from "./events.js";
import { startTestWarehouse } from "./warehouse.js";

export type ChildEventSpec = Omit<EventSpec, "time"> & { time: string };
export type RulesetRow = Record<string, unknown>;
export type ChildRequest =
  | { id: number; op: "insert"; specs: ChildEventSpec[] }
  | { id: number; op: "rulesets"; organizationId: string }
  | { id: number; op: "insertRulesets"; rows: RulesetRow[] };
export type ChildReply =
  | { ready: { url: string; keys: Record<string, string> } }
  | { done: number; rows?: RulesetRow[] }
  | { failed: number; error: string };

const send = (reply: ChildReply) => process.send?.(reply);
const organizations = (process.env.TEST_ORGANIZATIONS ?? "").split(",").filter(Boolean);
const warehouse = await startTestWarehouse({ organizations, env: { ...(process.env as Record<string, string>) } });
const { store } = warehouse.embedded;
send({ ready: { url: warehouse.url, keys: warehouse.keys } });

async function handle(request: ChildRequest): Promise<RulesetRow[] | undefined> {
  if (request.op === "insert") {
    await warehouse.insertEvents(request.specs.map((s) => ({ ...s, time: new Date(s.time) })));
    return undefined;
  }
  if (request.op === "rulesets") {
    const { rows } = await store.query<RulesetRow>({
      name: "test.rulesets",
      sql: `SELECT * FROM ${store.database}.campaign_rulesets WHERE organization_id = {org:String} ORDER BY version`,
      params: { org: request.organizationId },
      organizationId: request.organizationId,
    });
    return rows;
  }
  await store.insert("campaign_rulesets", request.rows, { organizationId: null });
  return undefined;
}

process.on("message", async (request: ChildRequest) => {
  try {
    send({ done: request.id, rows: await handle(request) });
  } catch (error) {
    send({ failed: request.id, error: String(error) });
  }
});
process.once("SIGTERM", async () => {
  await warehouse.close();
  process.exit(0);
});
