import { rmSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { hashCredential } from "../../../../services/warden/src/domain/api-key.js";
import { tempDir, testDatabase } from "../../../../test/helpers/names.js";
import { exitCode, runNode } from "../../../../test/helpers/processes.js";

const dataDir = tempDir("cli-keys");
const env = { TRELLIS_DATA_DIR: dataDir, TRELLIS_CLICKHOUSE_DATABASE: testDatabase("cli") };

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Runs `trellis <args>` against the test's data directory; its exit code, stdout and stderr together. */
async function trellis(...args: string[]): Promise<{ code: number | null; output: string }> {
  const { child, output } = runNode(["apps/trellis/src/main.ts", ...args], env);
  const code = await exitCode(child);
  return { code, output: output() };
}

describe("trellis keys", () => {
  it("never prints the hash of a key's secret, when listing or revoking it", async () => {
    expect((await trellis("orgs", "create", "--id", "acme", "--name", "Acme")).code).toBe(0);
    const created = await trellis("keys", "create", "--org", "acme", "--name", "ci");
    expect(created.code, created.output).toBe(0);
    const { id, api_key: credential } = JSON.parse(created.output.slice(0, created.output.lastIndexOf("}") + 1)) as {
      id: string;
      api_key: string;
    };
    const hash = hashCredential(credential);
    expect(hash.length).toBeGreaterThan(16);

    const revoked = await trellis("keys", "revoke", id);
    expect(revoked.code, revoked.output).toBe(0);
    const shown = JSON.parse(revoked.output) as Record<string, unknown>;
    expect(shown).toMatchObject({ id, organizationId: "acme", name: "ci" });
    expect(shown.revokedAt).toBeTruthy();
    expect(Object.keys(shown)).not.toContain("secretHash");
    expect(revoked.output).not.toContain(hash);

    // Revoking again answers the same way (the key is already revoked).
    const again = await trellis("keys", "revoke", id);
    expect(again.code, again.output).toBe(0);
    expect(again.output).not.toContain(hash);
    expect(Object.keys(JSON.parse(again.output) as object)).not.toContain("secretHash");

    const listed = await trellis("keys", "list", "--org", "acme");
    expect(listed.code, listed.output).toBe(0);
    expect(listed.output).toContain(id);
    expect(listed.output).not.toContain(hash);
  });

  it("create a publishable key bound to origins, and say what is missing when it is not", async () => {
    expect((await trellis("orgs", "create", "--id", "shop", "--name", "Shop")).code).toBe(0);
    const created = await trellis(
      "keys",
      "create",
      "--org",
      "shop",
      "--publishable",
      "--origin",
      "https://Shop.Example",
      "--origin",
      "http://localhost:3000",
    );
    expect(created.code, created.output).toBe(0);
    expect(JSON.parse(created.output.slice(0, created.output.lastIndexOf("}") + 1))).toMatchObject({
      kind: "publishable",
      scopes: ["events:write"],
      allowed_origins: ["https://shop.example", "http://localhost:3000"],
      api_key: expect.stringMatching(/^trkp_/),
    });
    const listed = await trellis("keys", "list", "--org", "shop");
    expect(JSON.parse(listed.output)).toEqual([
      expect.objectContaining({
        kind: "publishable",
        allowedOrigins: ["https://shop.example", "http://localhost:3000"],
      }),
    ]);

    const withoutOrigin = await trellis("keys", "create", "--org", "shop", "--publishable");
    expect(withoutOrigin.code).toBe(2);
    expect(withoutOrigin.output).toContain("needs at least one --origin");
    const withPath = await trellis(
      "keys",
      "create",
      "--org",
      "shop",
      "--publishable",
      "--origin",
      "https://a.example/x",
    );
    expect(withPath.code).not.toBe(0);
    expect(withPath.output).toContain("only scheme, host and port");
    const wider = await trellis(
      "keys",
      "create",
      "--org",
      "shop",
      "--publishable",
      "--origin",
      "https://a.example",
      "--scope",
      "analytics:read",
    );
    expect(wider.code).not.toBe(0);
    expect(wider.output).toContain("can only have events:write");
  });
});
