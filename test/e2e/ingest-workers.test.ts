// Ingest with worker threads preparing the batches stores what ingest's own preparation gives
// for the same events on this thread: the same enriched columns, the same rejections.
import { createEnricher, prepareBatch } from "@trellis/ingest";
import { eventFromJson } from "@trellis/platform";
import { type EventColumnName, eventColumns } from "@trellis/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readNativeRows } from "../helpers/native-rows.js";
import { startTestWarehouse, type TestWarehouse } from "../helpers/warehouse.js";

const organizations = ["acme", "globex", "initech"];
const ipHashKey = "ingest-workers-test-key-0123456789abcdef";
let warehouse: TestWarehouse;

beforeAll(async () => {
  warehouse = await startTestWarehouse({
    organizations,
    env: { TRELLIS_INGEST_WORKERS: "2", TRELLIS_INGEST_FLUSH_MS: "20", TRELLIS_IP_HASH_KEY: ipHashKey },
  });
});

afterAll(async () => {
  await warehouse?.close();
});

const time = new Date(Date.now() - 3_600_000).toISOString();

function events(organizationId: string) {
  return Array.from({ length: 60 }, (_, i) => ({
    event_id: `${organizationId}-${i}`,
    type: i % 10 === 9 ? "EVENT_TYPE_CONVERSION" : "EVENT_TYPE_PAGEVIEW",
    time,
    url: `https://${organizationId}.example/p/${i}?utm_source=newsletter&utm_medium=email&gclid=g${i}`,
    referrer: i % 3 === 0 ? "https://www.google.com/search?q=x" : "",
    user_agent:
      i % 4 === 0
        ? "Googlebot/2.1 (+http://www.google.com/bot.html)"
        : "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
    ip: `81.2.69.${100 + (i % 7)}`,
    session_id: `s${i % 5}`,
    visitor_id: `v${i % 3}`,
    ...(i % 10 === 9 ? { conversion_name: "purchase", value: 12.5, currency: "EUR" } : {}),
    headers: { "accept-language": "en-GB" },
  }));
}

async function post(organizationId: string, body: unknown[]) {
  const response = await fetch(`${warehouse.url}/api/v1/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${warehouse.keys[organizationId]}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { accepted: number; rejected: unknown[] } };
}

/** The enriched columns compared; a line leaves out a column holding its default. */
const columns = [
  "source",
  "medium",
  "channel",
  "click_id",
  "click_id_type",
  "referrer_class",
  "country",
  "city",
  "device_type",
  "browser",
  "os",
  "is_bot",
  "bot_name",
  "fraud_flags",
  "ip_anonymized",
  "currency",
] as const satisfies readonly EventColumnName[];
const defaults: Record<string, unknown> = Object.fromEntries(eventColumns.map((c) => [c.name, c.default]));

const pick = (row: Record<string, unknown>) =>
  Object.fromEntries(columns.map((name) => [name, row[name] ?? defaults[name]]));

/** What this thread's preparation stores for the events, by event id. */
async function expectedRows(organizationId: string, body: unknown[]) {
  const enricher = await createEnricher({ ipHashKey });
  try {
    const prepared = prepareBatch(body.map(eventFromJson), enricher, {
      organizationId,
      retentionDays: 3650,
      clientBatchId: "",
      receivedAt: new Date(),
    });
    return readNativeRows(prepared.block)
      .sort((a, b) => String(a.event_id).localeCompare(String(b.event_id)))
      .map(pick);
  } finally {
    await enricher.close();
  }
}

async function stored(organizationId: string) {
  const { rows } = await warehouse.embedded.store.query<Record<string, unknown>>({
    name: "test.stored",
    sql: `SELECT event_id, ${columns.join(", ")}
          FROM ${warehouse.database}.analytics_events
          WHERE organization_id = {org:String} ORDER BY event_id`,
    params: { org: organizationId },
    organizationId,
  });
  return rows.map(pick);
}

describe("ingest with worker threads", () => {
  it("stores what this thread's preparation gives, for every organization", async () => {
    const answers = await Promise.all(organizations.map((org) => post(org, events(org))));
    for (const answer of answers) expect(answer).toMatchObject({ status: 200, body: { accepted: 60 } });
    for (const org of organizations) {
      const rows = await stored(org);
      expect(rows).toHaveLength(60);
      expect(rows).toEqual(await expectedRows(org, events(org)));
      expect(rows.some((row) => row.is_bot)).toBe(true);
      expect(rows.some((row) => row.country !== "")).toBe(true);
    }
  });

  it("reports invalid events by index from a worker and stores the valid ones", async () => {
    const answer = await post("acme", [
      { event_id: "valid-1", type: "EVENT_TYPE_PAGEVIEW", time, url: "https://acme.example/" },
      { event_id: "invalid-1", type: "EVENT_TYPE_PAGEVIEW", time, url: "not a url" },
    ]);
    expect(answer.status).toBe(200);
    expect(answer.body.accepted).toBe(1);
    expect(answer.body.rejected).toEqual([expect.objectContaining({ index: 1, field: "events[1].url" })]);
  });
});
