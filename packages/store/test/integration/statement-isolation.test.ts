import { rmSync } from "node:fs";
import { createLogger } from "@trellis/platform";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir, testDatabase } from "../../../../test/helpers/names.js";
import {
  createStore,
  ResultTooLargeError,
  StatementMemoryError,
  StatementTimeoutError,
  type Store,
} from "../../src/index.js";

// Every statement runs on an engine session of its own: a statement that fails after it began
// writing its answer (a run-time error, a deadline, a memory or result limit) must leave
// nothing behind for the next one, whoever runs it and in whatever format.

const logger = createLogger({ service: "test", level: "silent" });
const dataDir = tempDir("store-isolation");
const database = testDatabase("isolation");
const organizations = ["org_a", "org_b", "org_c"] as const;
const ROWS_PER_ORG = 200_000;
let store: Store;

beforeAll(async () => {
  store = createStore({ database, dataDir, requestTimeoutMs: 30_000, maxOpenConnections: 4 }, { logger });
  await store.command({ name: "test.database", sql: `CREATE DATABASE ${database}`, organizationId: null });
  await store.command({
    name: "test.table",
    sql: `CREATE TABLE ${database}.facts (organization_id String, n UInt64) ENGINE = MergeTree ORDER BY (organization_id, n)`,
    organizationId: null,
  });
  for (const [index, organization] of organizations.entries()) {
    await store.command({
      name: "test.fill",
      sql: `INSERT INTO ${database}.facts SELECT {org:String}, number + {offset:UInt64} FROM numbers(${ROWS_PER_ORG})`,
      params: { org: organization, offset: index * 1_000_000 },
      organizationId: null,
    });
  }
});

afterAll(async () => {
  await store?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

type Failure = "runtime-after-rows" | "deadline" | "memory" | "result-bytes";
type Good = "rows" | "table" | "stream" | "sum";

interface Operation {
  kind: "fail" | "good";
  what: Failure | Good;
  organization: (typeof organizations)[number];
}

/** A statement that fails only after the engine has produced (and emitted) many rows. */
function failing(what: Failure, organization: string, signal?: AbortSignal) {
  switch (what) {
    case "runtime-after-rows":
      return {
        name: "test.fail",
        sql: `SELECT organization_id, n, intDiv(1, if(n % ${ROWS_PER_ORG} = ${ROWS_PER_ORG - 1}, 0, 1)) AS y FROM ${database}.facts WHERE organization_id = {org:String} ORDER BY n`,
        params: { org: organization },
        organizationId: organization,
      };
    case "deadline":
      return {
        name: "test.slow",
        sql: `SELECT organization_id, n, arrayCount(x -> x % 7 = n % 7, range(200000)) AS c FROM ${database}.facts WHERE organization_id = {org:String} SETTINGS max_block_size = 100, max_execution_time = 1`,
        params: { org: organization },
        organizationId: organization,
        signal: signal ?? AbortSignal.timeout(50),
      };
    case "memory":
      return {
        name: "test.memory",
        sql: `SELECT organization_id, groupArray(toString(n) || repeat('x', 100)) FROM ${database}.facts WHERE organization_id = {org:String} GROUP BY organization_id SETTINGS max_memory_usage = 1000000`,
        params: { org: organization },
        organizationId: organization,
      };
    case "result-bytes":
      return {
        name: "test.big",
        sql: `SELECT organization_id, n FROM ${database}.facts WHERE organization_id = {org:String}`,
        params: { org: organization },
        organizationId: organization,
        maxResultBytes: 10_000,
      };
  }
}

function ownRows(organization: string, limit: number) {
  const offset = organizations.indexOf(organization as (typeof organizations)[number]) * 1_000_000;
  return Array.from({ length: limit }, (_, i) => ({ organization_id: organization, n: String(offset + i) }));
}

async function runGood(what: Good, organization: string): Promise<void> {
  const scoped = `FROM ${database}.facts WHERE organization_id = {org:String}`;
  const params = { org: organization };
  switch (what) {
    case "rows": {
      const { rows } = await store.query({
        name: "test.rows",
        sql: `SELECT organization_id, toString(n) AS n ${scoped} ORDER BY toUInt64(n) LIMIT 5`,
        params,
        organizationId: organization,
      });
      expect(rows).toEqual(ownRows(organization, 5));
      return;
    }
    case "table": {
      const result = await store.queryTable({
        name: "test.table",
        sql: `SELECT organization_id, toString(n) AS n ${scoped} ORDER BY toUInt64(n) LIMIT 3`,
        params,
        organizationId: organization,
      });
      expect(result.rows).toEqual(ownRows(organization, 3));
      expect(result.columns.map((c) => c.name)).toEqual(["organization_id", "n"]);
      return;
    }
    case "stream": {
      const seen: Array<{ organization_id: string; n: string }> = [];
      for await (const chunk of store.stream<{ organization_id: string; n: string }>(
        {
          name: "test.stream",
          sql: `SELECT organization_id, toString(n) AS n ${scoped} ORDER BY toUInt64(n) LIMIT 20000`,
          params,
          organizationId: organization,
        },
        5000,
      )) {
        seen.push(...chunk);
      }
      expect(seen).toEqual(ownRows(organization, 20_000));
      return;
    }
    case "sum": {
      const { rows } = await store.query<{ c: string }>({
        name: "test.count",
        sql: `SELECT toString(count()) AS c ${scoped}`,
        params,
        organizationId: organization,
      });
      expect(rows).toEqual([{ c: String(ROWS_PER_ORG) }]);
      return;
    }
  }
}

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({
    kind: fc.constant("fail" as const),
    what: fc.constantFrom<Failure>("runtime-after-rows", "deadline", "memory", "result-bytes"),
    organization: fc.constantFrom(...organizations),
  }),
  fc.record({
    kind: fc.constant("good" as const),
    what: fc.constantFrom<Good>("rows", "table", "stream", "sum"),
    organization: fc.constantFrom(...organizations),
  }),
);

describe("engine state per statement", () => {
  it("a statement that failed after emitting rows leaves nothing for the next, on the same path", async () => {
    for (const what of ["runtime-after-rows", "deadline", "memory", "result-bytes"] as const) {
      await expect(store.query(failing(what, "org_b"))).rejects.toThrow();
      await runGood("rows", "org_a");
      await expect(store.queryTable(failing(what, "org_b"))).rejects.toThrow();
      await runGood("table", "org_a");
    }
  });

  it("a failure arrives as the failure it is, not as another statement's rows", async () => {
    await expect(store.query(failing("runtime-after-rows", "org_a"))).rejects.toThrow(/Division by zero/);
    await expect(store.query(failing("memory", "org_a"))).rejects.toBeInstanceOf(StatementMemoryError);
    await expect(store.query(failing("result-bytes", "org_a"))).rejects.toBeInstanceOf(ResultTooLargeError);
    await expect(store.query(failing("deadline", "org_a"))).rejects.toBeInstanceOf(StatementTimeoutError);
  });

  it("interleaved failing statements of random organizations never disturb the others' answers", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 4, maxLength: 12 }), async (operations) => {
        const outcomes = await Promise.allSettled(
          operations.map((op) =>
            op.kind === "fail"
              ? store.query(failing(op.what as Failure, op.organization)).then(
                  () => {
                    throw new Error(`${op.what} of ${op.organization} succeeded`);
                  },
                  () => undefined,
                )
              : runGood(op.what as Good, op.organization),
          ),
        );
        const failures = outcomes.flatMap((o, i) =>
          o.status === "rejected" ? [{ op: operations[i], e: o.reason }] : [],
        );
        expect(failures).toEqual([]);
      }),
      { numRuns: 12 },
    );
  });

  it("answers a statement at its deadline while the engine is still inside one long block", async () => {
    await expect(
      store.query({
        name: "test.one-block",
        sql: "SELECT count() FROM (SELECT arrayJoin(range(50000000)) AS x)",
        organizationId: null,
        signal: AbortSignal.timeout(100),
      }),
    ).rejects.toBeInstanceOf(StatementTimeoutError);
    await runGood("sum", "org_c");
  });
});
