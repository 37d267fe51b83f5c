import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { IngestEventsRequestSchema, type IngestEventsResponse, IngestService } from "@trellis/contracts";
import { decodeEventBatchJson, fieldViolationsOf, ValidationError } from "@trellis/platform";
import type { RestRoute } from "./route.js";

interface Rejection {
  index: number;
  field: string;
  reason: string;
}

const IDEMPOTENCY_KEY = "Idempotency-Key";

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

/** The answer to a batch: 200 when any event was accepted, else 400; per-event errors by position in the body. */
function answer(response: IngestEventsResponse | undefined, batchId: string, rejected: Rejection[]) {
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
}

/**
 * The batch read here, event by event, for a caller that changes the events before ingest
 * sees them (the browser path stamps each with the browser's address and headers). Events
 * that are not even well-formed are rejected here with their index; the rest go to ingest,
 * whose per-event errors are mapped back to the original positions.
 */
export const exchangeDecodedEvents: NonNullable<RestRoute["exchange"]> = async (input, invoke) => {
  const fromQuery = input.query.get("batch_id");
  const fromHeader = fromQuery === null && input.idempotencyKey !== undefined;
  const decoded = decodeEventBatchJson(input.raw, input.contentType, fromQuery ?? input.idempotencyKey ?? "");
  const batchField = fromHeader && !decoded.batchIdFromBody ? IDEMPOTENCY_KEY : "batch_id";
  const rejected: Rejection[] = [...decoded.rejected];
  let response: IngestEventsResponse | undefined;
  if (decoded.events.length > 0) {
    try {
      response = (await invoke(
        create(IngestEventsRequestSchema, { batchId: decoded.batchId, events: decoded.events }),
      )) as IngestEventsResponse;
    } catch (error) {
      throw namingTheBatchField(error, batchField);
    }
    for (const error of response.rejected) {
      const index = decoded.positions[error.index] ?? error.index;
      rejected.push({
        index,
        field: error.field.replace(/^events\[\d+\]/, `events[${index}]`),
        reason: error.reason,
      });
    }
  }
  return answer(response, decoded.batchId, rejected);
};

/**
 * POST /api/v1/events: a JSON array, {"batch_id", "events"} or NDJSON (gzip or deflate
 * accepted). The body goes to ingest as it came (`IngestEventsRequest.encoded`): ingest reads
 * it where it validates the events, off the thread serving requests, and names every refused
 * event by its position in the body.
 */
export const ingestEventsRoute: RestRoute = {
  method: "POST",
  path: "/api/v1/events",
  rpc: IngestService.method.ingestEvents,
  parse() {
    throw new Error("events are read by exchange()");
  },
  async exchange(input, invoke) {
    const fromQuery = input.query.get("batch_id");
    const fromHeader = fromQuery === null && input.idempotencyKey !== undefined;
    const response = (await invoke(
      create(IngestEventsRequestSchema, {
        batchId: fromQuery ?? input.idempotencyKey ?? "",
        encoded: {
          contentType: input.contentType,
          body: input.raw,
          batchIdField: fromHeader ? IDEMPOTENCY_KEY : "",
        },
      }),
    )) as IngestEventsResponse;
    return answer(
      response,
      response.batchId,
      response.rejected.map(({ index, field, reason }) => ({ index, field, reason })),
    );
  },
};
