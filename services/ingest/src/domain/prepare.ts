import type { Event, EventError } from "@trellis/contracts";
import { toDateTime64 } from "@trellis/store";
import type { Enricher } from "../enrich/index.js";
import { type BatchIdentity, batchIdentity } from "./batch-key.js";
import { DEFAULT_PII_POLICY, type PiiPolicy, scrubEvent } from "./pii/scrub.js";
import { encodeRow } from "./rows.js";
import { validateEvents } from "./validate.js";

export interface PreparedBatch {
  identity: BatchIdentity;
  acceptedEventIds: string[];
  rejected: Array<Pick<EventError, "index" | "field" | "reason">>;
  /** The accepted events as analytics_events rows, each a JSONEachRow line. */
  rows: string[];
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

/** Validation, enrichment and row mapping of one batch: everything ingest does before writing. */
export function prepareBatch(events: readonly Event[], enricher: Enricher, context: PrepareContext): PreparedBatch {
  const { receivedAt, organizationId, retentionDays } = context;
  const { valid: checked, rejected } = validateEvents(events, { receivedAt, retentionDays });
  const valid = checked.map((event) => scrubEvent(event, context.pii ?? DEFAULT_PII_POLICY));
  const identity = batchIdentity(context.clientBatchId, valid);
  const rowContext = { organizationId, retentionDays, batchId: identity.batchId, ingestedAt: toDateTime64(receivedAt) };
  const dates = new Set<string>();
  const rows = valid.map((event) => {
    dates.add(event.time.toISOString().slice(0, 10));
    const enrichment = enricher.enrich(
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
    return encodeRow(event, enrichment, rowContext);
  });
  return { identity, acceptedEventIds: valid.map((e) => e.eventId), rejected, rows, dates };
}
