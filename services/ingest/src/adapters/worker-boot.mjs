// Entry of ingest's worker threads: TypeScript hooks (the process's --import does not reach
// workers), then the module named in workerData.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
