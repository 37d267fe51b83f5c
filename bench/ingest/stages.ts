// Each stage of ingest's pipeline on its own, over the same events as the other runs, on one
// thread: CPU µs per event of reading the REST JSON body into events (what the gateway does),
// reading the same events from a binary gRPC/Connect call as the product does (the gateway
// reads the request with events as bytes and frames them, a worker reads each Event), beside
// protobuf-es's own decoding of the whole IngestEventsRequest,
// validation, enrichment, and appending to the Native columns with the block's encoding;
// then all of preparation in its one pass per event, as the workers run it. Prints one
// JSON line.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  IngestEventsRequestFramesSchema,
  IngestEventsRequestSchema,
  IngestEventsResponseSchema,
} from "@trellis/contracts";
import { createEnricher, prepareBatch } from "@trellis/ingest";
import {
  decodeEventRecordBatchDelimited,
  decodeEventRecordBatchJson,
  type EventRecord,
  frameDelimited,
  withRepeatedStringsEncoded,
} from "@trellis/platform";
import { createRowBlockBuilder } from "../../services/ingest/src/domain/rows.js";
import { type ValidEvent, validateEvents } from "../../services/ingest/src/domain/validate.js";
import type { Enrichment } from "../../services/ingest/src/enrich/index.js";
import { readEventLines } from "./events-file.js";

const [eventsPath] = process.argv.slice(2);
if (!eventsPath) throw new Error("usage: stages.ts <events.ndjson>");
const BATCH = 5_000;
const lines = readEventLines(eventsPath);
const bodies: Buffer[] = [];
for (let i = 0; i < lines.length; i += BATCH) bodies.push(Buffer.from(`[${lines.slice(i, i + BATCH).join(",")}]`));

/** CPU µs per event of `run` over every batch (the best of three rounds: the least disturbed). */
function measure<T>(run: (batch: number) => T): { usPerEvent: number; results: T[] } {
  let best = Number.POSITIVE_INFINITY;
  let results: T[] = [];
  for (let round = 0; round < 3; round++) {
    const cpu = process.cpuUsage();
    results = bodies.map((_, batch) => run(batch));
    const used = process.cpuUsage(cpu);
    best = Math.min(best, (used.user + used.system) / lines.length);
  }
  return { usPerEvent: best, results };
}

const receivedAt = new Date();
const context = { organizationId: "demo", retentionDays: 3650, clientBatchId: "", receivedAt };
const enricher = await createEnricher({ ipHashKey: "bench-ip-hash-key-0123456789abcdef0123" });

// The body as ingest's workers read it (UTF-8 checked, parsed, each event read into a record).
const restJson = measure((b) => decodeEventRecordBatchJson(bodies[b] as Buffer, "application/json", "").events);
const events: EventRecord[][] = restJson.results;
const wire = events.map((batch) =>
  toBinary(
    IngestEventsRequestSchema,
    create(IngestEventsRequestSchema, {
      events: batch.map((e) => ({ ...e, time: e.time && timestampFromDate(e.time) })),
    }),
  ),
);
const protobuf = measure((b) => fromBinary(IngestEventsRequestSchema, wire[b] as Uint8Array).events);
const binary = measure(
  (b) =>
    decodeEventRecordBatchDelimited(
      frameDelimited(fromBinary(IngestEventsRequestFramesSchema, wire[b] as Uint8Array).events),
      "",
    ).events,
);
const validation = measure(
  (b) => validateEvents(events[b] as EventRecord[], { receivedAt, retentionDays: 3650 }).valid,
);
const valid = validation.results;
const toEnrich = (e: ValidEvent) => ({
  type: e.type,
  time: e.time,
  receivedAt,
  url: e.url,
  referrer: e.referrer,
  userAgent: e.userAgent,
  ip: e.ip,
  clickId: e.clickId,
  headers: e.headers,
  sessionId: e.sessionId,
  visitorId: e.visitorId,
});
const enrichment = measure((b) => (valid[b] as ValidEvent[]).map((e) => enricher.enrich(toEnrich(e), "demo")));
const enriched = enrichment.results;
const builder = createRowBlockBuilder();
const rowContext = { organizationId: "demo", retentionDays: 3650, ingestedAtMs: receivedAt.getTime() };
const columns = measure((b) => {
  const batch = valid[b] as ValidEvent[];
  const facts = enriched[b] as Enrichment[];
  for (let i = 0; i < batch.length; i++) {
    builder.append({ event: batch[i] as ValidEvent, enrichment: facts[i] as Enrichment, context: rowContext });
  }
  builder.fillColumn("batch_id", `bench-${b}`);
  return builder.finish().length;
});
// The whole of preparation, in one pass per event as the workers run it.
const prepare = measure((b) => prepareBatch(events[b] as EventRecord[], enricher, context).rows);
await enricher.close();
// A binary call's answer: its accepted event ids written by protobuf-es field by field, and
// pre-encoded in one piece as the gateway and ingest answer binary callers.
const answers = events.map((batch) =>
  create(IngestEventsResponseSchema, { accepted: batch.length, acceptedEventIds: batch.map((e) => e.eventId) }),
);
const answerProtobufEs = measure(
  (b) => toBinary(IngestEventsResponseSchema, answers[b] as (typeof answers)[number]).length,
);
const answerPreEncoded = measure((b) => {
  const answer = answers[b] as (typeof answers)[number];
  const encoded = withRepeatedStringsEncoded(
    answer,
    IngestEventsResponseSchema.field.acceptedEventIds,
    answer.acceptedEventIds,
  );
  return toBinary(IngestEventsResponseSchema, encoded).length;
});

process.stdout.write(
  `${JSON.stringify({
    events: lines.length,
    restJsonUs: restJson.usPerEvent,
    binaryUs: binary.usPerEvent,
    protobufEsUs: protobuf.usPerEvent,
    validateUs: validation.usPerEvent,
    enrichUs: enrichment.usPerEvent,
    columnsUs: columns.usPerEvent,
    prepareUs: prepare.usPerEvent,
    answerProtobufEsUs: answerProtobufEs.usPerEvent,
    answerPreEncodedUs: answerPreEncoded.usPerEvent,
  })}\n`,
);
