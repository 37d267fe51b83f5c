import { availableParallelism } from "node:os";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Event, EventSchema, EventType } from "@trellis/contracts";
import type { createGenerator, GeneratedEvent } from "@trellis/generator";
import { createBulkPreparer, type EnricherOptions } from "@trellis/ingest";
import type { Store } from "@trellis/store";
import { createProgress } from "./progress.js";

export function toProtoEvent(e: GeneratedEvent): Event {
  return create(EventSchema, {
    eventId: e.eventId,
    type: EventType[e.type.toUpperCase() as Uppercase<GeneratedEvent["type"]>],
    time: timestampFromDate(e.time),
    url: e.url,
    referrer: e.referrer,
    userAgent: e.userAgent,
    ip: e.ip,
    clickId: e.clickId,
    sessionId: e.sessionId,
    visitorId: e.visitorId,
    conversionName: e.conversionName,
    value: e.value,
    currency: e.currency,
    name: e.name,
    properties: e.properties,
    headers: e.headers,
  });
}

export type Generator = ReturnType<typeof createGenerator>;

export interface SeedOptions {
  seed: number;
  /** How many events the generator was asked for (for progress). */
  events: number;
  /** Maps a generated organization to the stored one (e.g. everything into "demo"). */
  organizationFor(generatedId: string): string;
  retentionDays: number;
  /** The enrichment's settings (each preparing thread builds its own enricher from them). */
  enricher: EnricherOptions;
  /**
   * Threads that validate, enrich and encode: by default one core fewer than the machine has
   * (at least one), this thread generating and the engine inserting beside them; 0 prepares
   * on this thread.
   */
  workers?: number;
  batchRows?: number;
  label?: string;
}

/** Generated events of one run handed to preparation at once. */
const RUN_EVENTS = 5_000;

/**
 * Generated traffic written straight into the store through ingest's own validation,
 * enrichment and Native row blocks: the path for volumes too large to send over the API.
 * Three stages overlap: this thread generates, worker threads prepare (the generated events
 * go to them as they are, no protobuf message on the way), and the engine inserts one batch
 * of blocks while the next is prepared.
 */
export async function seedDirect(
  store: Store,
  generator: Generator,
  options: SeedOptions,
): Promise<{ done: number; seconds: number; rejected: number }> {
  const workers = options.workers ?? Math.max(1, availableParallelism() - 1);
  const preparer = await createBulkPreparer({ workers, enricher: options.enricher });
  const progress = createProgress(options.label ?? "seeding", options.events);
  const batchRows = options.batchRows ?? 50_000;
  // Runs being prepared at once: enough to keep every worker busy while this thread generates.
  const depth = Math.max(2, workers * 2);
  let pending: Uint8Array[] = [];
  let pendingRows = 0;
  let rejected = 0;
  let runNumber = 0;
  // One insert runs while the next rows are prepared: the engine's threads and the workers overlap.
  let writing: Promise<void> = Promise.resolve();
  const flush = async () => {
    if (pendingRows === 0) return;
    const blocks = pending;
    const rows = pendingRows;
    pending = [];
    pendingRows = 0;
    await writing;
    writing = store.insertNative("analytics_events", blocks, { organizationId: null }).then(() => progress.add(rows));
    // Its failure is thrown where it is awaited (the next flush, or the end), not before.
    writing.catch(() => {});
  };
  const preparing: Array<Promise<void>> = [];
  try {
    for (const batch of generator.batches(RUN_EVENTS)) {
      const job = preparer
        .prepare({
          events: batch,
          organizationIds: batch.map((event) => options.organizationFor(event.organizationId)),
          receivedAt: new Date(),
          retentionDays: options.retentionDays,
          batchIdPrefix: `seed-${options.seed}-${runNumber++}`,
        })
        .then((run) => {
          pending.push(...run.blocks);
          pendingRows += run.rows;
          rejected += run.rejected;
        });
      // Awaited in order below; a failure meanwhile must not count as unhandled.
      job.catch(() => {});
      preparing.push(job);
      if (preparing.length >= depth) await preparing.shift();
      if (pendingRows >= batchRows) await flush();
    }
    for (const job of preparing.splice(0)) await job;
    await flush();
    await writing;
  } finally {
    // An insert still running when preparing failed ends before the caller closes the store.
    await writing.catch(() => {});
    await preparer.close();
  }
  return { ...progress.finish(), rejected };
}
