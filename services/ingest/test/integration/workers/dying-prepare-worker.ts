// The real prepare worker, except that a batch holding an event with id "die" ends the thread
// before it is prepared: how a crashed worker looks to the pool.
import { parentPort } from "node:worker_threads";
import type { PrepareRequest } from "../../../src/adapters/prepare-worker.js";

parentPort?.on("message", (request: PrepareRequest) => {
  if (request.source.events?.some((event) => event.eventId === "die")) process.exit(3);
});
await import("../../../src/adapters/prepare-worker.js");
