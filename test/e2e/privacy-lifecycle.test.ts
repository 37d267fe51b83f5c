// Full export of an organization (Parquet, CSV and NDJSON over Connect and REST, resumable by
// part and offset) and offboarding: deleting an organization leaves no row of it in any table,
// no cached answer, no working credential — and every other organization as it was.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ExportFormat, ExportStatus, PrivacyService } from "@trellis/contracts";
import { rollups } from "@trellis/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dailyTraffic } from "../helpers/events.js";
import { startTestWarehouse, type TestWarehouse } from "../helpers/warehouse.js";

let warehouse: TestWarehouse;
const scratch = mkdtempSync(join(tmpdir(), "trellis-export-read-"));

beforeAll(async () => {
  warehouse = await startTestWarehouse({
    organizations: ["acme", "globex", "doomed"],
    env: { TRELLIS_AUTH_CACHE_SECONDS: "0", TRELLIS_GATEWAY_HOT_ANSWER_MS: "600000" },
  });
  await warehouse.insertEvents([
    ...dailyTraffic("acme", "2026-01-30", 4, 25),
    ...dailyTraffic("globex", "2026-01-30", 4, 30),
    ...dailyTraffic("doomed", "2026-01-30", 4, 35),
  ]);
});

afterAll(async () => {
  await warehouse?.close();
  rmSync(scratch, { recursive: true, force: true });
});

async function api(org: string, method: string, path: string, body?: unknown, key = warehouse.keys[org]) {
  const response = await fetch(`${warehouse.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

const json = (text: string) => JSON.parse(text) as Record<string, unknown>;

async function count(sql: string, params: Record<string, unknown> = {}): Promise<number> {
  const { rows } = await warehouse.embedded.store.query<{ n: string }>({
    name: "test.count",
    sql,
    params,
    organizationId: null,
  });
  return Number(rows[0]?.n);
}

/** globex's raw events exported over REST in `format`, once the export is done: its id and first part. */
async function exportedOverRest(format: string) {
  const created = await api("globex", "POST", "/api/v1/exports", { format, tables: ["analytics_events"] });
  expect(created.status, created.text).toBe(200);
  const id = (json(created.text).export as { id: string }).id;
  let exported = json((await api("globex", "GET", `/api/v1/exports/${id}`)).text).export as {
    status: string;
    parts?: Array<{ name: string; rows: string; bytes: string }>;
  };
  while (exported.status !== "EXPORT_STATUS_DONE" && exported.status !== "EXPORT_STATUS_FAILED") {
    await new Promise((resolve) => setTimeout(resolve, 100));
    exported = json((await api("globex", "GET", `/api/v1/exports/${id}`)).text).export as typeof exported;
  }
  expect(exported.status).toBe("EXPORT_STATUS_DONE");
  return { id, part: exported.parts?.[0] };
}

describe("organization export", () => {
  it("writes every table's months as Parquet with the engine's writer, downloadable over Connect from any offset", async () => {
    const privacy = createClient(PrivacyService, createGrpcTransport({ baseUrl: warehouse.url }));
    const headers = { authorization: `Bearer ${warehouse.keys.acme}` };
    const { export: created } = await privacy.createExport({ format: ExportFormat.PARQUET }, { headers });
    let current = created;
    while (current?.status === ExportStatus.PENDING || current?.status === ExportStatus.RUNNING) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      current = (await privacy.getExport({ id: String(created?.id) }, { headers })).export;
    }
    expect(current?.status, current?.error).toBe(ExportStatus.DONE);
    const parts = current?.parts ?? [];
    // One part per table and month: the traffic spans January and February.
    expect(parts.map((p) => p.name)).toEqual(
      ["analytics_events", ...rollups.map((r) => r.name)].flatMap((t) => [
        `${t}-202601.parquet`,
        `${t}-202602.parquet`,
      ]),
    );
    const raw = parts.filter((p) => p.table === "analytics_events").reduce((n, p) => n + Number(p.rows), 0);
    expect(raw).toBe(100);

    for (const part of parts.filter((p) => p.table === "analytics_events" || p.table === "events_daily_totals")) {
      // Downloaded in two goes: the first chunk, then the rest from its end.
      const chunks: Uint8Array[] = [];
      for await (const m of privacy.downloadExportPart({ exportId: created?.id, part: part.name }, { headers })) {
        chunks.push(m.data);
        break;
      }
      const first = Buffer.concat(chunks);
      for await (const m of privacy.downloadExportPart(
        { exportId: created?.id, part: part.name, offset: BigInt(first.length) },
        { headers },
      )) {
        chunks.push(m.data);
      }
      const file = Buffer.concat(chunks);
      expect(file.length).toBe(Number(part.bytes));
      const path = join(scratch, part.name);
      writeFileSync(path, file);
      // The engine reads its own file back: the rows are the organization's, all of them.
      const rows = await count(`SELECT count() AS n FROM file({path:String}, Parquet) WHERE organization_id = 'acme'`, {
        path,
      });
      expect(rows).toBe(Number(part.rows));
      if (part.table === "events_daily_totals") {
        const events = await count(`SELECT sum(events) AS n FROM file({path:String}, Parquet)`, { path });
        const stored = await count(
          `SELECT count() AS n FROM ${warehouse.database}.analytics_events WHERE organization_id = 'acme' AND toYYYYMM(event_date) = {p:UInt32}`,
          { p: part.partition },
        );
        expect(events).toBe(stored);
      }
    }
  });

  it("streams CSV parts over REST, resumable by offset", async () => {
    const { id, part } = await exportedOverRest("csv");
    const whole = await api("globex", "GET", `/api/v1/exports/${id}/parts/${part?.name}`);
    expect(whole.status).toBe(200);
    const lines = whole.text.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^"organization_id","event_date",/);
    expect(lines.length - 1).toBe(Number(part?.rows));
    const rest = await api("globex", "GET", `/api/v1/exports/${id}/parts/${part?.name}?offset=100`);
    expect(rest.text).toBe(Buffer.from(whole.text).subarray(100).toString());
    // Another organization sees neither the export nor its parts.
    expect((await api("acme", "GET", `/api/v1/exports/${id}`)).status).toBe(404);
    expect((await api("acme", "GET", `/api/v1/exports/${id}/parts/${part?.name}`)).status).toBe(404);
  });

  it("serves Parquet parts over REST as the bytes stored, resumable inside the file", async () => {
    const { id, part } = await exportedOverRest("parquet");
    const download = (offset: number) =>
      fetch(`${warehouse.url}/api/v1/exports/${id}/parts/${part?.name}?offset=${offset}`, {
        headers: { authorization: `Bearer ${warehouse.keys.globex}` },
      });
    const whole = await download(0);
    expect(whole.status).toBe(200);
    expect(whole.headers.get("content-type")).toBe("application/vnd.apache.parquet");
    const file = Buffer.from(await whole.arrayBuffer());
    expect(file.length).toBe(Number(part?.bytes));
    // A Parquet file begins and ends with its magic number; a text decoding on the way breaks both.
    expect(file.subarray(0, 4).toString("latin1")).toBe("PAR1");
    expect(file.subarray(-4).toString("latin1")).toBe("PAR1");
    const rest = Buffer.from(await (await download(101)).arrayBuffer());
    expect(rest.equals(file.subarray(101))).toBe(true);
    const path = join(scratch, `rest-${part?.name}`);
    writeFileSync(path, file);
    const rows = await count(`SELECT count() AS n FROM file({path:String}, Parquet) WHERE organization_id = 'globex'`, {
      path,
    });
    expect(rows).toBe(Number(part?.rows));
  });

  it("refuses bad formats, tables, ids and offsets", async () => {
    expect((await api("acme", "POST", "/api/v1/exports", { format: "xlsx" })).status).toBe(400);
    const table = await api("acme", "POST", "/api/v1/exports", { format: "csv", tables: ["organizations"] });
    expect(table.status).toBe(400);
    expect(table.text).toContain("tables[0]");
    expect((await api("acme", "GET", "/api/v1/exports/nope")).status).toBe(400);
    expect((await api("acme", "GET", "/api/v1/exports/exp_000000000000000000000000")).status).toBe(404);
  });
});

describe("offboarding", () => {
  it("removes every row of the organization from every table, its cache entries and its credentials, and nothing else", async () => {
    const campaign = await api("doomed", "POST", "/api/v1/campaigns", {
      name: "Spring",
      rules: [{ conditions: [{ field: "source", operator: "equals", value: "google" }] }],
    });
    expect(campaign.status, campaign.text).toBe(200);
    await api("doomed", "PUT", "/api/v1/privacy/pii", { drop_params: ["mc_eid"] });
    const traffic = "/api/v1/analytics/traffic?start_date=2026-01-01&end_date=2026-02-28";
    expect((await api("doomed", "GET", traffic)).status).toBe(200);
    const globexBefore = await api("globex", "GET", traffic);

    const tables = (
      await warehouse.embedded.store.query<{ table: string }>({
        name: "test.tables",
        sql: `SELECT DISTINCT table FROM system.columns WHERE database = {db:String} AND name = 'organization_id'`,
        params: { db: warehouse.database },
        organizationId: null,
      })
    ).rows.map((r) => r.table);
    const rowsOf = async (org: string) => {
      const counts: Record<string, number> = {};
      for (const table of tables) {
        counts[table] = await count(
          `SELECT count() AS n FROM ${warehouse.database}.${table} WHERE organization_id = {org:String}`,
          { org },
        );
      }
      counts.organizations = await count(
        `SELECT count() AS n FROM ${warehouse.database}.organizations FINAL WHERE id = {org:String}`,
        { org },
      );
      return counts;
    };
    const globexRows = await rowsOf("globex");
    expect((await rowsOf("doomed")).campaign_rulesets).toBeGreaterThan(0);

    const wrong = await api("doomed", "POST", "/api/v1/privacy/organization/delete", {
      confirm_organization_id: "acme",
    });
    expect(wrong.status).toBe(400);
    const done = await api("doomed", "POST", "/api/v1/privacy/organization/delete", {
      confirm_organization_id: "doomed",
    });
    expect(done.status, done.text).toBe(200);
    const deleted = (json(done.text).deleted as Array<{ table: string; rows: string }>).map((d) => d.table);
    expect(deleted).toEqual(
      expect.arrayContaining(["analytics_events", "api_keys", "campaign_rulesets", "organizations"]),
    );
    expect(Number(json(done.text).cache_entries)).toBeGreaterThan(0);

    expect(Object.values(await rowsOf("doomed")).every((n) => n === 0)).toBe(true);
    expect(await rowsOf("globex")).toEqual(globexRows);
    // The credential no longer works; another organization's answers are unchanged.
    expect((await api("doomed", "GET", traffic)).status).toBe(401);
    const globexAfter = await api("globex", "GET", traffic);
    expect(json(globexAfter.text).totals).toEqual(json(globexBefore.text).totals);
  });
});

describe("retention", () => {
  it("a change applies to the events already stored, their rollups and the cache, verified in the engine's system tables", async () => {
    const traffic = "/api/v1/analytics/traffic?start_date=2026-01-01&end_date=2026-02-28";
    const before = json((await api("globex", "GET", traffic)).text).totals as { events: string };
    expect(Number(before.events)).toBe(120);
    // Keep events until 2026-01-31 expires: January 30 and 31 are past it.
    const today = Date.parse(new Date().toISOString().slice(0, 10));
    const days = Math.round((today - Date.parse("2026-01-31")) / 86_400_000);
    const set = await api("globex", "PUT", "/api/v1/privacy/retention", { retention_days: days });
    expect(set.status, set.text).toBe(200);
    const answer = json(set.text);
    expect(answer).toMatchObject({ retention_days: days, updated_events: "120", expired_events: "60" });

    const db = warehouse.database;
    expect(await count(`SELECT count() AS n FROM ${db}.analytics_events WHERE organization_id = 'globex'`)).toBe(60);
    expect(
      await count(
        `SELECT count() AS n FROM ${db}.analytics_events WHERE organization_id = 'globex' AND retention_days != {d:UInt16}`,
        { d: days },
      ),
    ).toBe(0);
    expect(
      await count(
        `SELECT count() AS n FROM system.mutations WHERE database = {db:String} AND table = 'analytics_events'
  AND command LIKE '%UPDATE retention_days%' AND is_done = 1`,
        { db },
      ),
    ).toBe(1);
    for (const rollup of rollups) {
      expect(
        await count(
          `SELECT count() AS n FROM ${db}.${rollup.name} WHERE organization_id = 'globex' AND retention_days != {d:UInt16}`,
          { d: days },
        ),
      ).toBe(0);
      expect(await count(`SELECT sum(events) AS n FROM ${db}.${rollup.name} WHERE organization_id = 'globex'`)).toBe(
        60,
      );
    }
    expect(await count(`SELECT retention_days AS n FROM ${db}.organizations FINAL WHERE id = 'globex'`)).toBe(days);
    const after = json((await api("globex", "GET", traffic)).text).totals as { events: string };
    expect(Number(after.events)).toBe(60);
    // Another organization's rows keep their retention.
    expect(
      await count(
        `SELECT count() AS n FROM ${db}.analytics_events WHERE organization_id = 'acme' AND retention_days = 3650`,
      ),
    ).toBe(100);
    expect((await api("globex", "PUT", "/api/v1/privacy/retention", { retention_days: 0 })).status).toBe(400);
  });
});
