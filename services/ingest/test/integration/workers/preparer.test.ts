import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { EventSchema, EventType } from "@trellis/contracts";
import { createLogger, UnavailableError, ValidationError } from "@trellis/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readNativeRows } from "../../../../../test/helpers/native-rows.js";
import { createWorkerPreparer, type Preparer } from "../../../src/adapters/preparer.js";
import { suppressionHash } from "../../../src/privacy/deletion-request.js";

const logger = createLogger({ service: "test", level: "silent" });
let preparer: Preparer;

beforeAll(async () => {
  preparer = await createWorkerPreparer({
    workers: 2,
    enricher: { ipHashKey: "preparer-test-key-0123456789abcdef0123" },
    logger,
    workerModule: new URL("./dying-prepare-worker.ts", import.meta.url),
  });
});

afterAll(async () => {
  await preparer?.close();
});

const context = (organizationId: string) => ({
  organizationId,
  retentionDays: 365,
  clientBatchId: "",
  receivedAt: new Date(),
});

const pageview = (eventId: string) =>
  create(EventSchema, {
    eventId,
    type: EventType.PAGEVIEW,
    time: timestampFromDate(new Date(Date.now() - 60_000)),
    url: "https://shop.example/?utm_source=newsletter&utm_medium=email",
    ip: "81.2.69.142",
  });

describe("the worker preparer", () => {
  it("prepares batches on its workers as ingest stores them", async () => {
    const batch = await preparer.prepare({ events: [pageview("a-1"), pageview("a-2")] }, context("acme"));
    expect(batch.acceptedEventIds).toEqual(["a-1", "a-2"]);
    expect(readNativeRows(batch.block)).toEqual([
      expect.objectContaining({ organization_id: "acme", event_id: "a-1", source: "newsletter", medium: "email" }),
      expect.objectContaining({ organization_id: "acme", event_id: "a-2", source: "newsletter", medium: "email" }),
    ]);
    expect([...batch.dates]).toHaveLength(1);
  });

  it("refuses a batch for the caller's mistake as the caller's mistake, across the thread", async () => {
    const refused = preparer.prepare(
      { events: [pageview("b-1")] },
      { ...context("acme"), clientBatchId: "x".repeat(129) },
    );
    await expect(refused).rejects.toBeInstanceOf(ValidationError);
    await expect(refused).rejects.toMatchObject({ violations: [{ field: "batch_id" }] });
  });

  it("reads a client's JSON body on the worker, naming refused events by their place in the body", async () => {
    const time = new Date(Date.now() - 60_000).toISOString();
    const url = "https://shop.example/?utm_source=newsletter";
    const body = JSON.stringify({
      batch_id: "from-body-1",
      events: [
        { event_id: "e-0", type: "EVENT_TYPE_PAGEVIEW", time, url, ip: "81.2.69.142", visitor_id: "v-gone" },
        { event_id: "e-1", type: "EVENT_TYPE_PAGEVIEW", time: "yesterday", url },
        "not an event",
        { event_id: "e-3", type: "EVENT_TYPE_PAGEVIEW", time, url: "no scheme" },
        { event_id: "e-4", type: "EVENT_TYPE_PAGEVIEW", time, url, ip: "81.2.69.142" },
      ],
    });
    const suppressed = new Map([["visitor_id" as const, new Set([suppressionHash("acme", "visitor_id", "v-gone")])]]);
    const batch = await preparer.prepare(
      { encoded: { body: new TextEncoder().encode(body), contentType: "application/json", batchIdField: "" } },
      { ...context("acme"), clientBatchId: "from-header", suppressed },
    );
    expect(batch.identity).toEqual({ batchId: "from-body-1", recognisable: true });
    expect(batch.acceptedEventIds).toEqual(["e-4"]);
    expect(batch.rejected).toEqual([
      { index: 0, field: "visitor_id", reason: "suppressed by a privacy deletion request" },
      { index: 1, field: "events[1].time", reason: expect.stringContaining("RFC 3339") },
      { index: 2, field: "events[2]", reason: expect.stringContaining("expected an event object") },
      { index: 3, field: "events[3].url", reason: expect.stringContaining("absolute URL") },
    ]);
    expect(readNativeRows(batch.block)).toEqual([
      expect.objectContaining({ organization_id: "acme", event_id: "e-4", batch_id: "from-body-1" }),
    ]);
  });

  it("refuses an unreadable body, or a bad batch id named as the caller sent it, across the thread", async () => {
    const encoded = (text: string, batchIdField = "") => ({
      encoded: { body: new TextEncoder().encode(text), contentType: "application/json", batchIdField },
    });
    await expect(preparer.prepare(encoded("{not json"), context("acme"))).rejects.toMatchObject({
      violations: [{ field: "body", reason: expect.stringContaining("is not valid JSON") }],
    });
    await expect(preparer.prepare(encoded("[]"), context("acme"))).rejects.toMatchObject({
      violations: [{ field: "events", reason: "must not be empty" }],
    });
    const event = JSON.stringify({ type: "EVENT_TYPE_PAGEVIEW", url: "https://shop.example/" });
    await expect(
      preparer.prepare(encoded(`[${event}]`, "Idempotency-Key"), { ...context("acme"), clientBatchId: "bad id!" }),
    ).rejects.toMatchObject({ violations: [{ field: "Idempotency-Key" }] });
    await expect(
      preparer.prepare(encoded(`{"batch_id": "bad id!", "events": [${event}]}`, "Idempotency-Key"), context("acme")),
    ).rejects.toMatchObject({ violations: [{ field: "batch_id" }] });
    const lines = await preparer.prepare(
      {
        encoded: {
          body: new TextEncoder().encode(`${event}\n{oops\n`),
          contentType: "application/x-ndjson",
          batchIdField: "",
        },
      },
      context("acme"),
    );
    expect(lines.rows).toBe(1);
    expect(lines.rejected).toEqual([
      { index: 1, field: "events[1]", reason: expect.stringContaining("is not valid JSON") },
    ]);
  });

  it("moves a body that owns its memory to the worker, and copies one that is a view into a larger buffer", async () => {
    const time = new Date(Date.now() - 60_000).toISOString();
    const event = (id: string) =>
      JSON.stringify({ event_id: id, type: "EVENT_TYPE_PAGEVIEW", time, url: "https://shop.example/" });
    const owned = new TextEncoder().encode(`[${event("m-1")}]`);
    const moved = await preparer.prepare(
      { encoded: { body: owned, contentType: "application/json", batchIdField: "" } },
      context("acme"),
    );
    expect(moved.acceptedEventIds).toEqual(["m-1"]);
    expect(owned.buffer.byteLength).toBe(0);

    // A frame of a larger message, as a binary call's bytes are: its neighbours keep their bytes.
    const text = `[${event("v-1")}]`;
    const message = new TextEncoder().encode(`head${text}tail`);
    const view = message.subarray(4, 4 + text.length);
    const copied = await preparer.prepare(
      { encoded: { body: view, contentType: "application/json", batchIdField: "" } },
      context("acme"),
    );
    expect(copied.acceptedEventIds).toEqual(["v-1"]);
    expect(new TextDecoder().decode(message)).toBe(`head${text}tail`);

    // Shared memory cannot move: it is cloned, and the caller keeps it.
    const sharedText = new TextEncoder().encode(`[${event("s-1")}]`);
    const shared = new Uint8Array(new SharedArrayBuffer(sharedText.length));
    shared.set(sharedText);
    const cloned = await preparer.prepare(
      { encoded: { body: shared, contentType: "application/json", batchIdField: "" } },
      context("acme"),
    );
    expect(cloned.acceptedEventIds).toEqual(["s-1"]);
    expect(shared.byteLength).toBe(sharedText.length);
  });

  it("fails only the batch a dying worker held, as retryable, and prepares the retry on its replacement", async () => {
    await expect(preparer.prepare({ events: [pageview("die")] }, context("acme"))).rejects.toBeInstanceOf(
      UnavailableError,
    );
    const retried = await preparer.prepare({ events: [pageview("after-1")] }, context("acme"));
    expect(retried.acceptedEventIds).toEqual(["after-1"]);
    const other = await preparer.prepare({ events: [pageview("g-1")] }, context("globex"));
    expect(other.acceptedEventIds).toEqual(["g-1"]);
  });
});

describe("starting worker preparers", () => {
  it("stops booting workers when its signal aborts, failing the start", async () => {
    const controller = new AbortController();
    const starting = createWorkerPreparer({
      workers: 1,
      enricher: { ipHashKey: "preparer-test-key-0123456789abcdef0123" },
      logger,
      signal: controller.signal,
    });
    controller.abort();
    // Without the abort the worker would finish booting and the start would succeed.
    await expect(starting).rejects.toThrow(/exited/);
  });
});
