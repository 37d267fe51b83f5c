import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from "@clickhouse/client";
import { createStatementConnection } from "./chdb-statement-connection.js";
import type { StoreConfig } from "./config.js";
import { sandboxDatabaseOf } from "./migrations/index.js";
import { writeColdTierConfig } from "./tiering.js";

type ClickHouseConnection = NonNullable<Parameters<typeof createClient>[0]>["connection"];

/** The clients a store talks through. */
export interface Clients {
  /** Every statement of the product's own. */
  client: ClickHouseClient;
  /** Tenant SQL, with the sandbox database as its current database. */
  sandbox: ClickHouseClient;
  release(): Promise<void>;
}

/**
 * One process may open the embedded engine once; later stores in the process share it, each
 * with the sandbox client of its own database.
 */
let embeddedEngine:
  | { dataDir: string; client: ClickHouseClient; sandboxes: Map<string, ClickHouseClient>; users: number }
  | undefined;

/**
 * The clients of a store: a ClickHouse server over HTTP when a URL is set, else the embedded
 * engine, opened once per process (see `embeddedEngine`).
 */
export function openClients(config: StoreConfig): Clients {
  const sandboxDatabase = sandboxDatabaseOf(config.database);
  if (config.url) {
    const serverClient = (database?: string) =>
      createClient({
        url: config.url,
        username: config.username,
        password: config.password,
        ...(database ? { database } : {}),
        request_timeout: config.requestTimeoutMs,
        max_open_connections: config.maxOpenConnections,
        compression: { response: true },
        clickhouse_settings: { date_time_output_format: "iso", output_format_json_quote_64bit_integers: 1 },
      });
    const client = serverClient();
    const sandbox = serverClient(sandboxDatabase);
    return { client, sandbox, release: async () => void (await Promise.all([client.close(), sandbox.close()])) };
  }
  const dataDir = resolve(config.dataDir, "clickhouse");
  if (embeddedEngine && embeddedEngine.dataDir !== dataDir) {
    throw new Error(
      `the embedded engine is already open at ${embeddedEngine.dataDir}; one process holds one data directory (asked for ${dataDir})`,
    );
  }
  const engineArgs = config.coldPath
    ? [`--config-file=${writeColdTierConfig(config.dataDir, config.coldPath)}`]
    : undefined;
  // chdb types its connection against @clickhouse/client-common, which the client bundles a
  // copy of; the two declarations are the same interface.
  const embedded = (database?: string) =>
    createClient({
      connection: createStatementConnection({
        path: dataDir,
        database,
        requestTimeoutMs: config.requestTimeoutMs,
        engineArgs,
      }) as unknown as ClickHouseConnection,
      request_timeout: config.requestTimeoutMs,
      // A failed statement reaches its caller (and its span) as an error; the client's own
      // log line for it would only repeat it without the organization.
      log: { level: ClickHouseLogLevel.OFF },
    });
  if (!embeddedEngine) {
    mkdirSync(dataDir, { recursive: true });
    embeddedEngine = { dataDir, client: embedded(), sandboxes: new Map(), users: 0 };
  }
  const shared = embeddedEngine;
  let sandbox = shared.sandboxes.get(sandboxDatabase);
  if (!sandbox) {
    sandbox = embedded(sandboxDatabase);
    shared.sandboxes.set(sandboxDatabase, sandbox);
  }
  shared.users++;
  return {
    client: shared.client,
    sandbox,
    async release() {
      shared.users--;
      if (shared.users === 0) {
        embeddedEngine = undefined;
        await Promise.all([...shared.sandboxes.values()].map((c) => c.close()));
        await shared.client.close();
      }
    },
  };
}
