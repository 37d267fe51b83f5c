// Erasure reaches BigQuery whatever a day's age: the ingest service's own deletion runner and
// retention change days older than the export's look-back window, and the next export run
// replaces exactly those days in every exported table of the local HTTP double of the BigQuery
// REST API (packages/bigquery/test/helpers/bigquery-double.ts; BigQuery cannot run here).
import { rmSync } from "node:fs";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { type BigQueryConfig, bigQueryConfigFrom, bigQueryEnvShape, createBigQueryClient } from "@trellis/bigquery";
import { CreateDeletionRequestSchema, OrgContextSchema } from "@trellis/contracts";
import { createExporter, type Exporter } from "@trellis/export";
import { createLogger, parseEnv } from "@trellis/platform";
import { effectiveCampaignSource } from "@trellis/query";
import { createStore, type Store } from "@trellis/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BigQueryDouble,
  startBigQueryDouble,
  writeServiceAccountKey,
} from "../../packages/bigquery/test/helpers/bigquery-double.js";
import { parseDeletionRequest } from "../../services/ingest/src/privacy/deletion-request.js";
import { createDeletionRunner } from "../../services/ingest/src/privacy/deletion-runner.js";
import { createPrivacyRecords } from "../../services/ingest/src/privacy/privacy-records.js";
import { createRetention } from "../../services/ingest/src/privacy/retention.js";
import { createSuppressionFilter } from "../../services/ingest/src/privacy/suppressions.js";
import { createWriteGate } from "../../services/ingest/src/privacy/write-gate.js";
import { type EventSpec, eventRow } from "../helpers/events.js";
import { tempDir, testDatabase } from "../helpers/names.js";

const PROJECT = "trellis-erasure-test";
const ACME = "acme";
const GLOBEX = "globex";
const DAYS = ["2026-03-01", "2026-03-02", "2026-03-03"];
const logger = createLogger({ service: "test", level: "silent" });
const dir = tempDir("bigquery-erasure");
let store: Store;
let double: BigQueryDouble;
let exporter: Exporter;
let today = DAYS[2] as string;

/** Per organization and day: visitors v0..v2, one session each, a click with a click id, a conversion. */
function traffic(organizationId: string): EventSpec[] {
  return DAYS.flatMap((day, d) =>
    [0, 1, 2].flatMap((v) => {
      const visitorId = v === 0 ? `${organizationId}-victim` : `${organizationId}-v${v}`;
      const sessionId = `${visitorId}-d${d}`;
      const at = (minute: number) => new Date(Date.parse(`${day}T10:00:00Z`) + (v * 10 + minute) * 60_000);
      return [
        {
          organizationId,
          time: at(0),
          type: "click",
          visitorId,
          sessionId,
          campaignId: "spring",
          source: "google",
          columns: { click_id: `${sessionId}-gclid`, channel: "search" },
        },
        { organizationId, time: at(1), type: "pageview", visitorId, sessionId, campaignId: "spring" },
        { organizationId, time: at(2), type: "conversion", visitorId, sessionId, campaignId: "spring", value: 5 },
      ] satisfies EventSpec[];
    }),
  );
}

const rowsOf = (table: string, organizationId = ACME) =>
  (double.tables.get(`trellis_analytics.${table}`)?.rows ?? []).filter((r) => r.organization_id === organizationId);

async function runOnce() {
  exporter.start("demand");
  await exporter.idle();
  const run = exporter.status().run;
  if (!run) throw new Error("no run");
  expect(run.failures).toEqual([]);
  return run;
}

/** Every exported value of every table of an organization, as text: where an identifier would show. */
const exportedText = (organizationId: string) =>
  JSON.stringify(
    ["events", "campaign_performance_daily", "campaign_sessions_daily", "campaign_click_keys_daily"].map((t) =>
      rowsOf(t, organizationId),
    ),
  );

beforeAll(async () => {
  const keyFile = join(dir, "service-account.json");
  double = await startBigQueryDouble({
    projectId: PROJECT,
    publicKeyPem: writeServiceAccountKey(keyFile, PROJECT).publicKeyPem,
  });
  const config = bigQueryConfigFrom(
    parseEnv(bigQueryEnvShape, {
      TRELLIS_BIGQUERY_PROJECT: PROJECT,
      TRELLIS_BIGQUERY_KEY_FILE: keyFile,
      TRELLIS_BIGQUERY_API_ENDPOINT: double.url,
      TRELLIS_BIGQUERY_EXPORT_INTERVAL_MS: "0",
      TRELLIS_BIGQUERY_LOOKBACK_DAYS: "3",
      TRELLIS_BIGQUERY_RAW_EVENTS: "true",
      TRELLIS_BIGQUERY_JOB_TIMEOUT_MS: "20000",
    }),
  ) as BigQueryConfig;
  store = createStore(
    {
      database: testDatabase("bq_erasure"),
      dataDir: join(dir, "data"),
      requestTimeoutMs: 30_000,
      maxOpenConnections: 2,
    },
    { logger },
  );
  await store.migrate();
  let index = 0;
  await store.insert(
    "analytics_events",
    [...traffic(ACME), ...traffic(GLOBEX)].map((spec) => eventRow(spec, index++)),
    { organizationId: null },
  );
  const effective = effectiveCampaignSource(store, logger);
  exporter = createExporter(config, {
    store,
    bigquery: createBigQueryClient(config),
    logger,
    organizations: async () => [ACME, GLOBEX],
    effectiveCampaign: (organizationId, signal) => effective(organizationId, signal),
    today: () => today,
  });
});

afterAll(async () => {
  await exporter?.close();
  await double?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("erasure reaches BigQuery beyond the look-back window", () => {
  it("exports the window, then leaves days that aged out of it alone while they do not change", async () => {
    await runOnce();
    for (const organizationId of [ACME, GLOBEX]) {
      expect(rowsOf("events", organizationId)).toHaveLength(27);
      expect(rowsOf("campaign_sessions_daily", organizationId)).toHaveLength(9);
      expect(rowsOf("campaign_click_keys_daily", organizationId)).toHaveLength(9);
      expect(exportedText(organizationId)).toContain(`${organizationId}-victim`);
    }
    // Three weeks on, the three days are far behind the 3-day window: nothing moved, nothing goes.
    today = "2026-03-24";
    const run = await runOnce();
    expect(run.daysExported).toBe(0);
    expect(rowsOf("events")).toHaveLength(27);
  });

  it("a deletion of a visitor whose events are older than the window removes them from every exported table", async () => {
    const records = createPrivacyRecords(store);
    const runner = createDeletionRunner({
      store,
      records,
      gate: createWriteGate(),
      suppressions: createSuppressionFilter(records),
      scopeFor: async () => {
        throw new Error("no cache in this test");
      },
      logger,
    });
    const context = create(OrgContextSchema, { organizationId: ACME, principal: "test" });
    await runner.submit(
      context,
      parseDeletionRequest(ACME, create(CreateDeletionRequestSchema, { visitorIds: [`${ACME}-victim`] })),
    );
    await runner.drain();
    expect(await records.unfinishedDeletions()).toEqual([]);

    const run = await runOnce();
    // Every table of acme's three days, and nothing of globex's.
    expect(run.daysExported).toBe(3 * 6);
    expect(exportedText(ACME)).not.toContain(`${ACME}-victim`);
    expect(rowsOf("events")).toHaveLength(18);
    expect(rowsOf("campaign_sessions_daily")).toHaveLength(6);
    expect(rowsOf("campaign_click_keys_daily").map((r) => r.click_id)).not.toContain(`${ACME}-victim-d0-gclid`);
    expect(rowsOf("campaign_click_keys_daily")).toHaveLength(6);
    for (const day of DAYS) {
      const performance = rowsOf("campaign_performance_daily").filter((r) => r.day === day);
      const sum = (column: string) => performance.reduce((total, r) => total + Number(r[column]), 0);
      expect([sum("clicks"), sum("sessions"), sum("conversions")]).toEqual([2, 2, 2]);
    }
    expect(exportedText(GLOBEX)).toContain(`${GLOBEX}-victim`);
    expect(rowsOf("events", GLOBEX)).toHaveLength(27);

    // The next run finds nothing else to do.
    expect((await runOnce()).daysExported).toBe(0);
  });

  it("retention that drops old days removes them from BigQuery", async () => {
    // Keep events until March 1st has expired (the store's retention counts from its own today).
    const now = Date.parse(new Date().toISOString().slice(0, 10));
    const days = Math.round((now - Date.parse(DAYS[0] as string)) / 86_400_000);
    const retention = createRetention({
      store,
      gate: createWriteGate(),
      scopeFor: async () => {
        throw new Error("no cache in this test");
      },
    });
    const outcome = await retention.set(create(OrgContextSchema, { organizationId: ACME, principal: "test" }), days);
    expect(outcome.expired).toBe(6);

    const run = await runOnce();
    expect(run.daysExported).toBe(6);
    for (const table of [
      "events",
      "campaign_performance_daily",
      "campaign_sessions_daily",
      "campaign_click_keys_daily",
    ]) {
      const exportedDays = [...new Set(rowsOf(table).map((r) => r.day))].sort();
      expect(exportedDays, table).toEqual(DAYS.slice(1));
    }
    expect(rowsOf("events")).toHaveLength(12);
    expect(
      rowsOf("export_state")
        .filter((r) => r.day === DAYS[0])
        .map((r) => [r.data_version, Number(r.row_count)]),
    ).toEqual(Array(6).fill(["empty", 0]));
    // globex keeps its retention and its rows.
    expect(rowsOf("events", GLOBEX)).toHaveLength(27);
  });
});
