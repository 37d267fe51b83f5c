import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exitCode, runNode } from "../../../../test/helpers/processes.js";
import { startTestWarehouse, type TestWarehouse } from "../../../../test/helpers/warehouse.js";

let warehouse: TestWarehouse;

beforeAll(async () => {
  warehouse = await startTestWarehouse({ organizations: ["acme"] });
});
afterAll(() => warehouse?.close());

describe("a product started without TRELLIS_WARDEN_ADMIN_TOKEN", () => {
  it("does not serve the admin RPCs, whatever the token", async () => {
    for (const token of ["admin-token-of-this-test-0123456789abcdef", warehouse.keys.acme ?? ""]) {
      const answer = await fetch(`${warehouse.url}/warden.v1.WardenService/CreateOrganization`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ id: "evil", name: "Evil" }),
      });
      expect(answer.status).toBe(404);
    }
  });

  it("tells the CLI so", async () => {
    const { child, output } = runNode(["apps/trellis/src/main.ts", "orgs", "list"], {
      TRELLIS_URL: warehouse.url,
      TRELLIS_WARDEN_ADMIN_TOKEN: "admin-token-of-this-test-0123456789abcdef",
    });
    expect(await exitCode(child)).toBe(1);
    expect(output()).toContain("does not serve the admin RPCs: start it with TRELLIS_WARDEN_ADMIN_TOKEN set");
  });
});
