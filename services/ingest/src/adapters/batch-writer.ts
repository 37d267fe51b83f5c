import { type Logger, ResourceExhaustedError, UnavailableError, ValidationError } from "@trellis/platform";
import type { Store } from "@trellis/store";
import { LRUCache } from "lru-cache";

export interface WriterOptions {
  table: string;
  /**
   * A flush starts once no announced batch is still being prepared ({@link BatchWriter.announce}),
   * or once this many rows are buffered…
   */
  maxBatchRows: number;
  /** …or this long after the first buffered row, whichever comes first. */
  flushIntervalMs: number;
  /** Rows buffered or being written, at most; beyond it submissions are refused (back-pressure). */
  maxBufferedRows: number;
  /** Committed batch keys remembered in memory, so quick retries skip the store lookup. */
  rememberedBatches?: number;
}

export interface Submission {
  organizationId: string;
  /** Identity of a client batch, for idempotent retries; absent when the batch cannot be recognised again. */
  batchKey?: { batchId: string };
  /** The batch's rows as one Native block of the table's columns. */
  block: Uint8Array;
  /** Rows in `block`. */
  rows: number;
  dates: ReadonlySet<string>;
}

export interface SubmitResult {
  /** The batch had already been written (a retry): nothing new was stored. */
  duplicate: boolean;
  /** Identifies the flush that wrote it, shared by every batch of that flush. */
  flushId: number;
}

interface Pending extends Submission {
  resolve(result: SubmitResult): void;
  reject(error: unknown): void;
}

const keyOf = (organizationId: string, batchId: string) => `${organizationId}\u0000${batchId}`;

/** Each organization and UTC date the batches' rows fall on, once. */
function organizationDays(batches: readonly Submission[]): Array<readonly [string, string]> {
  const seen = new Map<string, readonly [string, string]>();
  for (const batch of batches) {
    for (const date of batch.dates) seen.set(keyOf(batch.organizationId, date), [batch.organizationId, date]);
  }
  return [...seen.values()];
}

/**
 * Buffers accepted rows and writes them in large inserts. A flush starts as soon as no batch
 * announced to the writer is still being prepared (waiting would only delay the batches
 * buffered), when the buffer reaches `maxBatchRows`, or `flushIntervalMs` after its first row
 * however busy preparation is; one flush runs at a time, and what arrives meanwhile goes into
 * the next. So an idle writer writes a batch at once, and a busy one writes everything that
 * arrived while it was busy, in one insert: the engine's cost per row falls with the insert's
 * size (a few thousand rows cost several times more a row than tens of thousands).
 *
 * A submission resolves only after its rows are durably written; a batch already written
 * (found in memory or in the table) resolves as a duplicate without writing anything.
 */
export function createBatchWriter(store: Store, logger: Logger, options: WriterOptions) {
  let buffer: Pending[] = [];
  let bufferedRows = 0;
  let inFlightRows = 0;
  let timer: NodeJS.Timeout | undefined;
  let firstBufferedAt = 0;
  /** Batches announced and still being prepared. */
  let announced = 0;
  let soon: NodeJS.Immediate | undefined;
  let flushing: Promise<void> | undefined;
  let closed = false;
  let flushCounter = 0;
  const committed = new LRUCache<string, true>({ max: options.rememberedBatches ?? 100_000 });
  const pendingKeys = new Map<string, Promise<SubmitResult>>();
  const stats = { flushes: 0, rowsWritten: 0, duplicates: 0, refused: 0 };

  /** Starts a flush when one is due; a running flush schedules again when it ends. */
  function schedule(): void {
    if (flushing || buffer.length === 0) return;
    if (bufferedRows >= options.maxBatchRows || announced === 0) {
      // Submissions of the same turn of the event loop go into the same flush.
      soon ??= setImmediate(() => {
        soon = undefined;
        void startFlush();
      });
    } else if (!timer) {
      const wait = firstBufferedAt + options.flushIntervalMs - performance.now();
      timer = setTimeout(() => void startFlush(), Math.max(0, wait));
    }
  }

  async function alreadyWritten(batches: Pending[]): Promise<Set<string>> {
    const keyed = batches.filter((b) => b.batchKey);
    if (keyed.length === 0) return new Set();
    const { rows } = await store.query<{ organization_id: string; batch_id: string }>({
      name: "ingest.written-batches",
      sql: `SELECT DISTINCT organization_id, batch_id FROM ${store.database}.${options.table}
            WHERE organization_id IN {orgs:Array(String)} AND event_date IN {dates:Array(Date)} AND batch_id IN {ids:Array(String)}`,
      params: {
        orgs: [...new Set(keyed.map((b) => b.organizationId))],
        dates: [...new Set(keyed.flatMap((b) => [...b.dates]))],
        ids: [...new Set(keyed.map((b) => b.batchKey?.batchId ?? ""))],
      },
      organizationId: null,
    });
    return new Set(rows.map((r) => keyOf(r.organization_id, r.batch_id)));
  }

  async function flushOnce(): Promise<void> {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (soon) {
      clearImmediate(soon);
      soon = undefined;
    }
    const batches = buffer;
    buffer = [];
    const rowCount = bufferedRows;
    bufferedRows = 0;
    inFlightRows += rowCount;
    const flushId = ++flushCounter;
    try {
      const started = performance.now();
      const written = await alreadyWritten(batches);
      const lookedUp = performance.now();
      const fresh = batches.filter((b) => !(b.batchKey && written.has(keyOf(b.organizationId, b.batchKey.batchId))));
      const rows = fresh.reduce((sum, b) => sum + b.rows, 0);
      if (rows > 0)
        await store.insertNative(
          options.table,
          fresh.map((b) => b.block),
          { organizationId: null, touches: organizationDays(fresh) },
        );
      logger.debug(
        {
          flush: flushId,
          batches: batches.length,
          rows,
          lookup_ms: Math.round(lookedUp - started),
          insert_ms: Math.round(performance.now() - lookedUp),
        },
        "events written",
      );
      stats.flushes++;
      stats.rowsWritten += rows;
      stats.duplicates += batches.length - fresh.length;
      for (const batch of batches) {
        if (batch.batchKey) committed.set(keyOf(batch.organizationId, batch.batchKey.batchId), true);
        batch.resolve({ duplicate: !fresh.includes(batch), flushId });
      }
    } catch (error) {
      logger.error(
        { err: error, batches: batches.length, rows: rowCount },
        "writing events failed; clients will retry",
      );
      for (const batch of batches)
        batch.reject(new UnavailableError("events could not be written; retry the batch", { cause: error }));
    } finally {
      inFlightRows -= rowCount;
    }
  }

  async function startFlush(): Promise<void> {
    if (flushing || buffer.length === 0) return flushing;
    flushing = flushOnce().finally(() => {
      flushing = undefined;
      schedule();
    });
    return flushing;
  }

  return {
    stats,

    submit(submission: Submission): Promise<SubmitResult> {
      if (closed) return Promise.reject(new UnavailableError("ingest is shutting down; retry against another replica"));
      const key = submission.batchKey ? keyOf(submission.organizationId, submission.batchKey.batchId) : undefined;
      if (key) {
        if (committed.has(key)) {
          stats.duplicates++;
          return Promise.resolve({ duplicate: true, flushId: 0 });
        }
        const pending = pendingKeys.get(key);
        if (pending) return pending.then((r) => ({ ...r, duplicate: true }));
      }
      if (submission.rows > options.maxBufferedRows) {
        return Promise.reject(
          ValidationError.field("events", `a batch may hold at most ${options.maxBufferedRows} events on this server`),
        );
      }
      if (bufferedRows + inFlightRows + submission.rows > options.maxBufferedRows) {
        stats.refused++;
        return Promise.reject(new ResourceExhaustedError("ingest buffer is full; retry after a moment", 1));
      }
      if (buffer.length === 0) firstBufferedAt = performance.now();
      const promise = new Promise<SubmitResult>((resolve, reject) => {
        buffer.push({ ...submission, resolve, reject });
      });
      bufferedRows += submission.rows;
      if (key) {
        pendingKeys.set(key, promise);
        void promise.then(
          () => pendingKeys.delete(key),
          () => pendingKeys.delete(key),
        );
      }
      schedule();
      return promise;
    },

    /**
     * A batch is being prepared for this writer: flushes wait for it (at most `flushIntervalMs`
     * after the first buffered row) rather than write without it. Call what this returns once
     * the batch is submitted, or will not be; calling it again does nothing.
     */
    announce(): () => void {
      announced++;
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        announced--;
        schedule();
      };
    },

    /** Rows buffered or being written right now. */
    depth(): number {
      return bufferedRows + inFlightRows;
    },

    /** Refuses new submissions and writes everything already accepted. */
    async close(): Promise<void> {
      closed = true;
      while (flushing || buffer.length > 0) await (flushing ?? startFlush());
    },
  };
}

export type BatchWriter = ReturnType<typeof createBatchWriter>;
