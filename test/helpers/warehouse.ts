import { rmSync } from "node:fs";
import { type Embedded, loadEmbeddedConfig, startEmbedded } from "@trellis/cli";
import { createLogger, type Logger } from "@trellis/platform";
import { createAccounts, createWardenRepository } from "@trellis/warden";
import { type EventSpec, eventRow } from "./events.js";
import { tempDir, testDatabase } from "./names.js";

export interface TestWarehouse {
  url: string;
  embedded: Embedded;
  database: string;
  /** The engine's data directory: another store of this process must open the same one. */
  dataDir: string;
  /** API key (all scopes) by organization id. */
  keys: Record<string, string>;
  createKey(organizationId: string, scopes: string[]): Promise<string>;
  insertEvents(specs: EventSpec[]): Promise<void>;
  close(): Promise<void>;
}

/** The embedded product on a free port, a fresh data directory and a unique test database. */
export async function startTestWarehouse(options: {
  organizations: string[];
  env?: Record<string, string>;
  /** Where the product logs; silent (or TRELLIS_LOG_LEVEL of `env`) when absent. */
  logger?: Logger;
}): Promise<TestWarehouse> {
  const dataDir = tempDir("warehouse");
  const database = testDatabase("wh");
  const config = loadEmbeddedConfig({
    TRELLIS_DATA_DIR: dataDir,
    TRELLIS_PORT: "0",
    TRELLIS_CLICKHOUSE_DATABASE: database,
    TRELLIS_DEMO: "false",
    TRELLIS_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    ...options.env,
  });
  const logger =
    options.logger ??
    createLogger({
      service: "test",
      level: options.env?.TRELLIS_LOG_LEVEL ?? process.env.TEST_LOG_LEVEL ?? "silent",
    });
  const embedded = await startEmbedded(config, logger);
  const accounts = createAccounts({ repository: createWardenRepository(embedded.store) });
  const keys: Record<string, string> = {};
  for (const id of options.organizations) {
    await accounts.createOrganization({ id, name: `Organization ${id}` });
    keys[id] = (await accounts.createApiKey({ organizationId: id, name: "test", scopes: [] })).credential;
  }
  let counter = 0;
  return {
    url: embedded.url,
    embedded,
    database,
    dataDir,
    keys,
    async createKey(organizationId, scopes) {
      return (await accounts.createApiKey({ organizationId, name: "scoped", scopes })).credential;
    },
    async insertEvents(specs) {
      const rows = specs.map((spec) => eventRow(spec, counter++));
      await embedded.store.insert("analytics_events", rows, { organizationId: null });
    },
    async close() {
      await embedded.close(1_000);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
