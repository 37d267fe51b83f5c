import { EventType as ProtoEventType } from "@trellis/contracts";
import type { CapturedEvent, EventType } from "@trellis/store/events";
import type { Enricher } from "../enrich/index.js";
import { type PrepareContext, type PreparedBatch, prepareBatch } from "./prepare.js";
import type { EventInput } from "./validate.js";

const PROTO_TYPES: Readonly<Record<EventType, ProtoEventType>> = {
  click: ProtoEventType.CLICK,
  pageview: ProtoEventType.PAGEVIEW,
  conversion: ProtoEventType.CONVERSION,
  custom: ProtoEventType.CUSTOM,
};

/**
 * Captured events (e.g. generated traffic) field by field, each event's organization beside
 * them: the form they cross to a worker thread in (a list a field copies in well under half
 * the time of the same events as objects, whose field names travel with each one).
 */
export interface CapturedColumns {
  organizationId: string[];
  eventId: string[];
  type: EventType[];
  /** Epoch milliseconds. */
  time: number[];
  url: string[];
  referrer: string[];
  userAgent: string[];
  ip: string[];
  clickId: string[];
  sessionId: string[];
  visitorId: string[];
  conversionName: string[];
  value: number[];
  currency: string[];
  name: string[];
  properties: Array<Record<string, string>>;
  headers: Array<Record<string, string>>;
}

/** Empty columns to {@link appendCaptured} to. */
export function capturedColumns(): CapturedColumns {
  return {
    organizationId: [],
    eventId: [],
    type: [],
    time: [],
    url: [],
    referrer: [],
    userAgent: [],
    ip: [],
    clickId: [],
    sessionId: [],
    visitorId: [],
    conversionName: [],
    value: [],
    currency: [],
    name: [],
    properties: [],
    headers: [],
  };
}

/** Appends one event, stored for `organizationId`. */
export function appendCaptured(columns: CapturedColumns, event: CapturedEvent, organizationId: string): void {
  columns.organizationId.push(organizationId);
  columns.eventId.push(event.eventId);
  columns.type.push(event.type);
  columns.time.push(event.time.getTime());
  columns.url.push(event.url);
  columns.referrer.push(event.referrer);
  columns.userAgent.push(event.userAgent);
  columns.ip.push(event.ip);
  columns.clickId.push(event.clickId);
  columns.sessionId.push(event.sessionId);
  columns.visitorId.push(event.visitorId);
  columns.conversionName.push(event.conversionName);
  columns.value.push(event.value);
  columns.currency.push(event.currency);
  columns.name.push(event.name);
  columns.properties.push(event.properties);
  columns.headers.push(event.headers);
}

/** Event `i` of the columns as validation reads it: no protobuf message on the way. */
function eventInputAt(columns: CapturedColumns, i: number): EventInput {
  return {
    eventId: columns.eventId[i] as string,
    type: PROTO_TYPES[columns.type[i] as EventType] ?? ProtoEventType.UNSPECIFIED,
    time: new Date(columns.time[i] as number),
    url: columns.url[i] as string,
    referrer: columns.referrer[i] as string,
    userAgent: columns.userAgent[i] as string,
    ip: columns.ip[i] as string,
    clickId: columns.clickId[i] as string,
    sessionId: columns.sessionId[i] as string,
    visitorId: columns.visitorId[i] as string,
    conversionName: columns.conversionName[i] as string,
    value: columns.value[i] as number,
    currency: columns.currency[i] as string,
    name: columns.name[i] as string,
    properties: columns.properties[i] as Record<string, string>,
    headers: columns.headers[i] as Record<string, string>,
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
 * Captured events of any organizations prepared as ingest prepares a batch: each
 * organization's events, in their order, validated, enriched and appended to one Native
 * block. `batchIdPrefix` names the batches (one per organization).
 */
export function prepareCaptured(
  columns: CapturedColumns,
  enricher: Enricher,
  context: Omit<PrepareContext, "organizationId" | "clientBatchId"> & { batchIdPrefix: string },
): PreparedRun {
  const byOrganization = new Map<string, EventInput[]>();
  for (let i = 0; i < columns.organizationId.length; i++) {
    const organizationId = columns.organizationId[i] as string;
    let list = byOrganization.get(organizationId);
    if (list === undefined) {
      list = [];
      byOrganization.set(organizationId, list);
    }
    list.push(eventInputAt(columns, i));
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
