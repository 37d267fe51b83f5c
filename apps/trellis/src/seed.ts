import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Event, EventSchema, EventType } from "@trellis/contracts";
import type { createGenerator, GeneratedEvent } from "@trellis/generator";
import { type Enricher, prepareBatch } from "@trellis/ingest";
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
  batchRows?: number;
  label?: string;
}

/**
 * Generated traffic written straight into the store through ingest's own validation,
 * enrichment and Native row blocks: the path for volumes too large to send over the API.
 */
export async function seedDirect(
  store: Store,
  enricher: Enricher,
  generator: Generator,
  options: SeedOptions,
): Promise<{ done: number; seconds: number }> {
  const progress = createProgress(options.label ?? "seeding", options.events);
  const batchRows = options.batchRows ?? 50_000;
  let pending: Uint8Array[] = [];
  let pendingRows = 0;
  let batchNumber = 0;
  // One insert runs while the next rows are prepared: the engine's threads and this one overlap.
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
  for (const batch of generator.batches(5_000)) {
    const byOrganization = new Map<string, Event[]>();
    for (const event of batch) {
      const organizationId = options.organizationFor(event.organizationId);
      const list = byOrganization.get(organizationId) ?? [];
      list.push(toProtoEvent(event));
      byOrganization.set(organizationId, list);
    }
    for (const [organizationId, events] of byOrganization) {
      const prepared = prepareBatch(events, enricher, {
        organizationId,
        retentionDays: options.retentionDays,
        clientBatchId: `seed-${options.seed}-${batchNumber++}`,
        receivedAt: new Date(),
      });
      if (prepared.rows > 0) pending.push(prepared.block);
      pendingRows += prepared.rows;
    }
    if (pendingRows >= batchRows) await flush();
  }
  await flush();
  await writing;
  return progress.finish();
}
