// Deletion requests: what a deletion removes reaches the raw events, every rollup, the cache
// and the gateway's hot window, and the warehouse afterwards equals a fresh one loaded without
// the deleted subjects — for the organization that asked and, untouched, for every other one.
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { DeletionStatus, PrivacyService } from "@trellis/contracts";
import { createLogger } from "@trellis/platform";
import { createStore, rollups, type Store } from "@trellis/store";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EventSpec, eventRow } from "../helpers/events.js";
import { testDatabase } from "../helpers/names.js";
import { startTestWarehouse, type TestWarehouse } from "../helpers/warehouse.js";

const ORGS = ["acme", "globex", "initech"] as const;
type Org = (typeof ORGS)[number];
const RANGE = "start_date=2026-03-01&end_date=2026-03-31&group_by=day";

let warehouse: TestWarehouse;
let fresh: Store;
const specs: EventSpec[] = [];

/** Deterministic traffic: 3 organizations, 40 visitors each, 20 days, click ids and IP hashes on some. */
function traffic(): EventSpec[] {
  let x = 424242;
  const next = (n: number) => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x % n;
  };
  const types: EventSpec["type"][] = ["click", "pageview", "conversion", "custom"];
  const out: EventSpec[] = [];
  for (let i = 0; i < 2400; i++) {
    const org = ORGS[i % 3] as Org;
    const visitor = next(40);
    out.push({
      organizationId: org,
      time: new Date(Date.parse("2026-03-01T00:00:00Z") + next(20 * 24 * 60) * 60_000 + next(60_000)),
      type: types[next(4)] ?? "click",
      visitorId: `${org}-v${visitor}`,
      sessionId: next(5) === 0 ? "" : `${org}-s${visitor}-${next(3)}`,
      source: ["google", "bing", ""][next(3)],
      country: ["US", "DE", ""][next(3)],
      value: next(100),
      columns: {
        click_id: next(4) === 0 ? `${org}-c${next(60)}` : "",
        ip_hash: String(1000 + next(50)),
        fraud_score: next(100),
        quality_score: next(100),
      },
    });
  }
  return out;
}

beforeAll(async () => {
  warehouse = await startTestWarehouse({
    organizations: [...ORGS],
    env: { TRELLIS_GATEWAY_HOT_ANSWER_MS: "600000", TRELLIS_INGEST_FLUSH_MS: "20" },
  });
  specs.push(...traffic());
  await warehouse.insertEvents(specs);
  fresh = createStore(
    { database: testDatabase("fresh"), dataDir: warehouse.dataDir, requestTimeoutMs: 60_000, maxOpenConnections: 4 },
    { logger: createLogger({ service: "test", level: "silent" }) },
  );
  await fresh.migrate();
});

afterAll(async () => {
  await fresh?.close();
  await warehouse?.close();
});

interface Subjects {
  visitor_ids: string[];
  session_ids: string[];
  click_ids: string[];
  ip_hashes: string[];
}

function matches(spec: EventSpec, subjects: Subjects): boolean {
  return (
    subjects.visitor_ids.includes(spec.visitorId) ||
    (spec.sessionId !== "" && subjects.session_ids.includes(spec.sessionId)) ||
    (spec.columns?.click_id !== "" && subjects.click_ids.includes(String(spec.columns?.click_id))) ||
    subjects.ip_hashes.includes(String(spec.columns?.ip_hash))
  );
}

interface DeletionJson {
  deletion: {
    id: string;
    status: string;
    deleted?: Array<{ table: string; rows: string }>;
    rebuilt?: Array<{ table: string; rows: string }>;
    affected_dates?: string[];
    error?: string;
  };
}

async function api(org: string, method: string, path: string, body?: unknown, key = warehouse.keys[org]) {
  const response = await fetch(`${warehouse.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

/** Requests a deletion over REST and polls its status until it is over. */
async function deleteSubjects(org: string, body: object): Promise<DeletionJson["deletion"]> {
  const created = await api(org, "POST", "/api/v1/privacy/deletions", body);
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  const id = (created.body as DeletionJson).deletion.id;
  for (let attempt = 0; attempt < 600; attempt++) {
    const got = await api(org, "GET", `/api/v1/privacy/deletions/${id}`);
    expect(got.status).toBe(200);
    const deletion = (got.body as DeletionJson).deletion;
    if (deletion.status === "DELETION_STATUS_DONE" || deletion.status === "DELETION_STATUS_FAILED") return deletion;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`deletion ${id} did not finish`);
}

/** Every row of the organization in the raw table and every rollup, finalized, in a stable order. */
async function snapshot(store: Store, org: string) {
  const db = store.database;
  const params = { org };
  const raw = await store.query<{ event_id: string }>({
    name: "test.raw",
    sql: `SELECT event_id FROM ${db}.analytics_events WHERE organization_id = {org:String} ORDER BY event_id`,
    params,
    organizationId: org,
  });
  const tables: Record<string, unknown[]> = { analytics_events: raw.rows.map((r) => r.event_id) };
  for (const spec of rollups) {
    const keys = [spec.bucketColumn, ...spec.dimensions, "retention_days"].join(", ");
    const counts =
      spec.layout === "totals"
        ? "sum(events) e, sum(clicks) c, sum(pageviews) p, sum(conversions) cv, toString(sum(revenue)) r"
        : "sum(events) e, toString(sum(revenue)) r";
    const { rows } = await store.query<Record<string, unknown>>({
      name: "test.rollup",
      sql: `SELECT ${keys}, ${counts}, sum(fraud_score_sum) f, sum(quality_score_sum) q,
  uniqExactIfMerge(visitors) v, uniqExactIfMerge(sessions) s, uniqExactIfMerge(click_ids) k
FROM ${db}.${spec.name} WHERE organization_id = {org:String} GROUP BY ${keys} ORDER BY ALL`,
      params,
      organizationId: org,
    });
    tables[spec.name] = rows;
  }
  return tables;
}

/** The fresh warehouse: empty, then loaded with the events that were never deleted. */
async function loadFresh(remaining: EventSpec[]) {
  for (const table of ["analytics_events", ...rollups.map((r) => r.name)]) {
    await fresh.command({
      name: "test.truncate",
      sql: `TRUNCATE TABLE ${fresh.database}.${table}`,
      organizationId: null,
    });
  }
  const rows = remaining.map((spec) => eventRow(spec, specs.indexOf(spec)));
  await fresh.insert("analytics_events", rows, { organizationId: null });
}

async function trafficTotals(org: string) {
  const { status, body } = await api(org, "GET", `/api/v1/analytics/traffic?${RANGE}`);
  expect(status).toBe(200);
  return (body as { totals: { events: string; visitors: string } }).totals;
}

describe("deletion requests", () => {
  it("leave every organization equal to a fresh warehouse loaded without the deleted subjects", async () => {
    const deleted: Record<string, Subjects> = {};
    let remaining = [...specs];
    let deletedRows = 0;
    // `count` distinct ids of the pool, spread over it from an offset that depends on the seed.
    const pick = (pool: string[], count: number, seed: number) => {
      const unique = [...new Set(pool)].sort();
      if (count === 0 || unique.length === 0) return [];
      const step = Math.max(1, Math.floor(unique.length / count));
      return unique.filter((_, i) => (i + seed) % step === 0).slice(0, count);
    };

    await fc.assert(
      fc.asyncProperty(
        fc.subarray([...ORGS], { minLength: 1 }),
        fc.nat(1000),
        fc.record({ visitors: fc.nat(4), sessions: fc.nat(3), clicks: fc.nat(3), ips: fc.integer({ min: 1, max: 2 }) }),
        async (orgs, seed, sizes) => {
          // Warm the cache and the hot window, so that a stale answer would show.
          for (const org of ORGS) await trafficTotals(org);
          for (const org of orgs) {
            const mine = remaining.filter((s) => s.organizationId === org);
            const subjects: Subjects = {
              visitor_ids: pick(
                mine.map((s) => s.visitorId),
                sizes.visitors,
                seed,
              ),
              session_ids: pick(mine.map((s) => s.sessionId).filter(Boolean), sizes.sessions, seed + 1),
              click_ids: pick(mine.map((s) => String(s.columns?.click_id)).filter(Boolean), sizes.clicks, seed + 2),
              ip_hashes: pick(
                mine.map((s) => String(s.columns?.ip_hash)),
                sizes.ips,
                seed + 3,
              ),
            };
            if (Object.values(subjects).every((ids) => ids.length === 0)) subjects.visitor_ids.push(`${org}-v0`);
            const expectedRows = mine.filter((s) => matches(s, subjects)).length;
            deletedRows += expectedRows;
            const deletion = await deleteSubjects(org, subjects);
            expect(deletion.status, deletion.error).toBe("DELETION_STATUS_DONE");
            const rawDeleted = deletion.deleted?.find((d) => d.table === "analytics_events");
            expect(Number(rawDeleted?.rows ?? 0)).toBe(expectedRows);
            remaining = remaining.filter((s) => s.organizationId !== org || !matches(s, subjects));
            const all = deleted[org] ?? { visitor_ids: [], session_ids: [], click_ids: [], ip_hashes: [] };
            deleted[org] = all;
            for (const kind of Object.keys(all) as (keyof Subjects)[]) all[kind].push(...subjects[kind]);
          }
          await loadFresh(remaining);
          for (const org of ORGS) {
            expect(await snapshot(warehouse.embedded.store, org)).toEqual(await snapshot(fresh, org));
            // The API (through the cache and the hot window) answers from what remains.
            const totals = await trafficTotals(org);
            expect(Number(totals.events)).toBe(remaining.filter((s) => s.organizationId === org).length);
          }
        },
      ),
      { numRuns: 4, seed: 17 },
    );
    // The runs deleted a real share of the traffic, through every kind of id.
    expect(deletedRows).toBeGreaterThan(specs.length / 10);
    for (const subjects of Object.values(deleted)) {
      expect(Object.values(subjects).every((ids) => ids.length > 0)).toBe(true);
    }

    // No trace of a deleted id in any tenant table of the warehouse.
    for (const [org, subjects] of Object.entries(deleted)) {
      const { rows } = await warehouse.embedded.store.query<{ n: string }>({
        name: "test.trace",
        sql: `SELECT count() AS n FROM ${warehouse.database}.analytics_events
WHERE organization_id = {org:String} AND (visitor_id IN {v:Array(String)} OR session_id IN {s:Array(String)}
  OR click_id IN {c:Array(String)} OR ip_hash IN {i:Array(UInt64)})`,
        params: {
          org,
          v: subjects.visitor_ids,
          s: subjects.session_ids,
          c: subjects.click_ids,
          i: subjects.ip_hashes.map(BigInt),
        },
        organizationId: org,
      });
      expect(Number(rows[0]?.n)).toBe(0);
      // The privacy tables keep counts and digests, never the ids.
      for (const table of ["privacy_deletions", "privacy_audit_log"]) {
        const text = await warehouse.embedded.store.queryText(
          { name: "test.privacy", sql: `SELECT * FROM ${warehouse.database}.${table}`, organizationId: null },
          "JSONEachRow",
        );
        for (const id of [...subjects.visitor_ids, ...subjects.session_ids, ...subjects.click_ids]) {
          expect(text.includes(id), `${table} holds ${id}`).toBe(false);
        }
      }
    }
  });

  it("removes the organization's earlier export files, which may hold the deleted ids", async () => {
    const created = await api("initech", "POST", "/api/v1/exports", { format: "ndjson", tables: ["analytics_events"] });
    const id = (created.body as { export: { id: string } }).export.id;
    let exported = { status: "", parts: [] as Array<{ name: string }> };
    while (exported.status !== "EXPORT_STATUS_DONE") {
      await new Promise((resolve) => setTimeout(resolve, 100));
      exported = ((await api("initech", "GET", `/api/v1/exports/${id}`)).body as { export: typeof exported }).export;
    }
    const part = `/api/v1/exports/${id}/parts/${exported.parts[0]?.name}`;
    const before = await fetch(`${warehouse.url}${part}`, {
      headers: { authorization: `Bearer ${warehouse.keys.initech}` },
    });
    const first = JSON.parse((await before.text()).split("\n")[0] ?? "{}") as { visitor_id: string };
    const visitor = first.visitor_id;
    expect(visitor).toMatch(/^initech-v/);
    const deletion = await deleteSubjects("initech", { visitor_ids: [visitor] });
    expect(deletion.status).toBe("DELETION_STATUS_DONE");
    const after = await api("initech", "GET", part);
    expect(after.status).toBe(412);
    expect(JSON.stringify(after.body)).toMatch(/export again/);
  });

  it("deletes the discovery runs whose stored answers name a deleted id, and only those", async () => {
    const run = (organizationId: string, runId: string, ipHash: string) => ({
      organization_id: organizationId,
      run_id: runId,
      kind: "fraud",
      // Recent: runs older than the runs' retention (DISCOVERY_HISTORY_DAYS) leave at the next merge.
      created_at: new Date(Date.now() - 3_600_000).toISOString().replace("T", " ").slice(0, 23),
      start_date: "2026-03-01",
      end_date: "2026-03-20",
      time_zone: "UTC",
      trigger: "demand",
      ruleset_version: "0",
      findings: 1,
      elapsed_ms: 1,
      result: JSON.stringify({ findings: [{ kind: "ip_velocity", attributes: { ip_hash: ipHash } }] }),
    });
    await warehouse.embedded.store.insert(
      "discovery_runs",
      [
        run("acme", "run-named", "987654321"),
        run("acme", "run-other", "98765432"),
        run("globex", "run-globex", "987654321"),
      ],
      { organizationId: null },
    );
    const deletion = await deleteSubjects("acme", { ip_hashes: ["987654321"] });
    expect(deletion.status, deletion.error).toBe("DELETION_STATUS_DONE");
    expect(deletion.deleted).toEqual([{ table: "discovery_runs", rows: "1" }]);
    const { rows } = await warehouse.embedded.store.query<{ run_id: string }>({
      name: "test.runs",
      sql: `SELECT run_id FROM ${warehouse.database}.discovery_runs WHERE run_id LIKE 'run-%' ORDER BY run_id`,
      organizationId: null,
    });
    expect(rows.map((r) => r.run_id)).toEqual(["run-globex", "run-other"]);
  });

  it("never touches another organization's rows, even when named by their ids", async () => {
    const before = await snapshot(warehouse.embedded.store, "globex");
    const victim = specs.find((s) => s.organizationId === "globex" && s.visitorId.endsWith("-v7"));
    const deletion = await deleteSubjects("acme", { visitor_ids: [String(victim?.visitorId)] });
    expect(deletion.status).toBe("DELETION_STATUS_DONE");
    expect(deletion.affected_dates ?? []).toEqual([]);
    expect(await snapshot(warehouse.embedded.store, "globex")).toEqual(before);
  });

  it("answers over Connect and gRPC, streams a subject's events and keeps the audit log", async () => {
    const privacy = createClient(PrivacyService, createGrpcTransport({ baseUrl: warehouse.url }));
    const headers = { authorization: `Bearer ${warehouse.keys.initech}` };
    const visitor = "initech-v11";
    const exported: string[] = [];
    for await (const chunk of privacy.exportSubject({ visitorId: visitor }, { headers }))
      exported.push(...chunk.eventsJson);
    const stored = specs.filter((s) => s.organizationId === "initech" && s.visitorId === visitor);
    const rows = exported.map((line) => JSON.parse(line) as { visitor_id: string; organization_id: string });
    expect(rows.length).toBeLessThanOrEqual(stored.length);
    expect(rows.every((r) => r.visitor_id === visitor && r.organization_id === "initech")).toBe(true);

    // The same export as NDJSON over REST.
    const ndjson = await fetch(`${warehouse.url}/api/v1/privacy/subjects/${visitor}/export`, { headers });
    expect(ndjson.status).toBe(200);
    expect(ndjson.headers.get("content-type")).toBe("application/x-ndjson");
    expect((await ndjson.text()).split("\n").filter(Boolean)).toEqual(exported);

    const { deletion } = await privacy.createDeletion({ visitorIds: [visitor], requestId: "erase-11" }, { headers });
    expect(deletion?.status).toBe(DeletionStatus.PENDING);
    // The same request_id with the same ids answers the first request.
    const again = await privacy.createDeletion({ visitorIds: [visitor], requestId: "erase-11" }, { headers });
    expect(again.deletion?.id).toBe(deletion?.id);
    await expect(privacy.createDeletion({ visitorIds: ["other"], requestId: "erase-11" }, { headers })).rejects.toThrow(
      /request_id/,
    );
    let status = DeletionStatus.PENDING;
    while (status === DeletionStatus.PENDING || status === DeletionStatus.RUNNING) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await privacy.getDeletion({ id: String(deletion?.id) }, { headers })).deletion?.status ?? status;
    }
    expect(status).toBe(DeletionStatus.DONE);
    const after: string[] = [];
    for await (const chunk of privacy.exportSubject({ visitorId: visitor }, { headers }))
      after.push(...chunk.eventsJson);
    expect(after).toEqual([]);

    const { rows: audit } = await warehouse.embedded.store.query<{ action: string; principal: string }>({
      name: "test.audit",
      sql: `SELECT action, principal FROM ${warehouse.database}.privacy_audit_log
WHERE organization_id = 'initech' AND request_id = {id:String} ORDER BY at`,
      params: { id: deletion?.id },
      organizationId: "initech",
    });
    expect(audit.map((a) => a.action)).toEqual(["deletion.requested", "deletion.done"]);
    expect(audit[0]?.principal).toMatch(/^key:/);
  });
});

describe("suppression and a racing ingest", () => {
  const event = (id: string, visitor: string) => ({
    event_id: id,
    type: "EVENT_TYPE_PAGEVIEW",
    time: new Date().toISOString(),
    url: "https://shop.example/",
    visitor_id: visitor,
    session_id: `${visitor}-s`,
  });
  const ingest = (org: string, events: unknown[]) => api(org, "POST", "/api/v1/events", events);
  const storedOf = async (org: string, visitor: string) => {
    const { rows } = await warehouse.embedded.store.query<{ n: string }>({
      name: "test.count",
      sql: `SELECT count() AS n FROM ${warehouse.database}.analytics_events WHERE organization_id = {org:String} AND visitor_id = {v:String}`,
      params: { org, v: visitor },
      organizationId: org,
    });
    return Number(rows[0]?.n);
  };

  it("with suppress, an event of the visitor sent while the deletion runs or later is refused, and nothing of it stays", async () => {
    const visitor = "racer-suppressed";
    await ingest("acme", [event("r0", visitor)]);
    let stop = false;
    const answers: Array<{ accepted: number; rejected?: Array<{ field: string; reason: string }> }> = [];
    const racing = (async () => {
      for (let i = 1; !stop && i < 200; i++) {
        answers.push((await ingest("acme", [event(`r${i}`, visitor)])).body as (typeof answers)[number]);
      }
    })();
    const deletion = await deleteSubjects("acme", { visitor_ids: [visitor], suppress: true });
    stop = true;
    await racing;
    expect(deletion.status).toBe("DELETION_STATUS_DONE");
    const late = (await ingest("acme", [event("late", visitor), event("other", "racer-other")])).body as {
      accepted: number;
      rejected: Array<{ index: number; field: string; reason: string }>;
    };
    expect(late.accepted).toBe(1);
    expect(late.rejected).toEqual([
      { index: 0, field: "visitor_id", reason: "suppressed by a privacy deletion request" },
    ]);
    // Every racing event was either written before the deletion took the gate (and deleted) or refused.
    expect(await storedOf("acme", visitor)).toBe(0);
    expect(answers.some((a) => a.rejected?.some((r) => r.field === "visitor_id"))).toBe(true);
  });

  it("without suppress, events acknowledged before the request are deleted and later ones are kept", async () => {
    const visitor = "racer-kept";
    await ingest("globex", [event("k0", visitor), event("k1", visitor)]);
    const deletion = await deleteSubjects("globex", { visitor_ids: [visitor] });
    expect(deletion.status).toBe("DELETION_STATUS_DONE");
    expect(await storedOf("globex", visitor)).toBe(0);
    const after = (await ingest("globex", [event("k2", visitor)])).body as { accepted: number };
    expect(after.accepted).toBe(1);
    expect(await storedOf("globex", visitor)).toBe(1);
  });
});

describe("bad deletion requests", () => {
  const post = (body: unknown, key?: string) => api("acme", "POST", "/api/v1/privacy/deletions", body, key);
  const violations = (body: unknown) =>
    ((body as { error: { violations?: Array<{ field: string }> } }).error.violations ?? []).map((v) => v.field);

  it("refuse more than 5,000 ids, no ids, bad ids and unknown fields, naming the field", async () => {
    const many = Array.from({ length: 5001 }, (_, i) => `v${i}`);
    const tooMany = await post({ visitor_ids: many });
    expect(tooMany.status).toBe(400);
    expect(JSON.stringify(tooMany.body)).toMatch(/at most 5000 ids/);
    expect((await post({})).status).toBe(400);
    const bad = await post({ visitor_ids: ["ok", ""], ip_hashes: ["1.2.3.4"] });
    expect(bad.status).toBe(400);
    expect(violations(bad.body)).toEqual(["visitor_ids[1]", "ip_hashes[0]"]);
    const unknown = await post({ visitors: ["v1"] });
    expect(unknown.status).toBe(400);
    expect((await post({ visitor_ids: "v1" })).status).toBe(400);
    expect((await post({ visitor_ids: ["v1"], suppress: "yes" })).status).toBe(400);
  });

  it("need privacy:manage, which a key without named scopes has", async () => {
    const reader = await warehouse.createKey("acme", ["analytics:read"]);
    expect((await post({ visitor_ids: ["v1"] }, reader)).status).toBe(403);
    expect((await api("acme", "GET", "/api/v1/privacy/subjects/v1/export", undefined, reader)).status).toBe(403);
    const manager = await warehouse.createKey("acme", ["privacy:manage"]);
    expect((await post({ visitor_ids: ["nobody"] }, manager)).status).toBe(200);
  });

  it("answer 404 for an unknown deletion or another organization's, 400 for a malformed id", async () => {
    expect((await api("acme", "GET", "/api/v1/privacy/deletions/del_000000000000000000000000")).status).toBe(404);
    const created = await post({ visitor_ids: ["nobody-2"] });
    const id = (created.body as DeletionJson).deletion.id;
    expect((await api("globex", "GET", `/api/v1/privacy/deletions/${id}`)).status).toBe(404);
    expect((await api("acme", "GET", "/api/v1/privacy/deletions/x")).status).toBe(400);
  });
});
