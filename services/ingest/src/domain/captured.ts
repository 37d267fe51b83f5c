import { EventType as ProtoEventType } from "@trellis/contracts";
import type { CapturedEvent, EventType } from "@trellis/store";
import type { Enricher } from "../enrich/index.js";
import type { PrepareContext, PreparedBatch } from "./prepare.js";
import { prepareBatch } from "./prepare.js";
import type { EventInput } from "./validate.js";

const PROTO_TYPES: Readonly<Record<EventType, ProtoEventType>> = {
  click: ProtoEventType.CLICK,
  pageview: ProtoEventType.PAGEVIEW,
  conversion: ProtoEventType.CONVERSION,
  custom: ProtoEventType.CUSTOM,
};

/** A captured event (e.g. generated traffic) as validation reads it: no protobuf message on the way. */
export function eventInputOf(event: CapturedEvent): EventInput {
  return {
    eventId: event.eventId,
    type: PROTO_TYPES[event.type] ?? ProtoEventType.UNSPECIFIED,
    time: event.time,
    url: event.url,
    referrer: event.referrer,
    userAgent: event.userAgent,
    ip: event.ip,
    clickId: event.clickId,
    sessionId: event.sessionId,
    visitorId: event.visitorId,
    conversionName: event.conversionName,
    value: event.value,
    currency: event.currency,
    name: event.name,
    properties: event.properties,
    headers: event.headers,
  };
}

/** What preparing a run of captured events of several organizations gave. */
export interface PreparedRun {
  /** Native blocks of analytics_events rows, one per organization of the run. */
  blocks: Uint8Array[];
  rows: number;
  /** Events validation refused. */
  rejected: number;
}

/**
 * Captured events of any organizations (`organizationIds[i]` is event i's), prepared as ingest
 * prepares a batch: each organization's events, in their order, validated, enriched and
 * appended to one Native block. `batchIdPrefix` names the batches (one per organization).
 */
export function prepareCaptured(
  events: readonly CapturedEvent[],
  organizationIds: readonly string[],
  enricher: Enricher,
  context: Omit<PrepareContext, "organizationId" | "clientBatchId"> & { batchIdPrefix: string },
): PreparedRun {
  const byOrganization = new Map<string, EventInput[]>();
  for (let i = 0; i < events.length; i++) {
    const organizationId = organizationIds[i] as string;
    let list = byOrganization.get(organizationId);
    if (list === undefined) {
      list = [];
      byOrganization.set(organizationId, list);
    }
    list.push(eventInputOf(events[i] as CapturedEvent));
  }
  const run: PreparedRun = { blocks: [], rows: 0, rejected: 0 };
  let n = 0;
  for (const [organizationId, inputs] of byOrganization) {
    const prepared: PreparedBatch = prepareBatch(inputs, enricher, {
      ...context,
      organizationId,
      clientBatchId: `${context.batchIdPrefix}-${n++}`,
    });
    if (prepared.rows > 0) run.blocks.push(prepared.block);
    run.rows += prepared.rows;
    run.rejected += prepared.rejected.length;
  }
  return run;
}
