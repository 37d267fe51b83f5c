import { Worker } from "node:worker_threads";
import type { CapturedEvent } from "@trellis/store/events";
import {
  appendCaptured,
  type CapturedColumns,
  capturedColumns,
  type PreparedRun,
  prepareCaptured,
} from "../domain/captured.js";
import { databaseBytes } from "../enrich/geo.js";
import { createEnricher, type EnricherOptions } from "../enrich/index.js";
import type { BulkReply, BulkRequest } from "./bulk-prepare-worker.js";
import { PREPARE_WORKER_LIMITS } from "./worker-limits.js";

/** A run of captured events to prepare: each event's organization, and the run's receipt. */
export interface BulkRun {
  events: readonly CapturedEvent[];
  /** `organizationIds[i]` is the organization event i is stored for. */
  organizationIds: readonly string[];
  receivedAt: Date;
  retentionDays: number;
  /** Names the run's batches (each worker's share adds its own suffix). */
  batchIdPrefix: string;
}

/**
 * Preparation of captured events in bulk (generated traffic written straight to the store):
 * no wire format, no per-request answer, every core. Ingest's own validation, enrichment and
 * Native blocks, as for a batch sent to the API.
 */
export interface BulkPreparer {
  /** The run's rows as Native blocks. Several runs may be in flight at once. */
  prepare(run: BulkRun): Promise<PreparedRun>;
  close(): Promise<void>;
}

function columnsOf(events: readonly CapturedEvent[], organizationIds: readonly string[]): CapturedColumns {
  const columns = capturedColumns();
  for (let i = 0; i < events.length; i++)
    appendCaptured(columns, events[i] as CapturedEvent, organizationIds[i] as string);
  return columns;
}

/**
 * The worker of an event: by its address (its session's when it has none), so each address's
 * per-minute velocity and each session's timing are counted by one enricher, in the events'
 * order, exactly as one enricher on one thread counts them.
 */
function workerOf(event: CapturedEvent, workers: number): number {
  const key = event.ip === "" ? event.sessionId : event.ip;
  let hash = 2166136261;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 16777619);
  return (hash >>> 0) % workers;
}

/**
 * Prepares bulk runs on `workers` threads, each with its own enricher; a run is split among
 * them by {@link workerOf}. With `workers` 0, on the calling thread. A worker that fails or
 * stops fails the runs it held; bulk preparation does not replace it (the caller stops).
 */
export async function createBulkPreparer(options: {
  workers: number;
  enricher: EnricherOptions;
}): Promise<BulkPreparer> {
  if (options.workers < 1) {
    const enricher = await createEnricher(options.enricher);
    return {
      prepare: async (run) =>
        prepareCaptured(columnsOf(run.events, run.organizationIds), enricher, {
          receivedAt: run.receivedAt,
          retentionDays: run.retentionDays,
          batchIdPrefix: run.batchIdPrefix,
        }),
      close: () => enricher.close(),
    };
  }

  const entry = new URL("./bulk-prepare-worker.ts", import.meta.url).href;
  // Read here once; every worker reads the same shared bytes (see databaseBytes).
  const databases = await databaseBytes(options.enricher);
  const pending = new Map<number, { resolve(run: PreparedRun): void; reject(error: unknown): void }>();
  let nextId = 0;
  let closing = false;
  let broken: Error | undefined;
  const failAll = (error: Error) => {
    broken ??= error;
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };
  const workers = Array.from({ length: options.workers }, () => {
    const worker = new Worker(new URL("./worker-boot.mjs", import.meta.url), {
      workerData: { entry, enricher: options.enricher, databases },
      execArgv: [],
      resourceLimits: PREPARE_WORKER_LIMITS,
    });
    const ready = new Promise<void>((resolve, reject) => {
      worker.on("message", (reply: BulkReply) => {
        if ("ready" in reply) {
          if (reply.ready) resolve();
          else reject(new Error(`a preparing worker could not start: ${reply.error}`));
          return;
        }
        const waiting = pending.get(reply.id);
        if (!waiting) return;
        pending.delete(reply.id);
        if (reply.run) waiting.resolve(reply.run);
        else waiting.reject(new Error(`preparing the events failed: ${reply.error}`));
      });
      worker.on("error", (error) => {
        reject(error);
        failAll(error);
      });
      worker.on("exit", (code) => {
        const error = new Error(`a preparing worker exited with code ${code}`);
        reject(error);
        if (!closing) failAll(error);
      });
    });
    return { worker, ready };
  });
  const close = async () => {
    closing = true;
    await Promise.all(workers.map(({ worker }) => worker.terminate()));
  };
  try {
    await Promise.all(workers.map(({ ready }) => ready));
  } catch (error) {
    await close();
    throw error;
  }

  const send = (worker: Worker, request: BulkRequest) =>
    new Promise<PreparedRun>((resolve, reject) => {
      if (broken) return reject(broken);
      pending.set(request.id, { resolve, reject });
      worker.postMessage(request);
    });

  return {
    async prepare(run) {
      const shares = workers.map(() => capturedColumns());
      for (let i = 0; i < run.events.length; i++) {
        const event = run.events[i] as CapturedEvent;
        appendCaptured(
          shares[workerOf(event, shares.length)] as CapturedColumns,
          event,
          run.organizationIds[i] as string,
        );
      }
      const runs = await Promise.all(
        shares.map((share, index) =>
          share.eventId.length === 0
            ? { blocks: [], rows: 0, rejected: 0 }
            : send((workers[index] as (typeof workers)[number]).worker, {
                id: ++nextId,
                events: share,
                receivedAtMs: run.receivedAt.getTime(),
                retentionDays: run.retentionDays,
                batchIdPrefix: `${run.batchIdPrefix}-${index}`,
              }),
        ),
      );
      return {
        blocks: runs.flatMap((r) => r.blocks),
        rows: runs.reduce((n, r) => n + r.rows, 0),
        rejected: runs.reduce((n, r) => n + r.rejected, 0),
      };
    },
    close,
  };
}
