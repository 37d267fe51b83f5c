import type { EventError } from "@trellis/contracts";
import type { EventBlockBuilder } from "@trellis/store/events";
import type { Enricher } from "../enrich/index.js";
import { type BatchIdentity, batchIdentity } from "./batch-key.js";
import { limits } from "./limits.js";
import { DEFAULT_PII_POLICY, type PiiPolicy, scrubEvent } from "./pii/scrub.js";
import { createRowBlockBuilder, type RowSource } from "./rows.js";
import { type EventInput, type ValidEvent, validateEvent } from "./validate.js";

export interface PreparedBatch {
  identity: BatchIdentity;
  acceptedEventIds: string[];
  rejected: Array<Pick<EventError, "index" | "field" | "reason">>;
  /** The accepted events as analytics_events rows: one Native block (empty when none was accepted). */
  block: Uint8Array;
  /** Rows in `block`. */
  rows: number;
  /** UTC dates the accepted events fall on. */
  dates: Set<string>;
}

export interface PrepareContext {
  organizationId: string;
  retentionDays: number;
  clientBatchId: string;
  receivedAt: Date;
  /** The organization's handling of personal data; redaction when absent. */
  pii?: PiiPolicy;
}

/**
 * The thread's block builder: its column buffers are kept from one batch to the next (a batch
 * is prepared synchronously, so one builder a thread serves every batch).
 */
let builder: EventBlockBuilder<RowSource> | undefined;

const DAY_MS = 86_400_000;

/**
 * Validation, enrichment and row encoding of one batch, in one pass per event: each event is
 * checked, enriched and appended to the columns of the batch's Native block before the next
 * is read. Everything ingest does before writing.
 */
export function prepareBatch(
  events: readonly EventInput[],
  enricher: Enricher,
  context: PrepareContext,
): PreparedBatch {
  const { receivedAt, organizationId, retentionDays } = context;
  builder ??= createRowBlockBuilder();
  const rows = builder;
  const validation = { receivedAt, retentionDays };
  const pii = context.pii ?? DEFAULT_PII_POLICY;
  const source: RowSource = {
    event: undefined as unknown as ValidEvent,
    enrichment: undefined as unknown as RowSource["enrichment"],
    context: { organizationId, retentionDays, ingestedAtMs: receivedAt.getTime() },
  };
  const valid: ValidEvent[] = [];
  const rejected: PreparedBatch["rejected"] = [];
  const seen = new Set<string>();
  const days = new Set<number>();
  try {
    // The batch's addresses first, in one run (Enricher.resolveAddresses): on a first pass over
    // new traffic about 1.7 µs an event less than each amid its event's work.
    const addresses: string[] = [];
    for (const event of events) if (event.ip !== "" && event.ip.length <= limits.ipLength) addresses.push(event.ip);
    enricher.resolveAddresses(addresses);
    for (let index = 0; index < events.length; index++) {
      const outcome = validateEvent(events[index] as EventInput, index, validation, seen);
      if (!outcome.valid) {
        rejected.push(outcome.rejected);
        continue;
      }
      const event = scrubEvent(outcome.valid, pii);
      valid.push(event);
      days.add(Math.floor(event.time.getTime() / DAY_MS));
      source.event = event;
      source.enrichment = enricher.enrich(
        {
          type: event.type,
          time: event.time,
          receivedAt,
          url: event.url,
          referrer: event.referrer,
          userAgent: event.userAgent,
          ip: event.ip,
          clickId: event.clickId,
          headers: event.headers,
          sessionId: event.sessionId,
          visitorId: event.visitorId,
        },
        organizationId,
      );
      rows.append(source);
    }
    const identity = batchIdentity(context.clientBatchId, valid);
    rows.fillColumn("batch_id", identity.batchId);
    const count = rows.rows;
    const block = count > 0 ? rows.finish() : new Uint8Array(0);
    const dates = new Set([...days].map((day) => new Date(day * DAY_MS).toISOString().slice(0, 10)));
    return { identity, acceptedEventIds: valid.map((e) => e.eventId), rejected, block, rows: count, dates };
  } catch (error) {
    // A batch that failed half-way leaves rows in the columns: the next batch starts afresh.
    builder = undefined;
    throw error;
  }
}
