import { rmSync } from "node:fs";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { type BigQueryConfig, bigQueryConfigFrom, bigQueryEnvShape, createBigQueryClient } from "@trellis/bigquery";
import {
  AnswerSource,
  type GetCampaignPerformanceRequest,
  GetCampaignPerformanceRequestSchema,
  type GetCampaignPerformanceResponse,
  Granularity,
} from "@trellis/contracts";
import { createExporter, type Exporter } from "@trellis/export";
import { ConfigError, createLogger, parseEnv } from "@trellis/platform";
import { createStore, type Store } from "@trellis/store";
import type { StoredCampaign } from "@trellis/traffic-rules";
import { compileEffectiveCampaign } from "@trellis/traffic-rules";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BigQueryDouble,
  startBigQueryDouble,
  writeServiceAccountKey,
} from "../../packages/bigquery/test/helpers/bigquery-double.js";
import { storeEngine } from "../../packages/bigquery/test/helpers/bigquery-double-engine.js";
import { createBigQueryReadPath } from "../../services/query/src/adapters/bigquery-read-path.js";
import { effectiveCampaignSource } from "../../services/query/src/adapters/effective-campaign.js";
import { createRulesetStore, type RulesetChange } from "../../services/query/src/adapters/ruleset-store.js";
import type { RunContext } from "../../services/query/src/handlers/run-context.js";
import { runCampaignPerformance } from "../../services/query/src/questions/campaign-performance/run.js";
import { type EventSpec, eventRow } from "../helpers/events.js";
import { tempDir, testDatabase } from "../helpers/names.js";

// The read path of campaign performance (the seed's "L3"): the export writes the read-path
// tables to a local HTTP double of the BigQuery REST API (bigquery-double.ts; BigQuery cannot
// run here), whose queries run in the embedded ClickHouse after a documented translation of
// GoogleSQL; each answer from BigQuery must equal the store's own answer for the same
// organization, range and ruleset.

const PROJECT = "trellis-test-project";
const TODAY = "2026-03-10";
const ACME = "acme";
const GLOBEX = "globex";
const logger = createLogger({ service: "test", level: (process.env.L3_LOG as "debug") ?? "silent" });
const dir = tempDir("l3");
let store: Store;
let double: BigQueryDouble;
let config: BigQueryConfig;
let exporter: Exporter;
let counter = 0;

const at = (day: string, time: string) => new Date(`${day}T${time}Z`);
const dayOf = (n: number) => `2026-03-${String(n).padStart(2, "0")}`;

/**
 * Ten days of traffic: clicks whose click ids repeat across days (distinct over a range is not
 * the sum of distinct per day), sessions across midnight, conversions without a session,
 * captured campaigns and traffic a ruleset campaign claims, scores that vary.
 */
function traffic(organizationId: string, scale: number): EventSpec[] {
  const specs: EventSpec[] = [];
  for (let d = 1; d <= 10; d++) {
    for (let i = 0; i < 6 * scale; i++) {
      const type = i % 5 === 0 ? "conversion" : i % 3 === 0 ? "pageview" : "click";
      const source = i % 2 === 0 ? "google" : "newsletter";
      specs.push({
        organizationId,
        time: at(
          dayOf(d),
          `${String(1 + (i % 20)).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}:00.${i % 1000}`,
        ),
        type,
        visitorId: `${organizationId}-v${i % 5}`,
        sessionId: `${organizationId}-d${d}-s${i % 4}`,
        source,
        campaignId: source === "google" ? "spring" : "",
        value: 10 + i,
        columns: {
          click_id: type === "click" ? `${organizationId}-ck-${(i + d) % 7}` : "",
          fraud_score: (i * 7 + d) % 100,
          quality_score: (i * 11 + d) % 100,
        },
      });
    }
    // A session across midnight: landing with a campaign late on day d, converting after midnight.
    if (d < 10) {
      const session = `${organizationId}-night-${d}`;
      const night = { organizationId, visitorId: `${organizationId}-night`, sessionId: session };
      specs.push(
        { ...night, time: at(dayOf(d), "23:50:00.900"), type: "click", source: "google", campaignId: "autumn" },
        { ...night, time: at(dayOf(d + 1), "00:10:00.100"), type: "pageview" },
        { ...night, time: at(dayOf(d + 1), "00:20:30.000"), type: "conversion", value: 30 },
      );
    }
    // Conversions without a session: each is a session of its own to campaign performance.
    specs.push({
      organizationId,
      time: at(dayOf(d), "12:00:00"),
      type: "conversion",
      visitorId: `${organizationId}-loose`,
      sessionId: "",
      source: "google",
      campaignId: "spring",
      value: 7.25,
    });
  }
  return specs;
}

async function insert(specs: EventSpec[]) {
  await store.insert(
    "analytics_events",
    specs.map((s) => eventRow(s, counter++)),
    { organizationId: null },
  );
}

function campaign(id: string, source: string): RulesetChange {
  return {
    principal: "test",
    describe: (c) => `create ${c.id}`,
    apply: (_current, version): StoredCampaign => ({
      id,
      name: `Campaign ${id}`,
      priority: 0,
      archived: false,
      rules: [{ conditions: [{ field: "source", operator: "equals", values: [source] }] }],
      createdAt: "2026-01-01T00:00:00.000Z",
      updatedAt: "2026-01-01T00:00:00.000Z",
      version,
    }),
  };
}

async function exportOnce() {
  exporter.start("demand");
  await exporter.idle();
  const run = exporter.status().run;
  expect(run).toMatchObject({ running: false, daysFailed: 0 });
}

function request(
  fields: {
    range?: { startDate: string; endDate: string; timeZone?: string };
    groupBy?: Granularity;
    campaignIds?: string[];
    metrics?: string[];
  } = {},
): GetCampaignPerformanceRequest {
  return create(GetCampaignPerformanceRequestSchema, {
    ...fields,
    range: fields.range ?? { startDate: dayOf(1), endDate: dayOf(10) },
  });
}

/** The question as the query service runs it: with the read path, and the store's own answer. */
async function ask(organizationId: string, question: GetCampaignPerformanceRequest) {
  const ruleset = await createRulesetStore(store).newest(organizationId);
  const base: RunContext = {
    store,
    organizationId,
    ruleset: { ruleset, effectiveCampaign: compileEffectiveCampaign(ruleset) },
  };
  const readPath = createBigQueryReadPath(config, logger);
  const answer = await runCampaignPerformance({ ...base, bigquery: readPath }, question);
  const fromStore = await runCampaignPerformance(base, question);
  expect(fromStore.meta?.source).toBe(AnswerSource.STORE);
  return { answer, fromStore };
}

/** Counts exactly; ratios and sums of floating-point values to 9 digits (summation order differs). */
function expectSameRows(answer: GetCampaignPerformanceResponse, fromStore: GetCampaignPerformanceResponse) {
  expect(answer.rows.length).toBe(fromStore.rows.length);
  expect(answer.rows.length).toBeGreaterThan(0);
  answer.rows.forEach((row, i) => {
    const expected = fromStore.rows[i];
    if (!expected) throw new Error("missing row");
    const { revenue, conversionRate, averageOrderValue, averageSessionDurationSeconds, bounceRate, ...exact } = row;
    const {
      revenue: r,
      conversionRate: c,
      averageOrderValue: a,
      averageSessionDurationSeconds: s,
      bounceRate: b,
      ...expectedExact
    } = expected;
    expect(exact).toEqual(expectedExact);
    expect(revenue).toBeCloseTo(r, 9);
    expect(conversionRate).toBeCloseTo(c, 9);
    expect(averageOrderValue).toBeCloseTo(a, 9);
    expect(averageSessionDurationSeconds).toBeCloseTo(s, 9);
    expect(bounceRate).toBeCloseTo(b, 9);
  });
}

const campaignQueries = () =>
  [...double.jobs.values()].filter((j) => j.query.includes("campaign_sessions_daily") && j.query.startsWith("WITH"));

beforeAll(async () => {
  const keyFile = join(dir, "service-account.json");
  const { publicKeyPem } = writeServiceAccountKey(keyFile, PROJECT);
  store = createStore(
    { database: testDatabase("l3"), dataDir: join(dir, "data"), requestTimeoutMs: 30_000, maxOpenConnections: 2 },
    { logger },
  );
  await store.migrate();
  double = await startBigQueryDouble({ projectId: PROJECT, publicKeyPem, engine: storeEngine(store) });
  config = bigQueryConfigFrom(
    parseEnv(bigQueryEnvShape, {
      TRELLIS_BIGQUERY_PROJECT: PROJECT,
      TRELLIS_BIGQUERY_KEY_FILE: keyFile,
      TRELLIS_BIGQUERY_API_ENDPOINT: double.url,
      TRELLIS_BIGQUERY_EXPORT_INTERVAL_MS: "0",
      TRELLIS_BIGQUERY_LOOKBACK_DAYS: "14",
      TRELLIS_BIGQUERY_READ_MIN_DAYS: "7",
    }),
  ) as BigQueryConfig;
  await insert([...traffic(ACME, 2), ...traffic(GLOBEX, 1)]);
  // Newsletter traffic belongs to a campaign made after the fact, for acme only.
  await createRulesetStore(store).change(ACME, campaign("letters", "newsletter"));
  exporter = createExporter(config, {
    store,
    bigquery: createBigQueryClient(config),
    logger,
    organizations: async () => [ACME, GLOBEX],
    effectiveCampaign: effectiveCampaignSource(store, logger),
    today: () => TODAY,
  });
  await exportOnce();
});

afterAll(async () => {
  await exporter?.close();
  await double?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("campaign performance from BigQuery", () => {
  it("answers a long range from the exported tables, equal to the store's answer", async () => {
    for (const question of [
      request(),
      request({ groupBy: Granularity.DAY }),
      request({ campaignIds: ["letters", "autumn"] }),
      request({ metrics: ["sessions", "bounce_rate"], range: { startDate: dayOf(2), endDate: dayOf(9) } }),
    ]) {
      const { answer, fromStore } = await ask(ACME, question);
      expect(answer.meta?.source).toBe(AnswerSource.BIGQUERY);
      expectSameRows(answer, fromStore);
    }
    const { answer } = await ask(ACME, request());
    // The retroactive campaign, the captured one, and sessions across midnight all answered.
    expect(answer.rows.map((r) => r.campaignId)).toEqual(["autumn", "letters", "spring"]);
    expect(answer.rows.find((r) => r.campaignId === "letters")?.campaignName).toBe("Campaign letters");
    // The read path's days were loaded (a day of sessions can outgrow a query parameter).
    const loaded = double.requests
      .filter((r) => r.path.startsWith("/upload/"))
      .map((r) => (r.body as { configuration: { load: { destinationTable: { tableId: string } } } }).configuration);
    for (const table of ["campaign_events_daily", "campaign_click_keys_daily", "campaign_sessions_daily"])
      expect(
        loaded.some((c) => c.load.destinationTable.tableId.startsWith(`${table}_`)),
        table,
      ).toBe(true);
    // The organization is a bound parameter of every statement, never text.
    for (const job of campaignQueries()) {
      expect(job.query).not.toContain(ACME);
      expect(job.query).not.toContain(GLOBEX);
      expect(job.query.match(/organization_id = @organization_id/g)).toHaveLength(3);
      expect(job.params).toHaveProperty("organization_id");
    }
  });

  it("answers each organization with its own rows only", async () => {
    const acme = await ask(ACME, request());
    const globex = await ask(GLOBEX, request());
    expect(globex.answer.meta?.source).toBe(AnswerSource.BIGQUERY);
    expectSameRows(globex.answer, globex.fromStore);
    // Globex has no ruleset: its newsletter traffic has no campaign; its volumes are its own.
    expect(globex.answer.rows.map((r) => r.campaignId)).toEqual(["autumn", "spring"]);
    const clicks = (a: GetCampaignPerformanceResponse) => a.rows.reduce((sum, r) => sum + Number(r.clicks), 0);
    expect(clicks(globex.answer)).toBeLessThan(clicks(acme.answer));
    expect(campaignQueries().at(-1)?.params).toMatchObject({ organization_id: GLOBEX });
    // Every exported key row holds its own organization's session and click ids only.
    const rowsOf = (table: string) => double.tables.get(`trellis_analytics.${table}`)?.rows ?? [];
    const keyRows = [
      ...rowsOf("campaign_sessions_daily").map((r) => [r.organization_id, r.session_id]),
      ...rowsOf("campaign_click_keys_daily").map((r) => [r.organization_id, r.click_id]),
    ];
    expect(keyRows.length).toBeGreaterThan(100);
    for (const [organizationId, key] of keyRows) expect(String(key).startsWith(`${organizationId}-`)).toBe(true);
  });

  it("leaves short ranges, other time zones and hourly buckets to the store", async () => {
    for (const question of [
      request({ range: { startDate: dayOf(1), endDate: dayOf(3) } }),
      request({ range: { startDate: dayOf(1), endDate: dayOf(10), timeZone: "Europe/Paris" } }),
      request({ groupBy: Granularity.HOUR }),
    ]) {
      const before = campaignQueries().length;
      const { answer } = await ask(ACME, question);
      expect(answer.meta?.source).toBe(AnswerSource.STORE);
      expect(campaignQueries().length).toBe(before);
    }
  });

  it("falls through to the store while a day is not exported at its current version, and answers again once it is", async () => {
    await insert([
      {
        organizationId: ACME,
        time: at(dayOf(5), "15:00:00"),
        type: "click",
        visitorId: "late",
        sessionId: "late-s",
        source: "google",
        campaignId: "spring",
        columns: { click_id: "ck-late" },
      },
    ]);
    const stale = await ask(ACME, request());
    expect(stale.answer.meta?.source).toBe(AnswerSource.STORE);
    expectSameRows(stale.answer, stale.fromStore);

    await exportOnce();
    const current = await ask(ACME, request());
    expect(current.answer.meta?.source).toBe(AnswerSource.BIGQUERY);
    expectSameRows(current.answer, current.fromStore);
  });

  it("falls through to the store after a campaign change until the export ran under the new ruleset", async () => {
    await createRulesetStore(store).change(ACME, campaign("search", "google"));
    const changed = await ask(ACME, request());
    expect(changed.answer.meta?.source).toBe(AnswerSource.STORE);
    expect(changed.answer.rows.map((r) => r.campaignId)).toContain("search");

    await exportOnce();
    const current = await ask(ACME, request());
    expect(current.answer.meta?.source).toBe(AnswerSource.BIGQUERY);
    expectSameRows(current.answer, current.fromStore);
    expect(current.answer.rows.map((r) => r.campaignId)).toContain("search");
  });

  it("falls through to the store when the export replaces a day while BigQuery computes the answer", async () => {
    // Another writer commits a day's new version between the freshness check and the answer.
    double.beforeNextJob(/campaign_sessions_daily/, () => {
      const state = double.tables.get("trellis_analytics.export_state")?.rows ?? [];
      const day = state.find((r) => r.organization_id === ACME && r.table_name === "campaign_events_daily");
      if (day) day.data_version = `${day.data_version}-replaced`;
    });
    const { answer, fromStore } = await ask(ACME, request());
    expect(answer.meta?.source).toBe(AnswerSource.STORE);
    expectSameRows(answer, fromStore);
    // The state moved: the read path stays off until the export writes the day again.
    expect((await ask(ACME, request())).answer.meta?.source).toBe(AnswerSource.STORE);
    await exportOnce();
    expect((await ask(ACME, request())).answer.meta?.source).toBe(AnswerSource.BIGQUERY);
  });

  it("answers from the store when BigQuery fails", async () => {
    double.failJobs(/campaign_sessions_daily/, "The service is currently unavailable.");
    try {
      const { answer, fromStore } = await ask(ACME, request());
      expect(answer.meta?.source).toBe(AnswerSource.STORE);
      expectSameRows(answer, fromStore);
    } finally {
      double.clearFailures();
    }
  });

  it("checks the read path's settings at start", () => {
    const parse = (env: Record<string, string>) => bigQueryConfigFrom(parseEnv(bigQueryEnvShape, env));
    expect(() => parse({ TRELLIS_BIGQUERY_READ_MIN_DAYS: "30" })).toThrow(ConfigError);
    expect(() =>
      parse({
        TRELLIS_BIGQUERY_PROJECT: PROJECT,
        TRELLIS_BIGQUERY_LOOKBACK_DAYS: "35",
        TRELLIS_BIGQUERY_READ_MIN_DAYS: "90",
      }),
    ).toThrow(/more than the 35 days/);
    expect(() => parse({ TRELLIS_BIGQUERY_PROJECT: PROJECT, TRELLIS_BIGQUERY_READ_MIN_DAYS: "soon" })).toThrow(
      ConfigError,
    );
    expect(createBigQueryReadPath(parse({ TRELLIS_BIGQUERY_PROJECT: PROJECT }), logger)).toBeUndefined();
  });
});
