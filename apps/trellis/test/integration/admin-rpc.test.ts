import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exitCode, runNode } from "../../../../test/helpers/processes.js";
import { startTestWarehouse, type TestWarehouse } from "../../../../test/helpers/warehouse.js";

const ADMIN_TOKEN = "admin-token-of-this-test-0123456789abcdef";
let warehouse: TestWarehouse;

beforeAll(async () => {
  warehouse = await startTestWarehouse({ organizations: ["other"], env: { TRELLIS_WARDEN_ADMIN_TOKEN: ADMIN_TOKEN } });
});
afterAll(() => warehouse?.close());

/** `trellis <args>` against the running product; no data directory of its own. */
async function trellis(env: Record<string, string>, ...args: string[]) {
  const { child, output } = runNode(["apps/trellis/src/main.ts", ...args], env);
  const code = await exitCode(child);
  return { code, output: output() };
}

const asAdmin = () => ({ TRELLIS_URL: warehouse.url, TRELLIS_WARDEN_ADMIN_TOKEN: ADMIN_TOKEN });

/** The JSON the command printed (a line on stderr may follow it). */
function json<T>(output: string): T {
  const text = output.trimStart();
  return JSON.parse(text.slice(0, text.lastIndexOf(text.startsWith("[") ? "]" : "}") + 1)) as T;
}

/** One admin RPC over the Connect protocol, as curl would send it. */
function adminCall(method: string, body: object, token?: string) {
  return fetch(`${warehouse.url}/warden.v1.WardenService/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

describe("trellis orgs and keys against a running product", () => {
  it("create an organization and a key that authenticates, while the product runs", async () => {
    const created = await trellis(asAdmin(), "orgs", "create", "--id", "acme", "--name", "Acme");
    expect(created.code, created.output).toBe(0);
    expect(json(created.output)).toMatchObject({ id: "acme", name: "Acme", retentionDays: 2555 });

    const listed = await trellis(asAdmin(), "orgs", "list");
    expect(listed.code, listed.output).toBe(0);
    expect(json<{ id: string }[]>(listed.output).map((o) => o.id)).toEqual(["acme", "other"]);

    const key = await trellis(
      asAdmin(),
      "keys",
      "create",
      "--org",
      "acme",
      "--name",
      "ci",
      "--scope",
      "analytics:read",
    );
    expect(key.code, key.output).toBe(0);
    const { id, api_key: credential, scopes } = json<{ id: string; api_key: string; scopes: string[] }>(key.output);
    expect(scopes).toEqual(["analytics:read"]);

    const traffic = `${warehouse.url}/api/v1/analytics/traffic?start_date=2026-01-01&end_date=2026-01-31`;
    expect((await fetch(traffic, { headers: { authorization: `Bearer ${credential}` } })).status).toBe(200);

    const keys = await trellis(asAdmin(), "keys", "list", "--org", "acme");
    expect(keys.code, keys.output).toBe(0);
    expect(json<{ id: string; name: string }[]>(keys.output)).toEqual([
      expect.objectContaining({ id, name: "ci", organizationId: "acme", revokedAt: null }),
    ]);
    expect(keys.output).not.toContain(credential);

    const revoked = await trellis(asAdmin(), "keys", "revoke", id);
    expect(revoked.code, revoked.output).toBe(0);
    expect(json<{ revokedAt: string | null }>(revoked.output).revokedAt).toBeTruthy();
  });

  it("refuse a wrong admin token, and name the token it needs", async () => {
    const wrong = await trellis({ ...asAdmin(), TRELLIS_WARDEN_ADMIN_TOKEN: `${ADMIN_TOKEN}x` }, "orgs", "list");
    expect(wrong.code).toBe(1);
    expect(wrong.output).toContain("refused the admin token");

    const missing = await trellis({ TRELLIS_URL: warehouse.url }, "orgs", "list");
    expect(missing.code).toBe(2);
    expect(missing.output).toContain("needs TRELLIS_WARDEN_ADMIN_TOKEN");
  });

  it("answer 401 to an admin RPC without the token or with another one", async () => {
    expect((await adminCall("CreateOrganization", { id: "evil", name: "Evil" })).status).toBe(401);
    expect((await adminCall("CreateOrganization", { id: "evil", name: "Evil" }, "x".repeat(41))).status).toBe(401);
    // An API key of an organization is no admin token.
    expect((await adminCall("ListOrganizations", {}, warehouse.keys.other)).status).toBe(401);
    const right = await adminCall("ListOrganizations", {}, ADMIN_TOKEN);
    expect(right.status).toBe(200);
    expect(((await right.json()) as { organizations: { id: string }[] }).organizations.map((o) => o.id)).not.toContain(
      "evil",
    );
  });

  it("keep the credential check internal, and the public API as it was", async () => {
    const authenticate = await adminCall("Authenticate", { credential: warehouse.keys.other }, ADMIN_TOKEN);
    expect(authenticate.status).not.toBe(200);
    const traffic = `${warehouse.url}/api/v1/analytics/traffic?start_date=2026-01-01&end_date=2026-01-31`;
    expect((await fetch(traffic, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(401);
    expect((await fetch(traffic, { headers: { authorization: `Bearer ${warehouse.keys.other}` } })).status).toBe(200);
  });
});
