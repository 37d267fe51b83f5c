import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { EventSchema, EventType } from "@trellis/contracts";
import { createLogger, UnavailableError, ValidationError } from "@trellis/platform";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readNativeRows } from "../../../../../test/helpers/native-rows.js";
import { createWorkerPreparer, type Preparer } from "../../../src/adapters/preparer.js";

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
    const batch = await preparer.prepare([pageview("a-1"), pageview("a-2")], context("acme"));
    expect(batch.acceptedEventIds).toEqual(["a-1", "a-2"]);
    expect(readNativeRows(batch.block)).toEqual([
      expect.objectContaining({ organization_id: "acme", event_id: "a-1", source: "newsletter", medium: "email" }),
      expect.objectContaining({ organization_id: "acme", event_id: "a-2", source: "newsletter", medium: "email" }),
    ]);
    expect([...batch.dates]).toHaveLength(1);
  });

  it("refuses a batch for the caller's mistake as the caller's mistake, across the thread", async () => {
    const refused = preparer.prepare([pageview("b-1")], { ...context("acme"), clientBatchId: "x".repeat(129) });
    await expect(refused).rejects.toBeInstanceOf(ValidationError);
    await expect(refused).rejects.toMatchObject({ violations: [{ field: "batch_id" }] });
  });

  it("fails only the batch a dying worker held, as retryable, and prepares the retry on its replacement", async () => {
    await expect(preparer.prepare([pageview("die")], context("acme"))).rejects.toBeInstanceOf(UnavailableError);
    const retried = await preparer.prepare([pageview("after-1")], context("acme"));
    expect(retried.acceptedEventIds).toEqual(["after-1"]);
    const other = await preparer.prepare([pageview("g-1")], context("globex"));
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
