// The export's status and runs over RPC and REST on the all-in-one process's port, behind the
// admin token, with the export pointed at the local HTTP double of the BigQuery REST API.
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ExportService } from "@trellis/contracts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BigQueryDouble,
  startBigQueryDouble,
  writeServiceAccountKey,
} from "../../../../packages/bigquery/test/helpers/bigquery-double.js";
import { dailyTraffic } from "../../../../test/helpers/events.js";
import { tempDir } from "../../../../test/helpers/names.js";
import { startTestWarehouse, type TestWarehouse } from "../../../../test/helpers/warehouse.js";

const PROJECT = "trellis-status-test";
const ADMIN_TOKEN = "export-admin-token-of-at-least-32-characters";
let double: BigQueryDouble;
let warehouse: TestWarehouse;

beforeAll(async () => {
  const keyFile = join(tempDir("export-status"), "key.json");
  double = await startBigQueryDouble({
    projectId: PROJECT,
    publicKeyPem: writeServiceAccountKey(keyFile, PROJECT).publicKeyPem,
  });
  warehouse = await startTestWarehouse({
    organizations: ["acme"],
    env: {
      TRELLIS_WARDEN_ADMIN_TOKEN: ADMIN_TOKEN,
      TRELLIS_BIGQUERY_PROJECT: PROJECT,
      TRELLIS_BIGQUERY_KEY_FILE: keyFile,
      TRELLIS_BIGQUERY_API_ENDPOINT: double.url,
      TRELLIS_BIGQUERY_EXPORT_INTERVAL_MS: "0",
    },
  });
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  await warehouse.insertEvents(dailyTraffic("acme", yesterday, 1, 8));
});

afterAll(async () => {
  await warehouse?.close();
  await double?.close();
});

const rest = (path: string, init: RequestInit = {}, token = ADMIN_TOKEN) =>
  fetch(`${warehouse.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}` } });

describe("export status and runs", () => {
  it("refuses callers without the admin token, on REST and RPC", async () => {
    expect((await rest("/api/v1/admin/export", {}, "wrong")).status).toBe(401);
    expect((await rest("/api/v1/admin/export", {}, warehouse.keys.acme)).status).toBe(401);
    const client = createClient(ExportService, createConnectTransport({ baseUrl: warehouse.url, httpVersion: "1.1" }));
    const refused = await client
      .getExportStatus({}, { headers: { authorization: `Bearer ${warehouse.keys.acme}` } })
      .catch((e) => e);
    expect(ConnectError.from(refused).code).toBe(Code.Unauthenticated);
  });

  it("starts a run on demand over REST and reports its progress over REST and RPC", async () => {
    const before = (await (await rest("/api/v1/admin/export")).json()) as { enabled: boolean; run?: unknown };
    expect(before).toEqual({ enabled: true });
    expect((await rest("/api/v1/admin/export", { method: "POST" })).status).toBe(405);
    const started = await rest("/api/v1/admin/export/runs", { method: "POST" });
    expect(started.status).toBe(202);
    const { run_id: runId } = (await started.json()) as { run_id: string };

    let status: { run: { id: string; running: boolean; days_exported?: string; organizations_done?: number } };
    do {
      await new Promise((r) => setTimeout(r, 50));
      status = (await (await rest("/api/v1/admin/export")).json()) as typeof status;
    } while (status.run.running);
    expect(status.run).toMatchObject({
      id: runId,
      trigger: "EXPORT_TRIGGER_DEMAND",
      organizations_done: 1,
      // One day of five tables: the two views and the read path's three (the process exports
      // them under each organization's ruleset).
      days_exported: "5",
    });

    const client = createClient(ExportService, createConnectTransport({ baseUrl: warehouse.url, httpVersion: "1.1" }));
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const rpc = await client.getExportStatus({}, { headers });
    expect(rpc.enabled).toBe(true);
    expect(rpc.run?.id).toBe(BigInt(runId));
    expect(rpc.run?.daysExported).toBe(5n);
    const again = await client.startExport({}, { headers });
    expect(again.runId).toBe(BigInt(runId) + 1n);
  });
});
