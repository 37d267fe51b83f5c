import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { type Event, IngestEventsRequestSchema, type IngestEventsResponse, IngestService } from "@trellis/contracts";
import { clip, fieldViolationsOf, ValidationError } from "@trellis/platform";
import { EventJsonError, eventFromJson } from "./event-json.js";
import { bodyText, parseJsonText } from "./json-body.js";
import type { RawRestInput, RestRoute } from "./route.js";

interface Rejection {
  index: number;
  field: string;
  reason: string;
}

interface ParsedBody {
  batchId: string;
  /** Where the batch id came from, which an error about it names: `batch_id` or the `Idempotency-Key` header. */
  batchField: string;
  items: Array<{ index: number; value: unknown } | { index: number; error: string }>;
}

const IDEMPOTENCY_KEY = "Idempotency-Key";

function parseBody(input: RawRestInput): ParsedBody {
  const text = bodyText(input.raw);
  const fromQuery = input.query.get("batch_id");
  const fromHeader = fromQuery === null && input.idempotencyKey !== undefined;
  const batchId = fromQuery ?? input.idempotencyKey ?? "";
  const batchField = fromHeader ? IDEMPOTENCY_KEY : "batch_id";
  if (/ndjson|jsonl|json-seq/.test(input.contentType)) {
    const lines = text.split("\n").filter((line) => line.trim() !== "");
    return {
      batchId,
      batchField,
      items: lines.map((line, index) => {
        try {
          return { index, value: JSON.parse(line) as unknown };
        } catch (error) {
          return { index, error: `is not valid JSON: ${clip((error as Error).message, 200)}` };
        }
      }),
    };
  }
  const body = parseJsonText(text);
  if (Array.isArray(body)) return { batchId, batchField, items: body.map((value, index) => ({ index, value })) };
  if (body && typeof body === "object" && Array.isArray((body as { events?: unknown }).events)) {
    const object = body as { events: unknown[]; batch_id?: unknown; batchId?: unknown };
    const fromBody = object.batch_id ?? object.batchId;
    if (fromBody !== undefined && typeof fromBody !== "string")
      throw ValidationError.field("batch_id", "must be a string");
    return {
      batchId: (fromBody as string | undefined) || batchId,
      batchField: fromBody ? "batch_id" : batchField,
      items: object.events.map((value, index) => ({ index, value })),
    };
  }
  throw ValidationError.field("body", 'must be a JSON array of events, {"batch_id": …, "events": […]}, or NDJSON');
}

/**
 * Ingest checks a batch id (one rule, its own) and names it `batch_id`; when the id came from
 * the Idempotency-Key header, the header is what the caller must change, so it is named instead.
 */
function namingTheBatchField(error: unknown, batchField: string): unknown {
  if (batchField === "batch_id") return error;
  const connectError = ConnectError.from(error);
  if (connectError.code !== Code.InvalidArgument) return error;
  const violations = fieldViolationsOf(connectError);
  if (!violations.some((v) => v.field === "batch_id")) return error;
  return new ValidationError(violations.map((v) => (v.field === "batch_id" ? { ...v, field: batchField } : v)));
}

/**
 * POST /api/v1/events: a JSON array, {"batch_id", "events"} or NDJSON (gzip or deflate
 * accepted). Events that are not even well-formed are rejected here with their index; the
 * rest go to ingest, whose per-event errors are mapped back to the original positions.
 */
export const ingestEventsRoute: RestRoute = {
  method: "POST",
  path: "/api/v1/events",
  rpc: IngestService.method.ingestEvents,
  parse() {
    throw new Error("events are read by exchange()");
  },
  async exchange(input, invoke) {
    const { batchId, batchField, items } = parseBody(input);
    if (items.length === 0) throw ValidationError.field("events", "must not be empty");
    const rejected: Rejection[] = [];
    const forwarded: Event[] = [];
    const originalIndex: number[] = [];
    for (const item of items) {
      if ("error" in item) {
        rejected.push({ index: item.index, field: `events[${item.index}]`, reason: item.error });
        continue;
      }
      try {
        forwarded.push(eventFromJson(item.value));
        originalIndex.push(item.index);
      } catch (error) {
        if (!(error instanceof EventJsonError)) throw error;
        const field = error.field ? `events[${item.index}].${error.field}` : `events[${item.index}]`;
        rejected.push({ index: item.index, field, reason: error.message });
      }
    }
    let response: IngestEventsResponse | undefined;
    if (forwarded.length > 0) {
      try {
        response = (await invoke(
          create(IngestEventsRequestSchema, { batchId, events: forwarded }),
        )) as IngestEventsResponse;
      } catch (error) {
        throw namingTheBatchField(error, batchField);
      }
      for (const error of response.rejected) {
        const index = originalIndex[error.index] ?? error.index;
        rejected.push({
          index,
          field: error.field.replace(/^events\[\d+\]/, `events[${index}]`),
          reason: error.reason,
        });
      }
    }
    rejected.sort((a, b) => a.index - b.index);
    const accepted = response?.accepted ?? 0;
    return {
      status: accepted === 0 ? 400 : 200,
      body: {
        batch_id: response?.batchId ?? batchId,
        accepted,
        accepted_event_ids: response?.acceptedEventIds ?? [],
        rejected,
      },
    };
  },
};
