import { randomUUID } from "node:crypto";
import { isIP } from "node:net";
import { type Timestamp, timestampDate } from "@bufbuild/protobuf/wkt";
import { type Event, type EventError, EventType as ProtoEventType } from "@trellis/contracts";
import { clip, instantRangeReason, isSupportedInstant } from "@trellis/platform";
import { type CapturedEvent, EVENT_TYPES, type EventType } from "@trellis/store/events";
import { isCanonicalIpv4 } from "../enrich/ip-privacy.js";
import { eventIdPattern, forbiddenHeaders, limits } from "./limits.js";
import { memoize } from "./memo.js";
import { urlFacts } from "./url-facts.js";

/** A captured event that passed validation: its place in the batch, and whether the client chose its id. */
export interface ValidEvent extends CapturedEvent {
  index: number;
  /** Whether the client chose the id (retries of such events are recognisable). */
  clientEventId: boolean;
}

/** The stored event type of each protobuf EventType but UNSPECIFIED. */
const kinds = new Map<ProtoEventType, EventType>(
  EVENT_TYPES.map((type) => [ProtoEventType[type.toUpperCase() as Uppercase<EventType>], type]),
);
const typeRequired = `is required: one of ${EVENT_TYPES.join(", ")}`;

/**
 * The fields of an event that validation reads: a decoded protobuf {@link Event}, or the same
 * fields built without the wire (generated traffic), whose time may be a Date.
 */
export type EventInput = Omit<Event, "$typeName" | "$unknown" | "time"> & { time?: Timestamp | Date };

export interface ValidationContext {
  receivedAt: Date;
  retentionDays: number;
}

class EventRejected extends Error {
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

function reject(field: string, reason: string): never {
  throw new EventRejected(field, reason);
}

/** Reasons are built only for events that fail: validation runs for every event of every batch. */
function check(condition: boolean, field: string, reason: string | (() => string)): void {
  if (!condition) reject(field, typeof reason === "string" ? reason : reason());
}

function text(value: string, field: string, max: number): string {
  if (value.length > max) reject(field, `must be at most ${max} characters (got ${value.length})`);
  if (!value.isWellFormed()) reject(field, "must be valid Unicode (it has an unpaired surrogate)");
  if (value.includes("\u0000")) reject(field, "must not contain NUL characters");
  return value;
}

/** Well-formed Unicode without NUL: what text() demands, without naming a field. */
function isPlainText(value: string): boolean {
  return value.isWellFormed() && !value.includes("\u0000");
}

/** An http(s) URL as most clients send it: the parser need not be asked for its scheme. */
const plainHttpUrl = /^https?:\/\//i;
/** Whether a text is an IPv4 or IPv6 address, once per text: a visitor sends many events. */
const isOtherAddress = memoize((ip) => isIP(ip) !== 0, 20_000);
/** Dotted IPv4 as most clients send it is read on the spot; other spellings and IPv6 go to the memo. */
const isAddress = (ip: string) => isCanonicalIpv4(ip) || isOtherAddress(ip);
/** Whether a text is such a URL, worked out once per text: a site's URLs repeat. */
function isPlainHttpUrl(value: string): boolean {
  const facts = urlFacts(value);
  facts.plainHttp ??= plainHttpUrl.test(value) && URL.canParse(value);
  return facts.plainHttp;
}

function absoluteUrl(value: string, field: string): string {
  text(value, field, limits.urlLength);
  if (value === "") return value;
  if (isPlainHttpUrl(value)) return value;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new EventRejected(field, "must be an absolute URL such as https://example.com/page");
  }
  check(
    parsed.protocol === "http:" || parsed.protocol === "https:" || field.endsWith("referrer"),
    field,
    "must be an http or https URL",
  );
  return value;
}

function stringMap(
  map: Record<string, string>,
  field: string,
  maxEntries: number,
  maxValue: number,
  lowerKeys: boolean,
): Record<string, string> {
  let size = 0;
  // Most maps are already as stored (keys lower-case where asked, every key and value plain
  // text within its limits): they are kept as they are, without a copy.
  let asStored = true;
  for (const key in map) {
    size++;
    if (asStored) {
      const value = map[key] as string;
      asStored =
        key.length > 0 &&
        key.length <= limits.propertyKeyLength &&
        value.length <= maxValue &&
        (!lowerKeys || key.toLowerCase() === key) &&
        // Copied, this key would set the copy's prototype instead: the copy decides.
        key !== "__proto__" &&
        isPlainText(key) &&
        isPlainText(value);
    }
  }
  if (size > maxEntries) reject(field, `must have at most ${maxEntries} entries (got ${size})`);
  if (asStored) return map;
  const out: Record<string, string> = {};
  for (const rawKey in map) {
    const key = lowerKeys ? rawKey.toLowerCase() : rawKey;
    if (key.length === 0) reject(field, "keys must not be empty");
    const value = map[rawKey] as string;
    if (key.length > limits.propertyKeyLength || value.length > maxValue || !isPlainText(key) || !isPlainText(value)) {
      // The key names the field: only as much of it as an error may repeat (platform clip).
      text(key, `${field}.${clip(key)}`, limits.propertyKeyLength);
      text(value, `${field}.${clip(key)}`, maxValue);
    }
    out[key] = value;
  }
  return out;
}

function validateOne(event: EventInput, index: number, context: ValidationContext): ValidEvent {
  const type = kinds.get(event.type);
  check(type !== undefined, "type", typeRequired);
  const kind = type as EventType;

  let eventId = text(event.eventId, "event_id", limits.eventIdLength);
  const clientEventId = eventId !== "";
  if (clientEventId)
    check(eventIdPattern.test(eventId), "event_id", "may contain only letters, digits, '.', '_', ':' and '-'");
  else eventId = randomUUID();

  const given = event.time;
  const time = given === undefined ? context.receivedAt : given instanceof Date ? given : timestampDate(given);
  check(!Number.isNaN(time.getTime()), "time", "is not a valid timestamp");
  check(isSupportedInstant(time.getTime()), "time", instantRangeReason);
  if (given !== undefined && !(given instanceof Date))
    check(given.nanos >= 0 && given.nanos <= 999_999_999, "time", "has nanos out of range");
  check(
    time.getTime() <= context.receivedAt.getTime() + limits.futureSkewMs,
    "time",
    "is more than 5 minutes in the future",
  );
  const oldest = context.receivedAt.getTime() - context.retentionDays * 86_400_000;
  check(
    time.getTime() >= oldest,
    "time",
    () => `is older than the organization's retention of ${context.retentionDays} days`,
  );

  const url = absoluteUrl(event.url, "url");
  if ((kind === "click" || kind === "pageview") && url === "") reject("url", `is required for ${kind} events`);
  const referrer = absoluteUrl(event.referrer, "referrer");

  const ip = text(event.ip, "ip", limits.ipLength);
  check(ip === "" || isAddress(ip), "ip", "must be an IPv4 or IPv6 address");

  const conversionName = text(event.conversionName, "conversion_name", limits.nameLength);
  if (kind === "conversion") check(conversionName !== "", "conversion_name", "is required for conversion events");
  check(Number.isFinite(event.value), "value", "must be a finite number");
  check(
    event.value >= 0 && event.value <= limits.maxConversionValue,
    "value",
    () => `must be between 0 and ${limits.maxConversionValue}`,
  );
  const currency = text(event.currency, "currency", 3);
  check(currency === "" || limits.currencyPattern.test(currency), "currency", "must be an ISO 4217 code such as USD");

  const name = text(event.name, "name", limits.nameLength);
  if (kind === "custom") check(name !== "", "name", "is required for custom events");

  const headers = stringMap(event.headers, "headers", limits.headers, limits.headerValueLength, true);
  for (const header in headers) {
    if (forbiddenHeaders.has(header)) reject(`headers.${header}`, "must not be sent: credentials are never stored");
  }

  return {
    index,
    eventId,
    clientEventId,
    type: kind,
    name,
    time,
    url,
    referrer,
    userAgent: text(event.userAgent, "user_agent", limits.userAgentLength),
    ip,
    clickId: text(event.clickId, "click_id", limits.clickIdLength),
    sessionId: text(event.sessionId, "session_id", limits.idLength),
    visitorId: text(event.visitorId, "visitor_id", limits.idLength),
    conversionName,
    value: event.value,
    currency,
    properties: stringMap(event.properties, "properties", limits.properties, limits.propertyValueLength, false),
    headers,
  };
}

export interface ValidationResult {
  valid: ValidEvent[];
  rejected: Array<Pick<EventError, "index" | "field" | "reason">>;
}

type Rejection = Pick<EventError, "index" | "field" | "reason">;

/**
 * One event of a batch, checked on its own: the valid event, or why it is refused. `seen`
 * holds the client event ids of the batch's earlier valid events (an id may not repeat).
 */
export function validateEvent(
  event: EventInput,
  index: number,
  context: ValidationContext,
  seen: Set<string>,
): { valid: ValidEvent; rejected?: undefined } | { valid?: undefined; rejected: Rejection } {
  try {
    const ok = validateOne(event, index, context);
    if (ok.clientEventId && seen.has(ok.eventId)) {
      throw new EventRejected("event_id", `repeats the id of an earlier event in this batch ("${ok.eventId}")`);
    }
    seen.add(ok.eventId);
    return { valid: ok };
  } catch (error) {
    if (!(error instanceof EventRejected)) throw error;
    return { rejected: { index, field: `events[${index}].${error.field}`, reason: error.reason } };
  }
}

/** Validates each event on its own: one bad event never rejects its neighbours. */
export function validateEvents(
  events: readonly EventInput[],
  context: ValidationContext,
  indexOffset = 0,
): ValidationResult {
  const valid: ValidEvent[] = [];
  const rejected: ValidationResult["rejected"] = [];
  const seen = new Set<string>();
  events.forEach((event, i) => {
    const outcome = validateEvent(event, i + indexOffset, context, seen);
    if (outcome.valid) valid.push(outcome.valid);
    else rejected.push(outcome.rejected);
  });
  return { valid, rejected };
}
