import { Worker } from "node:worker_threads";
import { type Logger, UnavailableError, ValidationError } from "@trellis/platform";
import type { PreparedBatch } from "../domain/prepare.js";
import { type BatchSource, prepareRequest, type RequestContext } from "../domain/prepare-request.js";
import { databaseBytes } from "../enrich/geo.js";
import type { Enricher, EnricherOptions } from "../enrich/index.js";
import type { PrepareReply, PrepareRequest } from "./prepare-worker.js";
import { PREPARE_WORKER_LIMITS } from "./worker-limits.js";

/**
 * Reading (when the request brought its client's body), validation, enrichment and row
 * encoding of batches: everything ingest does before writing (domain/prepare-request.ts).
 */
export interface Preparer {
  prepare(source: BatchSource, context: RequestContext): Promise<PreparedBatch>;
  close(): Promise<void>;
}

/** On the calling thread. */
export function inProcessPreparer(enricher: Enricher): Preparer {
  return {
    prepare: async (source, context) => prepareRequest(source, enricher, context),
    close: () => enricher.close(),
  };
}

/**
 * Prepares on the calling thread until the worker pool is ready, then on the pool, so start-up
 * does not wait for the workers (each takes a second or more to boot). A pool that cannot start
 * leaves preparation on the calling thread, and says so. The calling thread's enricher state
 * (session timing, per-address velocity) is not handed over: the pool starts counting afresh.
 */
export function preparerUpgradingTo(
  first: Preparer,
  startPool: (signal: AbortSignal) => Promise<Preparer>,
  logger: Logger,
): Preparer {
  // The first preparer is dropped once the pool has it: its enricher's caches (decoded geo
  // records, per-address counts) must not outlive its use. The geo databases' bytes themselves
  // are one shared copy that the workers read too (see databaseBytes).
  const held = { current: first };
  let closing = false;
  const starting = new AbortController();
  const settled = startPool(starting.signal).then(
    async (pool) => {
      if (closing) {
        await pool.close();
        return;
      }
      const replaced = held.current;
      held.current = pool;
      await replaced.close();
      logger.info("ingest workers ready: events are prepared on them");
    },
    (error: unknown) => {
      if (!closing)
        logger.error({ err: error }, "ingest workers could not start: events are prepared on the serving thread");
    },
  );
  return {
    prepare: (source, context) => held.current.prepare(source, context),
    async close() {
      closing = true;
      // Shutting down must not wait for workers that are still booting.
      starting.abort();
      await settled;
      await held.current.close();
    },
  };
}

/**
 * A body handed to a worker moves there with its whole underlying buffer: a body that is a
 * view into a larger one (a pooled buffer, a gRPC frame) is copied to its own bytes first, so
 * nothing else loses its memory.
 */
function wholeBody(source: BatchSource): BatchSource {
  const body = source.encoded?.body;
  if (!source.encoded || !body || body.byteLength === body.buffer.byteLength) return source;
  return { encoded: { ...source.encoded, body: new Uint8Array(body) } };
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  pending: Map<number, { resolve(batch: PreparedBatch): void; reject(error: unknown): void }>;
}

/** Organizations map to workers by their id, so one organization's batches always meet the same enricher state. */
function slotIndex(organizationId: string, slots: number): number {
  let hash = 2166136261;
  for (let i = 0; i < organizationId.length; i++) hash = Math.imul(hash ^ organizationId.charCodeAt(i), 16777619);
  return (hash >>> 0) % slots;
}

/**
 * Worker threads that prepare batches, so the thread serving requests only reads and writes
 * them and a machine's cores share the work. Each worker has its own enricher; an
 * organization's batches always go to the same worker, so its session timing is tracked in
 * one place. Per-address velocity is counted per worker, as it is per replica. A worker that
 * dies fails only the batches it held (the clients retry them) and is replaced.
 */
export async function createWorkerPreparer(options: {
  workers: number;
  enricher: EnricherOptions;
  logger: Logger;
  /** The worker's module; prepare-worker.ts unless a test stands in its own. */
  workerModule?: URL;
  /** Aborting it while the workers start stops them, and the start fails. */
  signal?: AbortSignal;
}): Promise<Preparer> {
  const entry = (options.workerModule ?? new URL("./prepare-worker.ts", import.meta.url)).href;
  // Read here once; every worker reads the same shared bytes (see databaseBytes).
  const databases = await databaseBytes(options.enricher);
  let nextId = 0;
  let closing = false;

  function spawn(index: number): Slot {
    const worker = new Worker(new URL("./worker-boot.mjs", import.meta.url), {
      workerData: { entry, enricher: options.enricher, databases },
      execArgv: [],
      resourceLimits: PREPARE_WORKER_LIMITS,
    });
    const pending: Slot["pending"] = new Map();
    let started: () => void = () => {};
    let failed: (error: Error) => void = () => {};
    const ready = new Promise<void>((resolve, reject) => {
      started = resolve;
      failed = reject;
    });
    // Whoever prepares next on this slot sees a failed start; nobody waiting is not a crash.
    ready.catch(() => {});
    const failAll = (error: unknown) => {
      for (const { reject } of pending.values())
        reject(new UnavailableError("preparing the events failed; retry the batch", { cause: error }));
      pending.clear();
    };
    worker.on("message", (reply: PrepareReply) => {
      if ("ready" in reply) {
        if (reply.ready) started();
        else failed(new Error(`an ingest worker could not start: ${reply.error}`));
        return;
      }
      const waiting = pending.get(reply.id);
      if (!waiting) return;
      pending.delete(reply.id);
      if (reply.batch) waiting.resolve({ ...reply.batch, dates: new Set(reply.batch.dates) });
      else if (reply.violations) waiting.reject(new ValidationError(reply.violations));
      else waiting.reject(new Error(`preparing the events failed: ${reply.error}`));
    });
    worker.on("error", (error) => {
      failed(error);
      failAll(error);
    });
    worker.on("exit", (code) => {
      const error = new Error(`ingest worker exited with code ${code}`);
      failed(error);
      failAll(error);
      if (closing) return;
      options.logger.error({ worker: index, code }, "an ingest worker stopped; starting another");
      slots[index] = spawn(index);
    });
    return { worker, ready, pending };
  }

  const slots = Array.from({ length: Math.max(1, options.workers) }, (_, index) => spawn(index));
  const stopStarting = () => {
    closing = true;
    for (const slot of slots) void slot.worker.terminate();
  };
  options.signal?.addEventListener("abort", stopStarting, { once: true });
  try {
    if (options.signal?.aborted) stopStarting();
    await Promise.all(slots.map((slot) => slot.ready));
  } catch (error) {
    closing = true;
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
    throw error;
  } finally {
    options.signal?.removeEventListener("abort", stopStarting);
  }

  return {
    async prepare(source, context) {
      const slot = slots[slotIndex(context.organizationId, slots.length)] as Slot;
      await slot.ready;
      const id = ++nextId;
      // A body moves to the worker (its buffer transferred, not copied: this thread is done
      // with it, and it is the largest allocation a batch makes here); decoded events are
      // cloned field by field.
      const request: PrepareRequest = { id, source: wholeBody(source), context };
      const body = request.source.encoded?.body;
      // Shared memory is never moved (it cannot be): it is cloned as before.
      const moved = body && body.buffer instanceof ArrayBuffer ? [body.buffer] : [];
      return new Promise<PreparedBatch>((resolve, reject) => {
        slot.pending.set(id, { resolve, reject });
        try {
          slot.worker.postMessage(request, moved);
        } catch (error) {
          // Nothing reached the worker: the batch is refused here and not left waiting.
          slot.pending.delete(id);
          reject(error);
        }
      });
    },
    async close() {
      closing = true;
      await Promise.all(slots.map((slot) => slot.worker.terminate()));
    },
  };
}
