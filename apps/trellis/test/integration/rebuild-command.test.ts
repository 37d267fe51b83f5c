// `trellis rebuild`: the tables derived from the raw events (rollups, landing sessions) made
// again from them, as a cluster upgraded across a migration that adds such a table needs.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { createLogger } from "@trellis/platform";
import { createStore, loadStoreConfig, type Store } from "@trellis/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { versionsKey } from "../../../../services/cache/src/domain/keys.js";
import { type RedisServer, startRedisServer } from "../../../../services/cache/test/helpers/redis-servers.js";
import { derivedTableCounts, emptyDerivedTables } from "../../../../test/helpers/derived-tables.js";
import { tempDir, testDatabase } from "../../../../test/helpers/names.js";
import { exitCode, runNode } from "../../../../test/helpers/processes.js";

const dataDir = tempDir("cli-rebuild");
const database = testDatabase("cli_rebuild");
const env: Record<string, string> = { TRELLIS_DATA_DIR: join(dataDir, "data"), TRELLIS_CLICKHOUSE_DATABASE: database };
const logger = createLogger({ service: "test", level: "silent" });
let redis: RedisServer;
let organizations: string[];

async function trellis(extraEnv: Record<string, string>, ...args: string[]) {
  const { child, output } = runNode(["apps/trellis/src/main.ts", ...args], { ...env, ...extraEnv });
  return { code: await exitCode(child), output: output() };
}

/** Opens the data directory (the command must not be running), runs `fn`, closes it. */
async function withStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
  const store = createStore(loadStoreConfig(env), { logger });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

const countsOf = (org: string) => withStore((store) => derivedTableCounts(store, database, org));

interface Report {
  from: string;
  to: string;
  organizations: Array<{ id: string; days: number; first_day: string | null; cache: string }>;
}
const reportOf = (output: string) =>
  JSON.parse(output.slice(output.indexOf("{\n"), output.lastIndexOf("}") + 1)) as Report;

beforeAll(async () => {
  redis = await startRedisServer();
  const seeded = await trellis({}, "seed", "--events", "4000", "--organizations", "2", "--days", "3", "--seed", "7");
  expect(seeded.code, seeded.output).toBe(0);
  const listed = await trellis({}, "orgs", "list");
  expect(listed.code, listed.output).toBe(0);
  organizations = (JSON.parse(listed.output.slice(listed.output.indexOf("["))) as Array<{ id: string }>).map(
    (o) => o.id,
  );
  expect(organizations).toHaveLength(2);
});

afterAll(async () => {
  await redis?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("trellis rebuild", () => {
  it("makes one organization's emptied rollups and landing sessions again from its events, and only its", async () => {
    const [emptied, other] = organizations as [string, string];
    const truth = await countsOf(emptied);
    const otherTruth = await countsOf(other);
    expect((truth.landing_sessions as unknown[]).length).toBeGreaterThanOrEqual(3);
    await withStore((store) => emptyDerivedTables(store, database, emptied));
    expect(Object.values(await countsOf(emptied)).every((rows) => rows.length === 0)).toBe(true);

    const rebuilt = await trellis({}, "rebuild", "--org", emptied, "--days-per-step", "2");
    expect(rebuilt.code, rebuilt.output).toBe(0);
    const report = reportOf(rebuilt.output);
    expect(report.organizations.map((o) => o.id)).toEqual([emptied]);
    expect(report.organizations[0]?.days).toBe((truth.landing_sessions as unknown[]).length);
    expect(report.organizations[0]?.cache).toBe("no shared cache");
    expect(rebuilt.output).toMatch(new RegExp(`rebuilding ${emptied} .*100%`));

    expect(await countsOf(emptied)).toEqual(truth);
    expect(await countsOf(other)).toEqual(otherTruth);

    // Again: the same rows, not twice as many.
    const again = await trellis({}, "rebuild", "--org", emptied);
    expect(again.code, again.output).toBe(0);
    expect(await countsOf(emptied)).toEqual(truth);
  });

  it("takes only the days asked for", async () => {
    const [org] = organizations as [string];
    const truth = await countsOf(org);
    const days = (truth.landing_sessions as Array<{ bucket: string }>).map((row) => row.bucket);
    await withStore((store) => emptyDerivedTables(store, database, org));
    const rebuilt = await trellis({}, "rebuild", "--org", org, "--from", days.at(-1) ?? "", "--to", days.at(-1) ?? "");
    expect(rebuilt.code, rebuilt.output).toBe(0);
    expect(reportOf(rebuilt.output).organizations[0]).toMatchObject({ days: 1, first_day: days.at(-1) });
    const counts = await countsOf(org);
    expect(counts.landing_sessions).toEqual((truth.landing_sessions as unknown[]).slice(-1));
    // The rest, for the tests after this one.
    expect((await trellis({}, "rebuild", "--org", org)).code).toBe(0);
    expect(await countsOf(org)).toEqual(truth);
  });

  it("rebuilds every organization by default and advances their data versions in the shared cache", async () => {
    const rebuilt = await trellis({ TRELLIS_REDIS_URL: redis.url }, "rebuild");
    expect(rebuilt.code, rebuilt.output).toBe(0);
    const report = reportOf(rebuilt.output);
    expect(report.organizations.map((o) => o.id).sort()).toEqual([...organizations].sort());
    for (const organization of report.organizations) {
      expect(organization.cache).toBe("advanced");
      const fields = (await redis.cli("HGETALL", versionsKey("trellis:cache", organization.id))).trim().split("\n");
      const versions = Object.fromEntries(fields.flatMap((_, i) => (i % 2 === 0 ? [[fields[i], fields[i + 1]]] : [])));
      expect(Number(versions.data)).toBeGreaterThanOrEqual(1);
      const month = `m:${organization.first_day?.slice(0, 7)}`;
      expect(Number(versions[month])).toBeGreaterThanOrEqual(1);
    }
  });

  it("refuses bad input with the flag and the reason", async () => {
    const cases: Array<[string[], string]> = [
      [["--from", "2026-13-40"], "--from expects a date YYYY-MM-DD"],
      [["--to", "yesterday"], "--to expects a date YYYY-MM-DD"],
      [["--from", "2026-02-02", "--to", "2026-02-01"], "--from 2026-02-02 is after --to 2026-02-01"],
      [["--org", "no-such-org"], "--org: no organization"],
      [["--days-per-step", "0"], "--days-per-step expects a whole number from 1 to 366"],
    ];
    for (const [args, message] of cases) {
      const refused = await trellis({}, "rebuild", ...args);
      expect(refused.code, refused.output).toBe(2);
      expect(refused.output).toContain(message);
    }
  });
});
