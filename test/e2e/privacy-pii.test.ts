// Personal data at ingest: every planted e-mail address, phone number, card number and secret
// is redacted (the default) or sealed (an organization that encrypts) in every stored column,
// nothing else changes, and a shredded data key leaves its sealed values unreadable.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestWarehouse, type TestWarehouse } from "../helpers/warehouse.js";

let warehouse: TestWarehouse;

beforeAll(async () => {
  warehouse = await startTestWarehouse({
    organizations: ["acme", "globex"],
    env: { TRELLIS_INGEST_FLUSH_MS: "20", TRELLIS_PII_MASTER_KEY: "m".repeat(40) },
  });
});

afterAll(async () => {
  await warehouse?.close();
});

async function api(org: string, method: string, path: string, body?: unknown, key = warehouse.keys[org]) {
  const response = await fetch(`${warehouse.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const planted = {
  email: "jane.doe@example.com",
  phone: "+44 20 7946 0958",
  card: "4111 1111 1111 1111",
  jwt: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.abcdefghijklmnop",
  token: "8f14e45fceea167a5a36dedd4bea2543",
};

function pageview<F extends Record<string, unknown>>(id: string, fields: F) {
  return {
    event_id: id,
    type: "EVENT_TYPE_PAGEVIEW",
    time: new Date().toISOString(),
    visitor_id: "v1",
    session_id: "s1",
    ...fields,
  };
}

const dirty = (id: string) =>
  pageview(id, {
    url: `https://shop.example/unsubscribe/${encodeURIComponent(planted.email)}?utm_source=mail&utm_term=${encodeURIComponent(planted.phone)}&utm_content=${encodeURIComponent(planted.card)}&token=${planted.token}&mc_eid=abc123`,
    referrer: `https://mail.example/read?to=${encodeURIComponent(planted.email)}#id_token=${planted.jwt}`,
    properties: { note: `call ${planted.phone}`, email: planted.email, plan: "pro" },
    headers: { "x-forwarded-email": planted.email, "accept-language": "en-GB" },
  });

const STORED = `url, referrer, toJSONString(query_params) AS query_params, toJSONString(headers) AS headers,
  toJSONString(properties) AS properties, term, content, landing_path, referrer_path`;

async function stored(org: string, eventId: string) {
  const { rows } = await warehouse.embedded.store.query<Record<string, string>>({
    name: "test.stored",
    sql: `SELECT ${STORED} FROM ${warehouse.database}.analytics_events WHERE organization_id = {org:String} AND event_id = {id:String}`,
    params: { org, id: eventId },
    organizationId: org,
  });
  expect(rows).toHaveLength(1);
  return rows[0] as Record<string, string>;
}

function plantedIn(row: Record<string, string>): string[] {
  const text = JSON.stringify(row);
  const forms = Object.values(planted).flatMap((v) => [v, encodeURIComponent(v), v.replace(/ /g, "+")]);
  return forms.filter((form) => text.includes(form) || text.includes(JSON.stringify(form).slice(1, -1)));
}

describe("PII at ingest", () => {
  it("redacts every planted value in every stored column by default, and changes nothing else", async () => {
    const clean = pageview("clean-1", {
      url: "https://shop.example/p/12345678?utm_source=google&gclid=Cj0KCQjw9ZGYBhCEARIsAEUX&q=running+shoes",
      referrer: "https://www.google.com/",
      properties: { plan: "pro", order: "1717171717171" },
    });
    const answer = await api("acme", "POST", "/api/v1/events", [dirty("dirty-1"), clean]);
    expect(answer.body.accepted).toBe(2);
    const row = await stored("acme", "dirty-1");
    expect(plantedIn(row)).toEqual([]);
    expect(row.url).toBe(
      "https://shop.example/unsubscribe/REDACTED_EMAIL?utm_source=mail&utm_term=REDACTED_PHONE&utm_content=REDACTED_CARD&token=REDACTED_SECRET&mc_eid=abc123",
    );
    expect(row.term).toBe("REDACTED_PHONE");
    expect(row.content).toBe("REDACTED_CARD");
    expect(JSON.parse(row.properties as string)).toEqual({
      note: "call REDACTED_PHONE",
      email: "REDACTED_EMAIL",
      plan: "pro",
    });
    expect(JSON.parse(row.headers as string)).toEqual({
      "x-forwarded-email": "REDACTED_EMAIL",
      "accept-language": "en-GB",
    });
    const kept = await stored("acme", "clean-1");
    expect(kept.url).toBe(clean.url);
    expect(JSON.parse(kept.properties as string)).toEqual(clean.properties);
  });

  it("seals them for an organization that encrypts, drops its listed parameters, and shredding makes them unreadable", async () => {
    const set = await api("globex", "PUT", "/api/v1/privacy/pii", { mode: "encrypt", drop_params: ["MC_EID"] });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    const settings = set.body.settings as { mode: string; drop_params: string[]; current_key_id: string };
    expect(settings).toMatchObject({ mode: "PII_MODE_ENCRYPT", drop_params: ["mc_eid"] });
    const firstKey = settings.current_key_id;
    expect(firstKey).toMatch(/^[0-9a-f]{12}$/);

    await api("globex", "POST", "/api/v1/events", [dirty("sealed-1")]);
    const row = await stored("globex", "sealed-1");
    expect(plantedIn(row)).toEqual([]);
    expect(row.url).not.toContain("mc_eid");
    const sealedEmail = (JSON.parse(row.properties as string) as Record<string, string>).email as string;
    expect(sealedEmail.startsWith(`pii1.${firstKey}.`)).toBe(true);
    const revealed = await api("globex", "POST", "/api/v1/privacy/reveal", { values: [sealedEmail] });
    expect(revealed.body.values).toEqual([planted.email]);
    // Another organization's keys open nothing of this one.
    const foreign = await api("acme", "POST", "/api/v1/privacy/reveal", { values: [sealedEmail] });
    expect(foreign.body.values).toEqual([""]);

    const rotated = await api("globex", "POST", "/api/v1/privacy/keys/rotate", {});
    const secondKey = (rotated.body.settings as { current_key_id: string }).current_key_id;
    expect(secondKey).not.toBe(firstKey);
    await api("globex", "POST", "/api/v1/events", [dirty("sealed-2")]);
    const secondEmail = (
      JSON.parse((await stored("globex", "sealed-2")).properties as string) as Record<string, string>
    ).email as string;
    expect(secondEmail.startsWith(`pii1.${secondKey}.`)).toBe(true);

    const shred = await api("globex", "POST", "/api/v1/privacy/keys/shred", { key_ids: [firstKey] });
    expect(shred.body.shredded_key_ids).toEqual([firstKey]);
    const after = await api("globex", "POST", "/api/v1/privacy/reveal", { values: [sealedEmail, secondEmail] });
    expect(after.body.values).toEqual(["", planted.email]);
    expect((after.body.errors as string[])[0]).toMatch(/shredded or unknown/);
    // Not even the wrapped key remains in the table.
    const { rows } = await warehouse.embedded.store.query<{ n: string }>({
      name: "test.keys",
      sql: `SELECT count() AS n FROM ${warehouse.database}.privacy_data_keys WHERE key_id = {id:String} SETTINGS apply_deleted_mask = 0`,
      params: { id: firstKey },
      organizationId: "globex",
    });
    expect(Number(rows[0]?.n)).toBe(0);
  });

  it("refuses bad settings and callers without privacy:manage", async () => {
    expect((await api("acme", "PUT", "/api/v1/privacy/pii", { mode: "maybe" })).status).toBe(400);
    const bad = await api("acme", "PUT", "/api/v1/privacy/pii", { drop_params: ["ok", "no spaces"] });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain("drop_params[1]");
    expect((await api("acme", "POST", "/api/v1/privacy/keys/shred", { key_ids: ["nope"] })).status).toBe(400);
    const reader = await warehouse.createKey("acme", ["analytics:read", "events:write"]);
    expect((await api("acme", "GET", "/api/v1/privacy/pii", undefined, reader)).status).toBe(403);
  });
});
