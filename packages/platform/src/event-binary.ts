import { isUtf8 } from "node:buffer";
import { ValidationError } from "./errors.js";
import {
  type EventJsonBatch,
  EventJsonError,
  type EventJsonRejection,
  type EventRecord,
  emptyEventRecord,
} from "./event-json.js";
import { varintSize, writeVarint } from "./varint.js";

/**
 * The media type of a batch of serialized `Event` messages, one after another, each preceded
 * by its length as a varint (protobuf's delimited form): how the gateway hands ingest the
 * events of a binary gRPC or Connect call without reading them (`EncodedBatch.content_type`).
 */
export const DELIMITED_EVENTS_CONTENT_TYPE = "application/x-protobuf-delimited";

/** Whether a media type names a batch of length-delimited `Event` messages. */
export function isDelimitedEvents(contentType: string): boolean {
  const semicolon = contentType.indexOf(";");
  const type = (semicolon < 0 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
  return type === DELIMITED_EVENTS_CONTENT_TYPE;
}

/** Serialized messages as one body of the delimited form (each preceded by its length). */
export function frameDelimited(messages: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const message of messages) size += varintSize(message.length) + message.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const message of messages) {
    at = writeVarint(out, at, message.length);
    out.set(message, at);
    at += message.length;
  }
  return out;
}

/** The bytes of one event were not a protobuf message (distinct from a field that is wrong). */
class Malformed extends Error {}

/** A string field's bytes are not UTF-8: decoding them would store U+FFFD, a value never sent. */
class NotUtf8 extends Error {}

/**
 * A reader of protobuf's wire format over one body, made for `Event`: varints as numbers (no
 * BigInt; a 64-bit value past 2^53 loses precision, which only times far outside the supported
 * range have), strings decoded straight from the body's bytes.
 */
class WireReader {
  pos = 0;
  readonly view: DataView;
  readonly text: Buffer;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The number of the event's field being read (what an error about its text names). */
  field = 0;
  /** Bits 0–31 and 32–63 of the last {@link varint64}. */
  low = 0;
  high = 0;

  private byte(end: number): number {
    if (this.pos >= end) throw new Malformed("a varint runs past the end");
    return this.bytes[this.pos++] as number;
  }

  /** A varint of up to 64 bits, exactly, into {@link low} and {@link high}. */
  varint64(end: number): void {
    let low = 0;
    let high = 0;
    let byte = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      byte = this.byte(end);
      low |= (byte & 0x7f) << shift;
      if (byte < 0x80) {
        this.low = low >>> 0;
        this.high = 0;
        return;
      }
    }
    byte = this.byte(end);
    low |= (byte & 0x0f) << 28;
    high = (byte & 0x70) >> 4;
    if (byte >= 0x80) {
      for (let shift = 3; ; shift += 7) {
        if (shift > 31) throw new Malformed("a varint is longer than 10 bytes");
        byte = this.byte(end);
        high |= (byte & 0x7f) << shift;
        if (byte < 0x80) break;
      }
    }
    this.low = low >>> 0;
    this.high = high >>> 0;
  }

  /** An unsigned varint as a number (lengths, tags; exact below 2^53). */
  varint(end: number): number {
    const first = this.byte(end);
    if (first < 0x80) return first;
    this.pos--;
    this.varint64(end);
    return this.high * 4294967296 + this.low;
  }

  /** An int32 (a negative one is sign-extended to 64 bits on the wire). */
  int32(end: number): number {
    this.varint64(end);
    return this.low | 0;
  }

  /** An int64 as a number (exact within ±2^53, which every supported time is). */
  int64(end: number): number {
    this.varint64(end);
    if (this.high & 0x80000000) return -((~this.high >>> 0) * 4294967296 + (~this.low >>> 0) + 1);
    return this.high * 4294967296 + this.low;
  }

  /** The end of a length-delimited value that starts here. */
  delimited(end: number): number {
    const length = this.varint(end);
    const stop = this.pos + length;
    if (stop > end) throw new Malformed(`a value of ${length} bytes runs past the end`);
    return stop;
  }

  string(end: number): string {
    const stop = this.delimited(end);
    const value = this.text.toString("utf8", this.pos, stop);
    // Bytes that are not UTF-8 decode to U+FFFD; only then are they checked (the character
    // may also have been sent as such).
    if (value.includes("\uFFFD") && !isUtf8(this.bytes.subarray(this.pos, stop))) throw new NotUtf8();
    this.pos = stop;
    return value;
  }

  skip(wireType: number, end: number, field: number): void {
    switch (wireType) {
      case 0:
        this.varint64(end);
        return;
      case 1:
        this.pos += 8;
        break;
      case 2:
        this.pos = this.delimited(end);
        return;
      case 5:
        this.pos += 4;
        break;
      case 3:
        // A group: its fields, up to the matching end-group tag.
        for (;;) {
          const tag = this.varint(end);
          if ((tag & 7) === 4) {
            if (tag >>> 3 !== field) throw new Malformed("a group ends with another field's number");
            return;
          }
          this.skip(tag & 7, end, tag >>> 3);
        }
      default:
        throw new Malformed(`wire type ${wireType} is not one protobuf has`);
    }
    if (this.pos > end) throw new Malformed("a fixed-width value runs past the end");
  }
}

/** What each field of `Event` is on the wire: 2 length-delimited, 0 varint, 1 64-bit. */
const EVENT_WIRE_TYPES = [-1, 2, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2];
/** The record's property of each string field of `Event`, by field number. */
const STRING_PROPERTIES: ReadonlyArray<keyof EventRecord | undefined> = [
  undefined,
  "eventId",
  undefined,
  undefined,
  "url",
  "referrer",
  "userAgent",
  "ip",
  "clickId",
  "sessionId",
  "visitorId",
  "conversionName",
  undefined,
  "currency",
  undefined,
  undefined,
  "name",
];
const FIELD_NAMES = [
  "",
  "event_id",
  "type",
  "time",
  "url",
  "referrer",
  "user_agent",
  "ip",
  "click_id",
  "session_id",
  "visitor_id",
  "conversion_name",
  "value",
  "currency",
  "properties",
  "headers",
  "name",
];

function setEntry(map: Record<string, string>, key: string, value: string): void {
  // An own property named "__proto__", as JSON.parse makes one, not the object's prototype.
  if (key === "__proto__")
    Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  else map[key] = value;
}

/** One map entry (`{1: key, 2: value}`, both strings) into `map`; a later entry for a key replaces an earlier one. */
function readEntry(reader: WireReader, end: number, map: Record<string, string>): void {
  const stop = reader.delimited(end);
  let key = "";
  let value = "";
  while (reader.pos < stop) {
    const tag = reader.varint(stop);
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (field === 1 && wireType === 2) key = reader.string(stop);
    else if (field === 2 && wireType === 2) value = reader.string(stop);
    else reader.skip(wireType, stop, field);
  }
  reader.pos = stop;
  setEntry(map, key, value);
}

/**
 * A google.protobuf.Timestamp as a Date, cut to the millisecond as events are stored and as
 * the same instant written in JSON is read (`…T10:00:00.7755Z` is 775 ms past the second).
 */
function readTime(reader: WireReader, end: number): Date {
  const stop = reader.delimited(end);
  let seconds = 0;
  let nanos = 0;
  while (reader.pos < stop) {
    const tag = reader.varint(stop);
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (field === 1 && wireType === 0) seconds = reader.int64(stop);
    else if (field === 2 && wireType === 0) nanos = reader.int32(stop);
    else reader.skip(wireType, stop, field);
  }
  reader.pos = stop;
  if (nanos < 0 || nanos > 999_999_999) throw new EventJsonError("time", "has nanos out of range");
  return new Date(seconds * 1000 + Math.floor(nanos / 1_000_000));
}

/** One serialized `Event` (bytes `start`…`end` of the body) as an {@link EventRecord}. */
function readEvent(reader: WireReader, start: number, end: number): EventRecord {
  const event = emptyEventRecord();
  reader.pos = start;
  reader.field = 0;
  try {
    readFields(reader, end, event);
  } catch (error) {
    if (error instanceof NotUtf8) throw new EventJsonError(FIELD_NAMES[reader.field] ?? "", "is not valid UTF-8");
    throw error;
  }
  return event;
}

/** The fields of one event into `event` (the reader keeps the number of the field being read). */
function readFields(reader: WireReader, end: number, event: EventRecord): void {
  while (reader.pos < end) {
    const tag = reader.varint(end);
    const field = tag >>> 3;
    reader.field = field;
    const wireType = tag & 7;
    const expected = EVENT_WIRE_TYPES[field];
    if (expected === undefined) {
      // A field this version does not know: skipped, as protobuf readers do.
      reader.skip(wireType, end, field);
      continue;
    }
    if (wireType !== expected)
      throw new EventJsonError(FIELD_NAMES[field] ?? "", `has wire type ${wireType}, not that of its field`);
    switch (field) {
      case 2:
        event.type = reader.int32(end);
        break;
      case 3:
        event.time = readTime(reader, end);
        break;
      case 12:
        if (reader.pos + 8 > end) throw new Malformed("a fixed-width value runs past the end");
        event.value = reader.view.getFloat64(reader.pos, true);
        reader.pos += 8;
        break;
      case 14:
        readEntry(reader, end, event.properties);
        break;
      case 15:
        readEntry(reader, end, event.headers);
        break;
      default:
        (event as unknown as Record<string, string>)[STRING_PROPERTIES[field] as string] = reader.string(end);
    }
  }
}

/**
 * A batch of length-delimited `Event` messages ({@link DELIMITED_EVENTS_CONTENT_TYPE}) read
 * into records, as {@link decodeEventRecordBatchJson} reads a JSON batch: an event whose bytes
 * are not a message, or whose time has nanos out of range, is refused alone, naming
 * `events[i]` (and its field); a body whose framing is broken is refused whole, naming `body`.
 */
export function decodeEventRecordBatchDelimited(raw: Uint8Array, fallbackBatchId: string): EventJsonBatch<EventRecord> {
  const reader = new WireReader(raw);
  const events: EventRecord[] = [];
  const positions: number[] = [];
  const rejected: EventJsonRejection[] = [];
  const end = raw.length;
  let index = 0;
  while (reader.pos < end) {
    let stop: number;
    try {
      stop = reader.delimited(end);
    } catch (error) {
      if (!(error instanceof Malformed)) throw error;
      throw ValidationError.field(
        "body",
        `is not a sequence of length-delimited Event messages: at byte ${reader.pos}, ${error.message}`,
      );
    }
    try {
      events.push(readEvent(reader, reader.pos, stop));
      positions.push(index);
    } catch (error) {
      if (error instanceof Malformed) {
        rejected.push({ index, field: `events[${index}]`, reason: `is not a valid Event message: ${error.message}` });
      } else if (error instanceof EventJsonError) {
        rejected.push({ index, field: `events[${index}].${error.field}`, reason: error.message });
      } else throw error;
    }
    reader.pos = stop;
    index++;
  }
  if (index === 0) throw ValidationError.field("events", "must not be empty");
  return { batchId: fallbackBatchId, batchIdFromBody: false, events, positions, rejected };
}
