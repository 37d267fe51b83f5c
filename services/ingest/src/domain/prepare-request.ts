import type { Event } from "@trellis/contracts";
import {
  decodeEventRecordBatchDelimited,
  decodeEventRecordBatchJson,
  isDelimitedEvents,
  ValidationError,
} from "@trellis/platform";
import type { Enricher } from "../enrich/index.js";
import { type ScreenedEvents, type SuppressedHashes, screenEvents } from "../privacy/suppressions.js";
import { checkBatchId } from "./batch-key.js";
import { limits } from "./limits.js";
import { type PrepareContext, type PreparedBatch, prepareBatch } from "./prepare.js";
import type { EventInput } from "./validate.js";

/** A batch as a request brought it: events already read, or the body its client wrote (JSON, or length-delimited Event messages). */
export type BatchSource =
  | { events: readonly Event[]; encoded?: undefined }
  | {
      events?: undefined;
      /** `IngestEventsRequest.encoded`: read here, where the events are validated. */
      encoded: { body: Uint8Array; contentType: string; batchIdField: string };
    };

export interface RequestContext extends PrepareContext {
  /** What errors about the batch put before its fields: `batches[3].` in a stream. */
  path?: string;
  /** The organization's suppressed ids; none when absent or empty. */
  suppressed?: SuppressedHashes;
}

const EMPTY = new Uint8Array(0);

/**
 * One request's batch, from what the request brought to a Native block: read (when encoded),
 * its batch id and size checked, suppressed ids refused, then prepared (prepare.ts). Every
 * per-event error names the event's position in the request (in the body, when encoded);
 * what refuses the whole batch is a {@link ValidationError}. Runs wherever preparation does.
 */
export function prepareRequest(source: BatchSource, enricher: Enricher, context: RequestContext): PreparedBatch {
  const path = context.path ?? "";
  let events: readonly EventInput[];
  let positions: readonly number[] | undefined;
  let batchId = context.clientBatchId;
  let batchField = `${path}batch_id`;
  const rejected: PreparedBatch["rejected"] = [];
  if (source.encoded) {
    const { body, contentType, batchIdField } = source.encoded;
    const decoded = isDelimitedEvents(contentType)
      ? decodeEventRecordBatchDelimited(body, batchId)
      : decodeEventRecordBatchJson(body, contentType, batchId);
    events = decoded.events;
    positions = decoded.positions;
    batchId = decoded.batchId;
    if (!decoded.batchIdFromBody && batchIdField) batchField = batchIdField;
    rejected.push(...decoded.rejected);
    // Nothing readable: nothing to check or write, every event refused with its reason.
    if (events.length === 0)
      return {
        identity: { batchId, recognisable: false },
        acceptedEventIds: [],
        rejected,
        block: EMPTY,
        rows: 0,
        dates: new Set(),
      };
  } else {
    events = source.events;
  }
  checkBatchId(batchId, batchField);
  if (events.length > limits.eventsPerBatch) {
    throw ValidationError.field(
      `${path}events`,
      `must hold at most ${limits.eventsPerBatch} events (got ${events.length}); split the batch`,
    );
  }
  const screened: ScreenedEvents<EventInput> | undefined =
    context.suppressed && context.suppressed.size > 0
      ? screenEvents(context.organizationId, events, context.suppressed)
      : undefined;
  const prepared = prepareBatch(screened ? screened.kept : events, enricher, { ...context, clientBatchId: batchId });
  if (!screened && !positions && rejected.length === 0) return prepared;
  // Each refusal at its event's place in the request, its field path saying the same index.
  const place = (index: number) => {
    const inEvents = screened ? (screened.keptIndexes[index] ?? index) : index;
    return positions ? (positions[inEvents] ?? inEvents) : inEvents;
  };
  for (const refused of screened?.refused ?? []) {
    const index = positions ? (positions[refused.index] ?? refused.index) : refused.index;
    rejected.push({ index, field: refused.field, reason: refused.reason });
  }
  for (const error of prepared.rejected) {
    const index = place(error.index);
    rejected.push({ ...error, index, field: error.field.replace(/^events\[\d+\]/, `events[${index}]`) });
  }
  rejected.sort((a, b) => a.index - b.index);
  return { ...prepared, rejected };
}
