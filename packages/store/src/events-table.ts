import type { EventType as EventTypeEnum } from "@trellis/contracts";

/**
 * The stored event, defined once: every column of `analytics_events` in table order with its
 * exact ClickHouse type, and the TypeScript type of a stored row derived from it. The migration
 * that creates the table renders its column list from here; ingest's row encoder, the test
 * helpers and the enrichment types are typed against {@link EventRow}.
 *
 * This module imports nothing at run time, so the traffic generator can use it without
 * loading the engine (`@trellis/store/events-table`).
 */

/**
 * The kinds of captured event, as `event_type` stores them: the names of the protobuf enum
 * `trellis.warehouse.v1.EventType` in lower case, without UNSPECIFIED. The protobuf value of one
 * is `EventType[type.toUpperCase()]`.
 */
export const EVENT_TYPES = ["click", "pageview", "conversion", "custom"] as const;

/** One of {@link EVENT_TYPES}. */
export type EventType = (typeof EVENT_TYPES)[number];

/** The protobuf enum's names in lower case: {@link EVENT_TYPES} must hold exactly these. */
type ProtoEventTypeName = Lowercase<Exclude<keyof typeof EventTypeEnum, "UNSPECIFIED">>;
const sameAsProtoEnum: [EventType, ProtoEventTypeName] extends [ProtoEventTypeName, EventType] ? true : never = true;
void sameAsProtoEnum;

/**
 * A captured event as a client sends it, before enrichment: the fields of the protobuf message
 * `trellis.warehouse.v1.Event` with the time as a Date and the type as {@link EventType}.
 * Validation answers it (with the event's place in its batch), the traffic generator makes it;
 * the stored row ({@link EventRow}) is what enrichment makes of it.
 */
export interface CapturedEvent {
  /** The client's id for the event; validation gives one to an event sent without. */
  eventId: string;
  type: EventType;
  time: Date;
  url: string;
  referrer: string;
  userAgent: string;
  ip: string;
  clickId: string;
  sessionId: string;
  visitorId: string;
  /** Conversions: what was converted, its value and the value's ISO 4217 currency. */
  conversionName: string;
  value: number;
  currency: string;
  /** Custom events: their name. */
  name: string;
  properties: Readonly<Record<string, string>>;
  headers: Readonly<Record<string, string>>;
}

/**
 * The ClickHouse types the stored event uses, and the value a row holds for each: DateTime64 as
 * `YYYY-MM-DD hh:mm:ss.sss` (see `toDateTime64`), Date as `YYYY-MM-DD`, UInt64 as its decimal
 * text, IPv6 as its text. A type not listed here maps to `never`: adding one is a change here
 * and in {@link typeDefault}.
 */
export type ClickHouseValue<T extends string> = T extends "Map(LowCardinality(String), String)"
  ? Readonly<Record<string, string>>
  : T extends "Array(LowCardinality(String))"
    ? readonly string[]
    : T extends "Bool"
      ? boolean
      : T extends "UInt64"
        ? string
        : T extends "UInt8" | "UInt16" | "UInt32" | `Decimal(${number}, ${number})`
          ? number
          : T extends "String" | "LowCardinality(String)" | "Date" | "IPv6" | `DateTime64(${number}, 'UTC')`
            ? string
            : never;

/** A value of any of the types {@link ClickHouseValue} knows. */
export type AnyClickHouseValue = string | number | boolean | Readonly<Record<string, string>> | readonly string[];

/** One column of the stored event. */
export interface EventColumn<N extends string = string, T extends string = string> {
  readonly name: N;
  /** The exact ClickHouse type, as the DDL writes it and `system.columns` reports it. */
  readonly type: T;
  /** The compression codec's arguments (`ZSTD(1)`), written as `CODEC(…)` in the DDL; none for the default codec. */
  readonly codec?: string;
  /**
   * The value the engine stores when an insert leaves the column out: its type's default, since
   * no column has a DEFAULT expression.
   */
  readonly default: ClickHouseValue<T>;
  /**
   * The migration version that added the column; absent for the columns migration 1 created.
   * Migration 1 renders only those: a released migration's DDL never changes.
   */
  readonly addedIn?: number;
}

const EMPTY_MAP: Readonly<Record<string, string>> = Object.freeze({});
const EMPTY_ARRAY: readonly string[] = Object.freeze([]);

/** The value of `type` an insert that leaves the column out stores. Throws for a type {@link ClickHouseValue} does not know. */
export function typeDefault<T extends string>(type: T): ClickHouseValue<T> {
  const value = defaultOf(type);
  if (value === undefined) throw new Error(`no default known for the ClickHouse type ${type}`);
  return value as ClickHouseValue<T>;
}

function defaultOf(type: string): AnyClickHouseValue | undefined {
  if (type === "Map(LowCardinality(String), String)") return EMPTY_MAP;
  if (type === "Array(LowCardinality(String))") return EMPTY_ARRAY;
  if (type === "Bool") return false;
  if (type === "UInt64") return "0";
  if (type === "UInt8" || type === "UInt16" || type === "UInt32" || /^Decimal\(\d+, \d+\)$/.test(type)) return 0;
  if (type === "String" || type === "LowCardinality(String)") return "";
  if (type === "Date") return "1970-01-01";
  if (type === "IPv6") return "::";
  if (/^DateTime64\(3, 'UTC'\)$/.test(type)) return "1970-01-01 00:00:00.000";
  return undefined;
}

function column<const N extends string, const T extends string>(name: N, type: T, codec?: string): EventColumn<N, T> {
  return codec === undefined
    ? { name, type, default: typeDefault(type) }
    : { name, type, codec, default: typeDefault(type) };
}

/** An event's session: its id, or the event alone when it has none (SQL over the events' columns). */
export const SESSION_KEY_SQL = "if(session_id != '', session_id, event_id)";

/** Every column of `analytics_events`, in table order. */
export const eventColumns = [
  column("organization_id", "LowCardinality(String)"),
  column("event_date", "Date"),
  column("event_time", "DateTime64(3, 'UTC')", "Delta, ZSTD(1)"),
  column("event_id", "String", "ZSTD(1)"),
  column("event_type", "LowCardinality(String)"),
  column("event_name", "LowCardinality(String)"),
  column("batch_id", "String", "ZSTD(1)"),
  column("ingested_at", "DateTime64(3, 'UTC')", "Delta, ZSTD(1)"),
  column("retention_days", "UInt16"),
  column("visitor_id", "String", "ZSTD(1)"),
  column("session_id", "String", "ZSTD(1)"),
  column("click_id", "String", "ZSTD(1)"),
  column("click_id_type", "LowCardinality(String)"),
  column("campaign_id", "LowCardinality(String)"),
  column("source", "LowCardinality(String)"),
  column("medium", "LowCardinality(String)"),
  column("term", "String", "ZSTD(1)"),
  column("content", "String", "ZSTD(1)"),
  column("channel", "LowCardinality(String)"),
  column("referrer_class", "LowCardinality(String)"),
  column("referrer_host", "LowCardinality(String)"),
  column("referrer_path", "String", "ZSTD(1)"),
  column("landing_host", "LowCardinality(String)"),
  column("landing_path", "String", "ZSTD(1)"),
  column("url", "String", "ZSTD(3)"),
  column("referrer", "String", "ZSTD(3)"),
  column("user_agent", "String", "ZSTD(3)"),
  column("query_params", "Map(LowCardinality(String), String)", "ZSTD(3)"),
  column("headers", "Map(LowCardinality(String), String)", "ZSTD(3)"),
  column("properties", "Map(LowCardinality(String), String)", "ZSTD(3)"),
  column("ip_anonymized", "IPv6"),
  column("ip_hash", "UInt64"),
  column("country", "LowCardinality(String)"),
  column("region", "LowCardinality(String)"),
  column("city", "LowCardinality(String)"),
  column("timezone", "LowCardinality(String)"),
  column("asn", "UInt32"),
  column("as_organization", "LowCardinality(String)"),
  column("device_type", "LowCardinality(String)"),
  column("browser", "LowCardinality(String)"),
  column("browser_version", "LowCardinality(String)"),
  column("os", "LowCardinality(String)"),
  column("os_version", "LowCardinality(String)"),
  column("is_bot", "Bool"),
  column("bot_name", "LowCardinality(String)"),
  column("fraud_score", "UInt8"),
  column("fraud_flags", "Array(LowCardinality(String))"),
  column("quality_score", "UInt8"),
  column("conversion_name", "LowCardinality(String)"),
  column("conversion_value", "Decimal(18, 4)"),
  column("currency", "LowCardinality(String)"),
] as const satisfies readonly EventColumn[];

/** The name of a column of `analytics_events`. */
export type EventColumnName = (typeof eventColumns)[number]["name"];

/** One stored row of `analytics_events`: every column, each as {@link ClickHouseValue} of its type. */
export type EventRow = {
  [C in (typeof eventColumns)[number] as C["name"]]: ClickHouseValue<C["type"]>;
};

/** The columns of `analytics_events` whose row values are of type `V`. */
export type EventColumnOf<V> = {
  [K in EventColumnName]: EventRow[K] extends V ? K : never;
}[EventColumnName];
