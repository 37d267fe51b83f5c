import { create } from "@bufbuild/protobuf";
import { CreateDeletionRequestSchema } from "@trellis/contracts";
import { ValidationError } from "@trellis/platform";
import { describe, expect, it } from "vitest";
import { deleteSubjectEventsSql, rollupRebuilds } from "../../src/privacy/deletion-plan.js";
import { MAX_DELETION_IDS, parseDeletionRequest, suppressionHash } from "../../src/privacy/deletion-request.js";
import { createWriteGate } from "../../src/privacy/write-gate.js";

const request = (fields: Parameters<typeof create<typeof CreateDeletionRequestSchema>>[1]) =>
  create(CreateDeletionRequestSchema, fields);

function violations(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.violations.map((v) => v.field);
    throw error;
  }
  return [];
}

describe("deletion requests", () => {
  it("normalise ids (each once, IP hashes as decimal) and digest them without their order", () => {
    const a = parseDeletionRequest("acme", request({ visitorIds: ["v2", "v1", "v2"], ipHashes: ["007"] }));
    expect(a.subjects.visitorIds).toEqual(["v2", "v1"]);
    expect(a.subjects.ipHashes).toEqual(["7"]);
    const b = parseDeletionRequest("acme", request({ visitorIds: ["v1", "v2"], ipHashes: ["7"] }));
    expect(b.digest).toBe(a.digest);
    expect(parseDeletionRequest("globex", request({ visitorIds: ["v1", "v2"], ipHashes: ["7"] })).digest).not.toBe(
      a.digest,
    );
    expect(
      parseDeletionRequest("acme", request({ visitorIds: ["v1", "v2"], ipHashes: ["7"], suppress: true })).digest,
    ).not.toBe(a.digest);
    // The same id as a session id is another request.
    expect(parseDeletionRequest("acme", request({ sessionIds: ["v1", "v2"], ipHashes: ["7"] })).digest).not.toBe(
      a.digest,
    );
  });

  it("refuse no ids, too many, empty or long ids, bad IP hashes and request ids, all at once", () => {
    expect(violations(() => parseDeletionRequest("acme", request({})))).toEqual(["visitor_ids"]);
    const many = Array.from({ length: MAX_DELETION_IDS - 1 }, (_, i) => `v${i}`);
    expect(violations(() => parseDeletionRequest("acme", request({ visitorIds: many, clickIds: ["c1"] })))).toEqual([]);
    expect(
      violations(() => parseDeletionRequest("acme", request({ visitorIds: many, clickIds: ["c1", "c2"] }))),
    ).toEqual(["visitor_ids"]);
    expect(
      violations(() =>
        parseDeletionRequest(
          "acme",
          request({
            visitorIds: ["", "x".repeat(257)],
            ipHashes: ["18446744073709551616", "-1"],
            requestId: "no spaces",
          }),
        ),
      ),
    ).toEqual(["visitor_ids[0]", "visitor_ids[1]", "ip_hashes[0]", "ip_hashes[1]", "request_id"]);
  });

  it("suppression hashes depend on the organization and the kind", () => {
    const h = suppressionHash("acme", "visitor_id", "v1");
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(suppressionHash("globex", "visitor_id", "v1")).not.toBe(h);
    expect(suppressionHash("acme", "session_id", "v1")).not.toBe(h);
  });
});

describe("the write gate", () => {
  it("lets writes run together, makes a deletion wait for them and holds new writes until it is done", async () => {
    const gate = createWriteGate();
    const order: string[] = [];
    const releaseA = await gate.enter("acme");
    const releaseB = await gate.enter("acme");
    const deletion = gate.exclusive("acme", async () => {
      order.push("deletion runs");
      await new Promise((resolve) => setTimeout(resolve, 10));
      order.push("deletion ends");
    });
    const late = gate.enter("acme").then((release) => {
      order.push("late write enters");
      release();
    });
    // Another organization is never held back.
    (await gate.enter("globex"))();
    order.push("other organization writes");
    await new Promise((resolve) => setTimeout(resolve, 5));
    order.push("write A done");
    releaseA();
    await new Promise((resolve) => setTimeout(resolve, 5));
    order.push("write B done");
    releaseB();
    await Promise.all([deletion, late]);
    expect(order).toEqual([
      "other organization writes",
      "write A done",
      "write B done",
      "deletion runs",
      "deletion ends",
      "late write enters",
    ]);
  });

  it("opens again when the deletion fails", async () => {
    const gate = createWriteGate();
    await expect(gate.exclusive("acme", async () => Promise.reject(new Error("engine down")))).rejects.toThrow();
    const release = await gate.enter("acme");
    release();
  });
});

describe("deletion statements", () => {
  it("change rows of the tables themselves, or on a cluster of their _local tables on every node", () => {
    expect(deleteSubjectEventsSql({ database: "trellis" })).toMatch(
      /^DELETE FROM trellis\.analytics_events WHERE organization_id = \{organization_id:String\}/,
    );
    const cluster = { database: "trellis", cluster: "analytics" };
    expect(deleteSubjectEventsSql(cluster)).toMatch(
      /^DELETE FROM trellis\.analytics_events_local ON CLUSTER analytics WHERE/,
    );
    const rebuilds = rollupRebuilds(cluster);
    expect(rebuilds.map((r) => r.table)).toEqual([
      "events_hourly",
      "events_daily",
      "events_daily_overview",
      "events_daily_totals",
      "landing_sessions",
    ]);
    for (const rebuild of rebuilds) {
      expect(rebuild.remove).toContain(`DELETE FROM trellis.${rebuild.table}_local ON CLUSTER analytics WHERE`);
      // Refills go through the Distributed table, which routes rows to their shard.
      expect(rebuild.refill).toContain(`INSERT INTO trellis.${rebuild.table}\n`);
    }
    // Only the hourly rollup and the landing sessions read the raw events; the others merge a finer rollup.
    expect(rebuilds.filter((r) => r.refill.includes("analytics_events")).map((r) => r.table)).toEqual([
      "events_hourly",
      "landing_sessions",
    ]);
    expect(rebuilds.find((r) => r.table === "events_daily_totals")?.refill).toContain(
      "FROM trellis.events_daily_overview AS src",
    );
  });
});
