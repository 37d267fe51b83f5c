import { parentPort, workerData } from "node:worker_threads";
import { type CapturedColumns, type PreparedRun, prepareCaptured } from "../domain/captured.js";
import { adoptDatabaseBytes } from "../enrich/geo.js";
import { createEnricher } from "../enrich/index.js";
import type { EnricherOptions } from "../enrich/types.js";

/** What the bulk pool sends: a run of captured events (field by field), each with its organization. */
export interface BulkRequest {
  id: number;
  events: CapturedColumns;
  /** Receipt time of the run, epoch milliseconds. */
  receivedAtMs: number;
  retentionDays: number;
  batchIdPrefix: string;
}

/** What a bulk worker answers. */
export type BulkReply =
  | { ready: true }
  | { ready: false; error: string }
  | { id: number; run?: PreparedRun; error?: string };

const port = parentPort;
if (!port) throw new Error("bulk-prepare-worker runs as a worker thread");

try {
  const data = workerData as { enricher: EnricherOptions; databases?: Map<string, SharedArrayBuffer> };
  adoptDatabaseBytes(data.databases);
  const enricher = await createEnricher(data.enricher);
  port.on("message", (request: BulkRequest) => {
    try {
      const run = prepareCaptured(request.events, enricher, {
        receivedAt: new Date(request.receivedAtMs),
        retentionDays: request.retentionDays,
        batchIdPrefix: request.batchIdPrefix,
      });
      // The blocks' bytes move to the calling thread (transferred, not copied).
      port.postMessage(
        { id: request.id, run } satisfies BulkReply,
        run.blocks.map((block) => block.buffer as ArrayBuffer),
      );
    } catch (error) {
      port.postMessage({
        id: request.id,
        error: error instanceof Error ? error.message : String(error),
      } satisfies BulkReply);
    }
  });
  port.postMessage({ ready: true } satisfies BulkReply);
} catch (error) {
  port.postMessage({ ready: false, error: error instanceof Error ? error.message : String(error) } satisfies BulkReply);
}
