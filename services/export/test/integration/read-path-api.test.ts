// The BigQuery read path through the whole all-in-one process: an export run started over the
// admin REST API writes the read-path tables to the local HTTP double of the BigQuery REST API
// (which runs their queries in this process's embedded engine), and the public campaign
// performance route then answers from BigQuery, the same rows as the store, and from the cache
// after that.
import { join } from "node:path";
import type { Store } from "@trellis/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BigQueryDouble,
  type DoubleEngine,
  startBigQueryDouble,
  writeServiceAccountKey,
} from "../../../../packages/bigquery/test/helpers/bigquery-double.js";
import { storeEngine } from "../../../../packages/bigquery/test/helpers/bigquery-double-engine.js";
import { dailyTraffic } from "../../../../test/helpers/events.js";
import { tempDir } from "../../../../test/helpers/names.js";
import { startTestWarehouse, type TestWarehouse } from "../../../../test/helpers/warehouse.js";

const PROJECT = "trellis-read-path-test";
const ADMIN_TOKEN = "export-admin-token-of-at-least-32-characters";
let double: BigQueryDouble;
let warehouse: TestWarehouse;
const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);

/** The double needs the process's engine, which exists only once the process runs. */
function lateEngine(store: () => Store): DoubleEngine {
  return {
    tableName: (table) => storeEngine(store()).tableName(table),
    load: (table, fields, rows) => storeEngine(store()).load(table, fields, rows),
    query: (sql, params) => storeEngine(store()).query(sql, params),
  };
}

beforeAll(async () => {
  const keyFile = join(tempDir("read-path-api"), "key.json");
  double = await startBigQueryDouble({
    projectId: PROJECT,
    publicKeyPem: writeServiceAccountKey(keyFile, PROJECT).publicKeyPem,
    engine: lateEngine(() => warehouse.embedded.store),
  });
  warehouse = await startTestWarehouse({
    organizations: ["acme", "globex"],
    env: {
      TRELLIS_WARDEN_ADMIN_TOKEN: ADMIN_TOKEN,
      TRELLIS_BIGQUERY_PROJECT: PROJECT,
      TRELLIS_BIGQUERY_KEY_FILE: keyFile,
      TRELLIS_BIGQUERY_API_ENDPOINT: double.url,
      TRELLIS_BIGQUERY_EXPORT_INTERVAL_MS: "0",
      TRELLIS_BIGQUERY_READ_MIN_DAYS: "7",
    },
  });
  for (const organizationId of ["acme", "globex"])
    await warehouse.insertEvents(
      dailyTraffic(organizationId, day(9), 9, organizationId === "acme" ? 12 : 5).map((spec) => ({
        ...spec,
        campaignId: spec.source === "google" ? "spring" : "letters",
      })),
    );
});

afterAll(async () => {
  await warehouse?.close();
  await double?.close();
});

async function exportNow() {
  const started = await fetch(`${warehouse.url}/api/v1/admin/export/runs`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  expect(started.status).toBe(202);
  let run: { running: boolean; days_failed?: string };
  do {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const status = await fetch(`${warehouse.url}/api/v1/admin/export`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    run = ((await status.json()) as { run: typeof run }).run;
  } while (run.running);
  expect(run.days_failed ?? "0").toBe("0");
}

async function campaigns(organizationId: string, cacheControl: string) {
  const response = await fetch(`${warehouse.url}/api/v1/analytics/campaigns?start_date=${day(9)}&end_date=${day(1)}`, {
    headers: { authorization: `Bearer ${warehouse.keys[organizationId]}`, "cache-control": cacheControl },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { rows: Array<Record<string, unknown>>; meta: { source: string } };
}

describe("campaign performance from BigQuery through the API", () => {
  it("answers from the store until the export ran, then from BigQuery with the same rows, then from the cache", async () => {
    // Before the export has run, the store answers (every cache policy computes through the
    // read path, which falls through while BigQuery holds nothing).
    const fromStore: Record<string, Awaited<ReturnType<typeof campaigns>>> = {};
    for (const organizationId of ["acme", "globex"]) {
      fromStore[organizationId] = await campaigns(organizationId, "no-store");
      expect(fromStore[organizationId]?.meta.source).toBe("ANSWER_SOURCE_STORE");
    }
    expect(fromStore.acme?.rows.map((r) => r.campaign_id)).toEqual(["letters", "spring"]);
    expect(fromStore.acme?.rows).not.toEqual(fromStore.globex?.rows);

    await exportNow();
    for (const organizationId of ["acme", "globex"]) {
      const fromBigQuery = await campaigns(organizationId, "no-cache");
      expect(fromBigQuery.meta.source).toBe("ANSWER_SOURCE_BIGQUERY");
      // The answers' floating-point sums may differ in their last bits (summation order).
      expect(JSON.parse(JSON.stringify(fromBigQuery.rows, round))).toEqual(
        JSON.parse(JSON.stringify(fromStore[organizationId]?.rows, round)),
      );
      const again = await campaigns(organizationId, "max-age=0");
      expect(again.meta.source).toBe("ANSWER_SOURCE_CACHE_L1");
      expect(again.rows).toEqual(fromBigQuery.rows);
    }
  });
});

function round(_key: string, value: unknown) {
  return typeof value === "number" ? Number(value.toPrecision(12)) : value;
}
