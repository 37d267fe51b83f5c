import { rmSync } from "node:fs";
import { Writable } from "node:stream";
import { createLogger } from "@trellis/platform";
import { createAccounts, createWardenRepository } from "@trellis/warden";
import { afterAll, describe, expect, it } from "vitest";
import { repeatedKeys } from "../../../../test/helpers/log-lines.js";
import { tempDir, testDatabase } from "../../../../test/helpers/names.js";
import { loadEmbeddedConfig, startEmbedded } from "../../src/index.js";

const dataDir = tempDir("cli-logs");
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe("the all-in-one process's log lines", () => {
  it("name the process as the service and each service inside as a component, never a key twice", async () => {
    const written: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        written.push(String(chunk));
        done();
      },
    });
    const config = loadEmbeddedConfig({
      TRELLIS_DATA_DIR: dataDir,
      TRELLIS_PORT: "0",
      TRELLIS_CLICKHOUSE_DATABASE: testDatabase("logs"),
      TRELLIS_DEMO: "false",
    });
    const logger = createLogger({ service: "trellis", level: "debug", format: "json", destination });
    const embedded = await startEmbedded(config, logger);
    try {
      const accounts = createAccounts({ repository: createWardenRepository(embedded.store) });
      await accounts.createOrganization({ id: "acme", name: "Acme" });
      const { credential } = await accounts.createApiKey({ organizationId: "acme", name: "logs", scopes: [] });
      const answer = await fetch(`${embedded.url}/api/v1/analytics/traffic?start_date=2026-01-01&end_date=2026-01-31`, {
        headers: { authorization: `Bearer ${credential}` },
      });
      expect(answer.status).toBe(200);
    } finally {
      await embedded.close(1_000);
    }

    const lines = written.join("").split("\n").filter(Boolean);
    const components = new Set<unknown>();
    for (const line of lines) {
      expect(repeatedKeys(line), line).toEqual([]);
      const fields = JSON.parse(line) as Record<string, unknown>;
      expect(fields.service, line).toBe("trellis");
      components.add(fields.component);
    }
    // The in-process calls were logged by the services they reached.
    expect(components).toContain("warden");
    expect(components).toContain("query");
  });
});
