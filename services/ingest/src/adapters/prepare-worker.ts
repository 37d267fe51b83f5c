import { parentPort, workerData } from "node:worker_threads";
import { type FieldViolation, ValidationError } from "@trellis/platform";
import type { prepareBatch } from "../domain/prepare.js";
import { type BatchSource, prepareRequest, type RequestContext } from "../domain/prepare-request.js";
import { adoptDatabaseBytes } from "../enrich/geo.js";
import { createEnricher } from "../enrich/index.js";
import type { EnricherOptions } from "../enrich/types.js";

/** What the pool sends: one batch to prepare, as events or as its client's body. */
export interface PrepareRequest {
  id: number;
  source: BatchSource;
  context: RequestContext;
}

/** What a worker answers: the prepared batch (dates as a list), or why it could not. */
export type PrepareReply =
  | { ready: true }
  | { ready: false; error: string }
  | {
      id: number;
      batch?: {
        identity: ReturnType<typeof prepareBatch>["identity"];
        acceptedEventIds: string[];
        rejected: ReturnType<typeof prepareBatch>["rejected"];
        block: Uint8Array;
        rows: number;
        dates: string[];
      };
      error?: string;
      /** The caller's mistakes, when preparing refused the batch for them (a class does not cross threads). */
      violations?: FieldViolation[];
    };

const port = parentPort;
if (!port) throw new Error("prepare-worker runs as a worker thread");
const post = (reply: PrepareReply) => port.postMessage(reply);

try {
  const data = workerData as { enricher: EnricherOptions; databases?: Map<string, SharedArrayBuffer> };
  adoptDatabaseBytes(data.databases);
  const enricher = await createEnricher(data.enricher);
  port.on("message", (request: PrepareRequest) => {
    try {
      const prepared = prepareRequest(request.source, enricher, request.context);
      // The block's bytes move to the serving thread (transferred, not copied).
      port.postMessage({ id: request.id, batch: { ...prepared, dates: [...prepared.dates] } } satisfies PrepareReply, [
        prepared.block.buffer as ArrayBuffer,
      ]);
    } catch (error) {
      post({
        id: request.id,
        error: error instanceof Error ? error.message : String(error),
        ...(error instanceof ValidationError ? { violations: error.violations } : {}),
      });
    }
  });
  post({ ready: true });
} catch (error) {
  post({ ready: false, error: error instanceof Error ? error.message : String(error) });
}
