// `trellis export`: one export run against a data directory, to the local HTTP double of the
// BigQuery REST API (packages/bigquery/test/helpers/bigquery-double.ts), as a CronJob runs it.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BigQueryDouble,
  startBigQueryDouble,
  writeServiceAccountKey,
} from "../../../../packages/bigquery/test/helpers/bigquery-double.js";
import { tempDir, testDatabase } from "../../../../test/helpers/names.js";
import { exitCode, runNode } from "../../../../test/helpers/processes.js";

const PROJECT = "trellis-cli-test";
const dataDir = tempDir("cli-export");
const keyFile = join(dataDir, "key.json");
let double: BigQueryDouble;
let env: Record<string, string>;

beforeAll(async () => {
  double = await startBigQueryDouble({
    projectId: PROJECT,
    publicKeyPem: writeServiceAccountKey(keyFile, PROJECT).publicKeyPem,
  });
  env = {
    TRELLIS_DATA_DIR: join(dataDir, "data"),
    TRELLIS_CLICKHOUSE_DATABASE: testDatabase("cli_export"),
    TRELLIS_BIGQUERY_PROJECT: PROJECT,
    TRELLIS_BIGQUERY_KEY_FILE: keyFile,
    TRELLIS_BIGQUERY_API_ENDPOINT: double.url,
    TRELLIS_BIGQUERY_LOOKBACK_DAYS: "10",
  };
});

afterAll(async () => {
  await double?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function trellis(...args: string[]): Promise<{ code: number | null; output: string }> {
  const { child, output } = runNode(["apps/trellis/src/main.ts", ...args], env);
  return { code: await exitCode(child), output: output() };
}

describe("trellis export", () => {
  it("exports every organization's days once, then nothing while nothing changed", async () => {
    const seeded = await trellis("seed", "--events", "3000", "--organizations", "2", "--days", "3");
    expect(seeded.code, seeded.output).toBe(0);

    const first = await trellis("export");
    expect(first.code, first.output).toBe(0);
    const run = JSON.parse(first.output.slice(first.output.indexOf("{\n"))) as {
      organizationsTotal: number;
      daysExported: number;
      daysFailed: number;
    };
    expect(run.organizationsTotal).toBe(2);
    expect(run.daysFailed).toBe(0);
    expect(run.daysExported).toBeGreaterThanOrEqual(2 * 2 * 3);
    const organizations = new Set(
      double.tables.get("trellis_analytics.campaign_performance_daily")?.rows.map((r) => r.organization_id),
    );
    expect(organizations.size).toBe(2);

    const second = await trellis("export");
    expect(second.code, second.output).toBe(0);
    expect(JSON.parse(second.output.slice(second.output.indexOf("{\n")))).toMatchObject({
      daysExported: 0,
      daysFailed: 0,
    });
  });

  it("exits 1 with the reason when BigQuery refuses every job", async () => {
    double.failJobs(/^BEGIN TRANSACTION/, "Access Denied: Table: the service account lacks bigquery.tables.updateData");
    const seeded = await trellis("seed", "--events", "200", "--organizations", "1", "--days", "1", "--seed", "99");
    expect(seeded.code, seeded.output).toBe(0);
    const failed = await trellis("export");
    double.clearFailures();
    expect(failed.code).toBe(1);
    expect(failed.output).toContain("Access Denied");
  });

  it("says what to set when no project is configured", async () => {
    const { child, output } = runNode(["apps/trellis/src/main.ts", "export"], { ...env, TRELLIS_BIGQUERY_PROJECT: "" });
    expect(await exitCode(child)).toBe(2);
    expect(output()).toContain("TRELLIS_BIGQUERY_PROJECT");
  });
});
