// One all-in-one warehouse (its own embedded engine, every service in this process) as a child
// process that a test drives over IPC: tests that need two warehouses side by side need two
// processes, as the embedded engine binds one data directory per process.
//
//   parent → { op: "insert", specs }   stored straight into this warehouse's engine
//   child  → { ready: { url, keys } } once listening; { done: id } or { failed: id, error }
import type { EventSpec } from "./events.js";
import { startTestWarehouse } from "./warehouse.js";

export type ChildEventSpec = Omit<EventSpec, "time"> & { time: string };
export type ChildRequest = { id: number; op: "insert"; specs: ChildEventSpec[] };
export type ChildReply =
  | { ready: { url: string; keys: Record<string, string> } }
  | { done: number }
  | { failed: number; error: string };

const send = (reply: ChildReply) => process.send?.(reply);
const organizations = (process.env.TEST_ORGANIZATIONS ?? "").split(",").filter(Boolean);
const warehouse = await startTestWarehouse({ organizations, env: { ...(process.env as Record<string, string>) } });
send({ ready: { url: warehouse.url, keys: warehouse.keys } });

process.on("message", async (request: ChildRequest) => {
  try {
    await warehouse.insertEvents(request.specs.map((s) => ({ ...s, time: new Date(s.time) })));
    send({ done: request.id });
  } catch (error) {
    send({ failed: request.id, error: String(error) });
  }
});
process.once("SIGTERM", async () => {
  await warehouse.close();
  process.exit(0);
});
