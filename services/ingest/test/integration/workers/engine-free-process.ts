// Run as a process of its own by engine-free-workers.test.ts. With no argument: starts the live
// and the bulk preparing workers, prepares a batch on each, closes them, and prints whether the
// process loaded the engine's addon (chDB). With "store": imports @trellis/store and prints the
// same — the check's control.
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { EventSchema, EventType } from "@trellis/contracts";
import { createGenerator } from "@trellis/generator";
import { createLogger } from "@trellis/platform";

const engineLoaded = () =>
  (process.report.getReport() as { sharedObjects: string[] }).sharedObjects.some((path) => /chdb/i.test(path));

if (process.argv[2] === "store") {
  await import("@trellis/store");
} else {
  const { createWorkerPreparer } = await import("../../../src/adapters/preparer.js");
  const { createBulkPreparer } = await import("../../../src/adapters/bulk-preparer.js");
  const enricher = { ipHashKey: "engine-free-test-key-0123456789abcdef0123" };
  const live = await createWorkerPreparer({
    workers: 1,
    enricher,
    logger: createLogger({ service: "test", level: "silent" }),
  });
  const batch = await live.prepare(
    {
      events: [
        create(EventSchema, {
          eventId: "e-1",
          type: EventType.PAGEVIEW,
          time: timestampFromDate(new Date(Date.now() - 60_000)),
          url: "https://shop.example/?utm_source=newsletter",
          ip: "81.2.69.142",
        }),
      ],
    },
    { organizationId: "acme", retentionDays: 365, clientBatchId: "", receivedAt: new Date() },
  );
  const bulk = await createBulkPreparer({ workers: 1, enricher });
  const end = new Date(Date.now() - 60_000);
  const [events = []] = createGenerator({
    seed: 3,
    organizations: 1,
    totalEvents: 50,
    start: new Date(end.getTime() - 86_400_000),
    end,
  }).batches(50);
  const run = await bulk.prepare({
    events,
    organizationIds: events.map((event) => event.organizationId),
    receivedAt: new Date(),
    retentionDays: 365,
    batchIdPrefix: "engine-free",
  });
  await Promise.all([live.close(), bulk.close()]);
  process.stdout.write(`${JSON.stringify({ liveRows: batch.acceptedEventIds.length, bulkRows: run.rows })}\n`);
}
process.stdout.write(`${JSON.stringify({ engineLoaded: engineLoaded() })}\n`);
