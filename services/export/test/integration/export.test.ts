import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type BigQueryConfig,
  bigQueryConfigFrom,
  bigQueryEnvShape,
  createBigQueryClient,
  rowAccessPolicyStatements,
} from "@trellis/bigquery";
import { ConfigError, createLogger, parseEnv } from "@trellis/platform";
import { createStore, type Store } from "@trellis/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BigQueryDouble,
  startBigQueryDouble,
  writeServiceAccountKey,
} from "../../../../packages/bigquery/test/helpers/bigquery-double.js";
import { dailyTraffic, eventRow } from "../../../../test/helpers/events.js";
import { tempDir, testDatabase } from "../../../../test/helpers/names.js";
import { campaignPerformanceRows, createExporter, type Exporter } from "../../src/index.js";

// The export against a local HTTP double of the BigQuery REST API (bigquery-double.ts): the
// official client's real requests, authenticated with a real service account key file, checked
// for shape and content, including failed and retried requests and failed jobs.

const PROJECT = "trellis-test-project";
const TODAY = "2026-03-10";
const ACME = "acme";
const GLOBEX = "globex";
const logger = createLogger({ service: "test", level: "silent" });
const dir = tempDir("export");
let store: Store;
let double: BigQueryDouble;
let config: BigQueryConfig;
let exporter: Exporter;
let counter = 0;

async function insert(specs: ReturnType<typeof dailyTraffic>) {
  await store.insert(
    "analytics_events",
    specs.map((s) =>
      eventRow({ ...s, columns: { channel: s.source === "google" ? "search" : "email", ...s.columns } }, counter++),
    ),
    { organizationId: null },
  );
}

async function runOnce(): Promise<NonNullable<ReturnType<Exporter["status"]>["run"]>> {
  exporter.start("demand");
  await exporter.idle();
  const run = exporter.status().run;
  if (!run) throw new Error("no run");
  return run;
}

const transactions = () =>
  [...double.jobs.values()]
    .filter((j) => j.query.startsWith("BEGIN TRANSACTION"))
    .map((j) => j.params as Record<string, unknown>);
const rowsOf = (table: string) => double.tables.get(`trellis_analytics.${table}`)?.rows ?? [];

beforeAll(async () => {
  const keyFile = join(dir, "service-account.json");
  const { publicKeyPem } = writeServiceAccountKey(keyFile, PROJECT);
  double = await startBigQueryDouble({ projectId: PROJECT, publicKeyPem });
  const parsed = parseEnv(bigQueryEnvShape, {
    TRELLIS_BIGQUERY_PROJECT: PROJECT,
    TRELLIS_BIGQUERY_LOCATION: "EU",
    TRELLIS_BIGQUERY_KEY_FILE: keyFile,
    TRELLIS_BIGQUERY_API_ENDPOINT: double.url,
    TRELLIS_BIGQUERY_EXPORT_INTERVAL_MS: "0",
    TRELLIS_BIGQUERY_LOOKBACK_DAYS: "10",
    TRELLIS_BIGQUERY_JOB_TIMEOUT_MS: "20000",
  });
  config = bigQueryConfigFrom(parsed) as BigQueryConfig;
  store = createStore(
    { database: testDatabase("export"), dataDir: join(dir, "data"), requestTimeoutMs: 30_000, maxOpenConnections: 2 },
    { logger },
  );
  await store.migrate();
  await insert([...dailyTraffic(ACME, "2026-03-07", 3, 10), ...dailyTraffic(GLOBEX, "2026-03-08", 2, 6)]);
  const at = (hour: number) => new Date(`2026-03-07T${String(hour).padStart(2, "0")}:00:00Z`);
  const journey = (visitorId: string, type: "click" | "conversion", hour: number, channel: string, value = 0) => ({
    organizationId: ACME,
    time: at(hour),
    type,
    visitorId,
    sessionId: `${visitorId}-s`,
    value,
    columns: { channel },
  });
  await insert([
    journey("buyer", "click", 10, "search"),
    journey("buyer", "click", 11, "email"),
    journey("buyer", "conversion", 12, "", 50),
    journey("second-buyer", "click", 13, "social"),
    journey("second-buyer", "conversion", 14, "", 20),
  ]);
  exporter = createExporter(config, {
    store,
    bigquery: createBigQueryClient(config),
    logger,
    organizations: async () => [ACME, GLOBEX],
    today: () => TODAY,
  });
});

afterAll(async () => {
  await exporter?.close();
  await double?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("BigQuery export", () => {
  it("creates the dataset, the partitioned and clustered tables and the seed's view, then exports every day", async () => {
    const run = await runOnce();
    expect(run).toMatchObject({ running: false, organizationsTotal: 2, organizationsDone: 2, daysFailed: 0 });
    // Three days of acme and two of globex, in both tables.
    expect(run.daysExported).toBe(2 * (3 + 2));

    const datasetInsert = double.requests.find((r) => r.method === "POST" && r.path.endsWith("/datasets"));
    expect(datasetInsert?.body).toMatchObject({ datasetReference: { datasetId: "trellis_analytics" }, location: "EU" });
    const tableInserts = double.requests.filter((r) => r.method === "POST" && r.path.endsWith("/tables"));
    expect(
      tableInserts.map((r) => (r.body as { tableReference: { tableId: string } }).tableReference.tableId).sort(),
    ).toEqual([
      "attribution_credit_daily",
      "campaign_click_keys_daily",
      "campaign_events_daily",
      "campaign_performance_daily",
      "campaign_sessions_daily",
      "export_state",
    ]);
    const campaignTable = tableInserts.find((r) => JSON.stringify(r.body).includes("campaign_performance_daily"))?.body;
    expect(campaignTable).toMatchObject({
      timePartitioning: { type: "DAY", field: "day" },
      clustering: { fields: ["organization_id", "campaign_id"] },
    });
    expect(
      (campaignTable as { schema: { fields: Array<{ name: string }> } }).schema.fields.map((f) => f.name),
    ).toContain("avg_quality_score");
    expect([...double.views.keys()]).toEqual([`\`${PROJECT}.trellis_analytics.campaign_performance\``]);

    // Every job is inserted with the configured location, standard SQL and named parameters, and polled until done.
    const jobInserts = double.requests.filter((r) => r.method === "POST" && r.path.endsWith("/jobs"));
    for (const insert of jobInserts) {
      expect(insert.body).toMatchObject({
        jobReference: { location: "EU", projectId: PROJECT },
        configuration: { query: { useLegacySql: false } },
      });
    }
    for (const job of double.jobs.values()) expect(job.polls, job.query.slice(0, 40)).toBeGreaterThanOrEqual(2);

    // The rows are the store's answer for each day, one organization per transaction.
    for (const day of ["2026-03-07", "2026-03-08", "2026-03-09"]) {
      const expected = await campaignPerformanceRows(store, ACME, day);
      const exported = rowsOf("campaign_performance_daily").filter((r) => r.organization_id === ACME && r.day === day);
      expect(exported.length).toBe(expected.length);
      expect(
        exported.map((r) => [
          r.campaign_id,
          r.source,
          r.medium,
          Number(r.clicks),
          Number(r.sessions),
          Number(r.conversions),
          Number(r.revenue),
        ]),
      ).toEqual(
        expected.map((r) => [
          r.campaign_id,
          r.source,
          r.medium,
          Number(r.clicks),
          Number(r.sessions),
          Number(r.conversions),
          Number(r.revenue),
        ]),
      );
    }
    for (const params of transactions()) {
      for (const row of params.rows as Array<{ organization_id: string }>)
        expect(row.organization_id).toBe(params.organization_id);
    }
    // Two converting visitors on 2026-03-07: search then email then a 50 conversion; social then a 20 conversion.
    const credit = rowsOf("attribution_credit_daily")
      .filter((r) => r.organization_id === ACME && r.day === "2026-03-07")
      .map((r) => [r.model, r.channel, Number(r.conversions), Number(r.revenue)]);
    expect(credit).toEqual([
      ["first_touch", "search", 1, 50],
      ["first_touch", "social", 1, 20],
      ["last_touch", "email", 1, 50],
      ["last_touch", "social", 1, 20],
      ["linear", "email", 0.5, 25],
      ["linear", "search", 0.5, 25],
      ["linear", "social", 1, 20],
    ]);
  });

  it("exports nothing again while no day's data version moved", async () => {
    const before = transactions().length;
    const run = await runOnce();
    expect(run).toMatchObject({ daysExported: 0, daysUnchanged: 10, daysFailed: 0 });
    expect(transactions().length).toBe(before);
  });

  it("replaces only the day that changed, never duplicating its rows", async () => {
    const before = transactions().length;
    await insert(dailyTraffic(ACME, "2026-03-08", 1, 3).map((s) => ({ ...s, visitorId: "late", sessionId: "late-s" })));
    const run = await runOnce();
    expect(run).toMatchObject({ daysExported: 2, daysUnchanged: 8 });
    const replaced = transactions().slice(before);
    expect(replaced.map((p) => [p.organization_id, p.day]).sort()).toEqual([
      [ACME, "2026-03-08"],
      [ACME, "2026-03-08"],
    ]);
    const expected = await campaignPerformanceRows(store, ACME, "2026-03-08");
    const exported = rowsOf("campaign_performance_daily").filter(
      (r) => r.organization_id === ACME && r.day === "2026-03-08",
    );
    expect(exported.length).toBe(expected.length);
    expect(exported.reduce((s, r) => s + Number(r.clicks), 0)).toBe(expected.reduce((s, r) => s + Number(r.clicks), 0));
    expect(rowsOf("export_state").filter((r) => r.organization_id === ACME && r.day === "2026-03-08")).toHaveLength(2);
  });

  it("retries a request BigQuery answered with 503, with the same job id", async () => {
    await insert(dailyTraffic(GLOBEX, "2026-03-09", 1, 2));
    double.failRequests("POST", /\/jobs$/, 503, 1);
    const run = await runOnce();
    expect(run).toMatchObject({ daysFailed: 0, daysExported: 2 });
    const inserts = double.requests.filter((r) => r.method === "POST" && r.path.endsWith("/jobs"));
    const ids = inserts.map((r) => (r.body as { jobReference: { jobId: string } }).jobReference.jobId);
    expect(ids.length - new Set(ids).size).toBe(1);
  });

  it("reports a failed job in the status, goes on with the other days, and exports the day at the next run", async () => {
    await insert([...dailyTraffic(ACME, "2026-03-10", 1, 4), ...dailyTraffic(GLOBEX, "2026-03-10", 1, 4)]);
    double.failJobs(
      /^BEGIN TRANSACTION;\nDELETE FROM `[^`]+\.campaign_performance_daily`/,
      "Quota exceeded: too many table update operations",
    );
    const failed = await runOnce();
    expect(failed.daysFailed).toBe(2);
    expect(failed.daysExported).toBe(2);
    expect(failed.failures.map((f) => [f.organizationId, f.table, f.day])).toEqual([
      [ACME, "campaign_performance_daily", "2026-03-10"],
      [GLOBEX, "campaign_performance_daily", "2026-03-10"],
    ]);
    expect(failed.failures[0]?.message).toContain("Quota exceeded");
    double.clearFailures();
    const resumed = await runOnce();
    expect(resumed).toMatchObject({ daysFailed: 0, daysExported: 2 });
    expect(
      rowsOf("campaign_performance_daily").some((r) => r.organization_id === GLOBEX && r.day === "2026-03-10"),
    ).toBe(true);
  });

  it("exports raw events through a load job and a staging table, replacing a changed day without duplicates", async () => {
    const raw = createExporter(
      { ...config, rawEvents: true },
      {
        store,
        bigquery: createBigQueryClient(config),
        logger,
        organizations: async () => [ACME, GLOBEX],
        today: () => TODAY,
      },
    );
    const runRaw = async () => {
      raw.start("demand");
      await raw.idle();
      const run = raw.status().run;
      if (!run) throw new Error("no run");
      return run;
    };
    const storedIds = async () => {
      const { rows } = await store.query<{ id: string }>({
        name: "test: stored ids",
        sql: `SELECT concat(organization_id, '/', toString(event_date), '/', event_id) AS id
FROM ${store.database}.analytics_events WHERE organization_id IN ('acme', 'globex') ORDER BY id`,
        organizationId: null,
      });
      return rows.map((r) => r.id);
    };
    const exportedIds = () =>
      rowsOf("events")
        .map((r) => `${r.organization_id}/${r.day}/${r.event_id}`)
        .sort();
    try {
      const uploadsBefore = double.requests.filter((r) => r.path.startsWith("/upload/")).length;
      const first = await runRaw();
      expect(first).toMatchObject({ daysFailed: 0 });
      expect(exportedIds()).toEqual(await storedIds());
      const row = rowsOf("events").find((r) => r.event_type === "conversion" && r.organization_id === ACME);
      expect(row).toMatchObject({ query_params: "{}", is_bot: "false" });
      expect(String(row?.event_time)).toMatch(/^2026-03-0\d \d\d:\d\d:\d\d\.\d{3}$/);

      // One multipart upload per organization-day into the staging dataset, replacing what a
      // retry left.
      const days = new Set((await storedIds()).map((id) => id.split("/").slice(0, 2).join("/")));
      const uploads = double.requests.filter((r) => r.path.startsWith("/upload/")).slice(uploadsBefore);
      expect(uploads).toHaveLength(days.size);
      for (const upload of uploads) {
        expect(upload.path).toBe(`/upload/bigquery/v2/projects/${PROJECT}/jobs`);
        expect(upload.query.get("uploadType")).toBe("multipart");
        expect(upload.body).toMatchObject({
          configuration: {
            load: {
              sourceFormat: "NEWLINE_DELIMITED_JSON",
              writeDisposition: "WRITE_TRUNCATE",
              destinationTable: { projectId: PROJECT, datasetId: "trellis_analytics_staging" },
            },
          },
        });
      }
      // Staging tables are created to expire, and deleted once their day is in.
      const stagingCreates = double.requests.filter(
        (r) => r.method === "POST" && r.path.endsWith("/datasets/trellis_analytics_staging/tables"),
      );
      expect(stagingCreates).toHaveLength(days.size);
      for (const create of stagingCreates) expect(create.body).toHaveProperty("expirationTime");
      expect([...double.tables.keys()].filter((k) => k.startsWith("trellis_analytics_staging."))).toEqual([]);

      expect((await runRaw()).daysExported).toBe(0);
      await insert(dailyTraffic(ACME, "2026-03-07", 1, 2));
      const again = await runRaw();
      // The changed day of the two views and of the raw events.
      expect(again).toMatchObject({ daysFailed: 0, daysExported: 3 });
      expect(exportedIds()).toEqual(await storedIds());
    } finally {
      await raw.close();
    }
  });

  it("stops a run when BigQuery refuses the credentials, and says why", async () => {
    const badKey = join(dir, "other-account.json");
    writeServiceAccountKey(badKey, PROJECT, "other");
    const refused = createExporter(
      { ...config, keyFile: badKey },
      {
        store,
        bigquery: createBigQueryClient({ ...config, keyFile: badKey }),
        logger,
        organizations: async () => [ACME],
        today: () => TODAY,
      },
    );
    refused.start("demand");
    await refused.idle();
    expect(refused.status().run?.error).toMatch(/signature/);
    await refused.close();
  });

  it("validates its configuration at start with the variable named", () => {
    expect(bigQueryConfigFrom(parseEnv(bigQueryEnvShape, {}))).toBeUndefined();
    expect(() => parseEnv(bigQueryEnvShape, { TRELLIS_BIGQUERY_PROJECT: "Bad Project" })).toThrow(
      /TRELLIS_BIGQUERY_PROJECT/,
    );
    expect(() =>
      parseEnv(bigQueryEnvShape, { TRELLIS_BIGQUERY_PROJECT: PROJECT, TRELLIS_BIGQUERY_DATASET: "a-b" }),
    ).toThrow(/TRELLIS_BIGQUERY_DATASET/);
    const missing = () =>
      bigQueryConfigFrom(
        parseEnv(bigQueryEnvShape, {
          TRELLIS_BIGQUERY_PROJECT: PROJECT,
          TRELLIS_BIGQUERY_KEY_FILE: join(dir, "missing.json"),
        }),
      );
    expect(missing).toThrow(ConfigError);
    expect(missing).toThrow(/TRELLIS_BIGQUERY_KEY_FILE/);
    writeFileSync(join(dir, "not-a-key.json"), JSON.stringify({ type: "authorized_user" }));
    expect(() =>
      bigQueryConfigFrom(
        parseEnv(bigQueryEnvShape, {
          TRELLIS_BIGQUERY_PROJECT: PROJECT,
          TRELLIS_BIGQUERY_KEY_FILE: join(dir, "not-a-key.json"),
        }),
      ),
    ).toThrow(/not a service account key/);
  });

  it("renders row access policies for one organization's readers, refusing names that could break out", () => {
    const statements = rowAccessPolicyStatements(PROJECT, "trellis_analytics", "acme-01", [
      "group:acme-analysts@example.com",
    ]);
    // Every exported table (the read path's and the raw events too) and the state table.
    expect(statements).toHaveLength(7);
    expect(statements[0]).toBe(
      `CREATE OR REPLACE ROW ACCESS POLICY organization_acme_01 ON \`${PROJECT}.trellis_analytics.campaign_performance_daily\` ` +
        `GRANT TO ("group:acme-analysts@example.com") FILTER USING (organization_id = "acme-01")`,
    );
    expect(() => rowAccessPolicyStatements(PROJECT, "d", 'a" OR TRUE --', ["user:a@b.c"])).toThrow(/organization id/);
    expect(() => rowAccessPolicyStatements(PROJECT, "d", "acme", ['user:a@b.c") OR (TRUE'])).toThrow(/grantee/);
  });
});
