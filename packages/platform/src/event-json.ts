import { isUtf8 } from "node:buffer";
import { create } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { type Event, EventSchema, EventTypeSchema } from "@trellis/contracts";
import { parseInstant } from "./dates.js";
import { clip, echo, ValidationError } from "./errors.js";

/** A field of an event that could not be read, relative to the event ("time", "headers.x"). */
export class EventJsonError extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(reason);
  }
}

type Kind = "string" | "double" | "type" | "time" | "map";

interface FieldSpec {
  /** The generated message's property. */
  local: string;
  /** The proto name, used in error paths. */
  name: string;
  kind: Kind;
}

/** Every Event field by its proto name and its JSON (camelCase) name, as protobuf JSON accepts both. */
const fields = new Map<string, FieldSpec>();
for (const field of EventSchema.fields) {
  let kind: Kind;
  if (field.fieldKind === "map") kind = "map";
  else if (field.fieldKind === "enum") kind = "type";
  else if (field.fieldKind === "message") kind = "time";
  else if (field.scalar === 1 /* DOUBLE */) kind = "double";
  else kind = "string";
  const spec = { local: field.localName, name: field.name, kind };
  fields.set(field.name, spec);
  fields.set(field.jsonName, spec);
}

const zeroEvent: Event = create(EventSchema);
const mapFields = EventSchema.fields.filter((f) => f.fieldKind === "map").map((f) => f.localName);

const typeByName = new Map<string, number>();
for (const value of EventTypeSchema.values) {
  typeByName.set(value.name, value.number);
  typeByName.set(value.localName, value.number);
}
const typeNumbers = new Set(EventTypeSchema.values.map((v) => v.number));

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "string" ? echo(value) : typeof value;
}

function readDouble(value: unknown, field: string): number {
  if (typeof value === "number") return value;
  if (typeof value === "string") {
    if (value === "NaN") return Number.NaN;
    if (value === "Infinity") return Number.POSITIVE_INFINITY;
    if (value === "-Infinity") return Number.NEGATIVE_INFINITY;
    const parsed = value.trim() === "" ? Number.NaN : Number(value);
    if (!Number.isNaN(parsed)) return parsed;
  }
  throw new EventJsonError(field, `expected a number, got ${describe(value)}`);
}

function readType(value: unknown, field: string): number {
  if (typeof value === "string") {
    const number = typeByName.get(value);
    if (number !== undefined) return number;
  } else if (typeof value === "number" && typeNumbers.has(value)) {
    return value;
  }
  const names = EventTypeSchema.values.filter((v) => v.number !== 0).map((v) => v.name);
  throw new EventJsonError(field, `expected one of ${names.join(", ")}, got ${describe(value)}`);
}

function readMap(value: unknown, field: string): Record<string, string> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new EventJsonError(field, `expected an object of strings, got ${describe(value)}`);
  const out: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== "string")
      throw new EventJsonError(`${field}.${clip(key)}`, `expected a string, got ${describe(entry)}`);
    out[key] = entry;
  }
  return out;
}

/**
 * The JSON object itself when every entry is a string (JSON.parse made it: a plain object of
 * its own, safe to keep), else the error `readMap` gives.
 */
function checkMap(value: unknown, field: string): Record<string, string> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return readMap(value, field);
  const map = value as Record<string, unknown>;
  for (const key in map) if (typeof map[key] !== "string") return readMap(value, field);
  return map as Record<string, string>;
}

/**
 * An RFC 3339 time, read as every time of the product is read (platform `parseInstant`): a
 * date that is not on the calendar (2026-02-30) is refused, not rolled over into March.
 */
function readInstant(value: unknown, field: string): Date {
  if (typeof value !== "string")
    throw new EventJsonError(field, `expected an RFC 3339 time such as 2026-01-01T12:00:00Z, got ${describe(value)}`);
  try {
    return parseInstant(value, field);
  } catch (error) {
    if (error instanceof ValidationError)
      throw new EventJsonError(field, error.violations[0]?.reason ?? "is not a time");
    throw error;
  }
}

/** The time as a protobuf Timestamp, to the nanosecond written. */
function readTime(value: unknown, field: string) {
  const ms = readInstant(value, field).getTime();
  // An offset moves whole minutes: the fraction of the second is the one written, to the nanosecond.
  const fraction = /\.(\d{1,9})/.exec(value as string)?.[1];
  return create(TimestampSchema, {
    seconds: BigInt(Math.floor(ms / 1000)),
    nanos: fraction ? Number(fraction.padEnd(9, "0")) : 0,
  });
}

/** How the fields of an event object are read: the time and the maps, the rest alike. */
interface FieldReaders {
  time(raw: unknown, field: string): unknown;
  map(raw: unknown, field: string): Record<string, string>;
}

/**
 * The fields of an event in protobuf JSON form (proto or camelCase names, enum names or
 * numbers, RFC 3339 times, numbers or numeric strings for the value) into `into`, by the
 * generated message's property names. Unknown fields are refused, naming the field; a null
 * leaves the field as it is.
 */
function readEventFields(value: unknown, into: Record<string, unknown>, readers: FieldReaders): void {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new EventJsonError("", `expected an event object, got ${describe(value)}`);
  const object = value as Record<string, unknown>;
  for (const key in object) {
    const raw = object[key];
    const spec = fields.get(key);
    if (!spec) throw new EventJsonError(clip(key), "is not a field of an event");
    if (raw === null) continue;
    switch (spec.kind) {
      case "string":
        if (typeof raw !== "string") throw new EventJsonError(spec.name, `expected a string, got ${describe(raw)}`);
        into[spec.local] = raw;
        break;
      case "double":
        into[spec.local] = readDouble(raw, spec.name);
        break;
      case "type":
        into[spec.local] = readType(raw, spec.name);
        break;
      case "map":
        into[spec.local] = readers.map(raw, spec.name);
        break;
      case "time":
        into[spec.local] = readers.time(raw, spec.name);
        break;
    }
  }
}

const messageReaders: FieldReaders = { time: readTime, map: readMap };
const recordReaders: FieldReaders = { time: readInstant, map: checkMap };

/**
 * An Event from its protobuf JSON form, as `fromJson` would read it but without its per-field
 * reflection, which dominated the cost of a large batch.
 */
export function eventFromJson(value: unknown): Event {
  const init: Record<string, unknown> = {};
  readEventFields(value, init, messageReaders);
  // A generated message is a plain object: the zero event with the fields read, and fresh
  // maps where none were given, is what create() would build, without its reflection.
  const event = { ...zeroEvent, ...init } as Event;
  for (const local of mapFields) if (!(local in init)) (event as unknown as Record<string, unknown>)[local] = {};
  return event;
}

/**
 * An event's fields as read for storing it: the generated message's fields, its time a Date
 * (stored to the millisecond). Ingest validates and stores these; what forwards events to
 * another service reads {@link Event} messages instead ({@link eventFromJson}).
 */
export type EventRecord = Omit<Event, "$typeName" | "$unknown" | "time"> & { time?: Date };

/** An event record with every field at its zero value, its maps fresh: always of one shape. */
export function emptyEventRecord(): EventRecord {
  return {
    eventId: "",
    type: 0,
    time: undefined,
    url: "",
    referrer: "",
    userAgent: "",
    ip: "",
    clickId: "",
    sessionId: "",
    visitorId: "",
    conversionName: "",
    value: 0,
    currency: "",
    properties: {},
    headers: {},
    name: "",
  };
}

/**
 * An event read from its protobuf JSON form exactly as {@link eventFromJson} reads it (the same
 * names, kinds and errors), built as a plain record of one shape: no message, no Timestamp, no
 * copy of the zero event, and a map kept as JSON.parse made it. The cost of reading a batch on
 * ingest's path is this function's.
 */
export function eventRecordFromJson(value: unknown): EventRecord {
  const event = emptyEventRecord();
  readEventFields(value, event as unknown as Record<string, unknown>, recordReaders);
  return event;
}

/** An event of a JSON batch refused before it could be read, at its position in the body. */
export interface EventJsonRejection {
  index: number;
  field: string;
  reason: string;
}

/** A JSON batch read: the events that could be read, where each was in the body, and the rest refused. */
export interface EventJsonBatch<E = Event> {
  /** The batch id the body names, else the fallback given. */
  batchId: string;
  /** Whether `batchId` came from the body (`batch_id` / `batchId`) rather than the fallback. */
  batchIdFromBody: boolean;
  events: E[];
  /** Position in the body of each of `events`. */
  positions: number[];
  rejected: EventJsonRejection[];
}

/** Whether a media type names one JSON event per line rather than one JSON document. */
export function isEventLines(contentType: string): boolean {
  return /ndjson|jsonl|json-seq/.test(contentType);
}

function bodyText(raw: Uint8Array): string {
  if (!isUtf8(raw)) throw ValidationError.field("body", "is not valid UTF-8");
  return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("utf8");
}

/**
 * A REST batch of events from its body: a JSON array of events, {"batch_id", "events"}, or
 * (`contentType` NDJSON, JSON lines, JSON text sequences) one event per line. What makes the
 * whole body unreadable is a {@link ValidationError} naming `body` (or `batch_id`, `events`);
 * an event that cannot be read is refused alone, naming `events[i]` and its field, with i its
 * position in the body. Bytes that are not UTF-8 are refused: decoding them would store
 * U+FFFD in their place, a value the caller never sent.
 */
export function decodeEventBatchJson(raw: Uint8Array, contentType: string, fallbackBatchId: string): EventJsonBatch {
  return readEventBatchJson(raw, contentType, fallbackBatchId, eventFromJson);
}

/** {@link decodeEventBatchJson} with each event an {@link EventRecord}: what ingest validates and stores. */
export function decodeEventRecordBatchJson(
  raw: Uint8Array,
  contentType: string,
  fallbackBatchId: string,
): EventJsonBatch<EventRecord> {
  return readEventBatchJson(raw, contentType, fallbackBatchId, eventRecordFromJson);
}

function readEventBatchJson<E>(
  raw: Uint8Array,
  contentType: string,
  fallbackBatchId: string,
  readEvent: (value: unknown) => E,
): EventJsonBatch<E> {
  const text = bodyText(raw);
  let values: unknown[];
  let lineErrors: Array<EventJsonRejection | undefined> | undefined;
  let batchId = fallbackBatchId;
  let batchIdFromBody = false;
  if (isEventLines(contentType)) {
    const lines = text.split("\n").filter((line) => line.trim() !== "");
    values = new Array(lines.length);
    lineErrors = new Array(lines.length);
    for (let index = 0; index < lines.length; index++) {
      try {
        values[index] = JSON.parse(lines[index] as string);
      } catch (error) {
        lineErrors[index] = {
          index,
          field: `events[${index}]`,
          reason: `is not valid JSON: ${clip((error as Error).message, 200)}`,
        };
      }
    }
  } else {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw ValidationError.field("body", `is not valid JSON: ${clip((error as Error).message, 200)}`);
    }
    if (Array.isArray(body)) values = body;
    else if (body && typeof body === "object" && Array.isArray((body as { events?: unknown }).events)) {
      const object = body as { events: unknown[]; batch_id?: unknown; batchId?: unknown };
      const fromBody = object.batch_id ?? object.batchId;
      if (fromBody !== undefined && typeof fromBody !== "string")
        throw ValidationError.field("batch_id", "must be a string");
      if (fromBody) {
        batchId = fromBody;
        batchIdFromBody = true;
      }
      values = object.events;
    } else {
      throw ValidationError.field("body", 'must be a JSON array of events, {"batch_id": …, "events": […]}, or NDJSON');
    }
  }
  if (values.length === 0) throw ValidationError.field("events", "must not be empty");
  const events: E[] = [];
  const positions: number[] = [];
  const rejected: EventJsonRejection[] = [];
  for (let index = 0; index < values.length; index++) {
    const lineError = lineErrors?.[index];
    if (lineError) {
      rejected.push(lineError);
      continue;
    }
    try {
      events.push(readEvent(values[index]));
      positions.push(index);
    } catch (error) {
      if (!(error instanceof EventJsonError)) throw error;
      rejected.push({
        index,
        field: error.field ? `events[${index}].${error.field}` : `events[${index}]`,
        reason: error.message,
      });
    }
  }
  return { batchId, batchIdFromBody, events, positions, rejected };
}
