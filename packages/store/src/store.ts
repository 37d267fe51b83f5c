import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type ClickHouseClient, createClient } from "@clickhouse/client";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { type Dependency, inSpan, type Logger, ORG_ATTRIBUTE } from "@trellis/platform";
import { createChdbConnection } from "chdb/connection";
import type { StoreConfig } from "./config.js";
import { openInsertSpool } from "./insert-spool.js";
import { bootstrapStatements, checksum, type DdlTarget, migrations } from "./migrations/index.js";
import { toDateTime64 } from "./time.js";

export interface Statement {
  /** Short name of what the statement does, for spans and logs ("traffic", "warden.key"). */
  name: string;
  /** SQL with {name:Type} placeholders; every value goes in `params`, never in the text. */
  sql: string;
  params?: Record<string, unknown>;
  /** The organization the statement is scoped to; null only for statements over no tenant data. */
  organizationId: string | null;
  signal?: AbortSignal;
}

export interface QueryResult<T> {
  rows: T[];
  elapsedMs: number;
}

export interface TableResult {
  columns: Array<{ name: string; type: string }>;
  rows: Record<string, unknown>[];
  rowsRead: number;
  bytesRead: number;
  elapsedMs: number;
}

export interface Store extends Dependency {
  readonly backend: "chdb" | "server";
  readonly database: string;
  readonly target: DdlTarget;
  query<T>(statement: Statement): Promise<QueryResult<T>>;
  /** Rows of a large result in chunks, as the engine produces them. */
  stream<T>(statement: Statement, chunkRows: number): AsyncIterable<T[]>;
  /** A query whose column names and types matter (arbitrary SQL), with read statistics. */
  queryTable(statement: Statement): Promise<TableResult>;
  /** DDL or a statement with no result. */
  command(statement: Statement): Promise<void>;
  insert(
    table: string,
    rows: readonly object[],
    options: { organizationId: string | null; dedupToken?: string },
  ): Promise<void>;
  /** Rows already encoded as JSONEachRow lines (no newlines inside), written in one insert. */
  insertJsonLines(table: string, lines: readonly string[], options: { organizationId: string | null }): Promise<void>;
  /** Applies pending migrations; returns the versions it applied. */
  migrate(): Promise<number[]>;
}

export interface StoreOptions {
  logger: Logger;
}

type ClickHouseConnection = NonNullable<Parameters<typeof createClient>[0]>["connection"];

/** One process may open the embedded engine once; later stores in the process share it. */
let embeddedClient: { dataDir: string; client: ClickHouseClient; users: number } | undefined;

function openClient(config: StoreConfig): { client: ClickHouseClient; release(): Promise<void> } {
  if (config.url) {
    const client = createClient({
      url: config.url,
      username: config.username,
      password: config.password,
      request_timeout: config.requestTimeoutMs,
      max_open_connections: config.maxOpenConnections,
      compression: { response: true },
      clickhouse_settings: { date_time_output_format: "iso", output_format_json_quote_64bit_integers: 1 },
    });
    return { client, release: () => client.close() };
  }
  const dataDir = resolve(config.dataDir, "clickhouse");
  if (embeddedClient && embeddedClient.dataDir !== dataDir) {
    throw new Error(
      `the embedded engine is already open at ${embeddedClient.dataDir}; one process holds one data directory (asked for ${dataDir})`,
    );
  }
  if (!embeddedClient) {
    mkdirSync(dataDir, { recursive: true });
    const client = createClient({
      // chdb types its connection against @clickhouse/client-common, which the client bundles
      // a copy of; the two declarations are the same interface.
      connection: createChdbConnection({ path: dataDir }) as unknown as ClickHouseConnection,
      request_timeout: config.requestTimeoutMs,
    });
    embeddedClient = { dataDir, client, users: 0 };
  }
  const shared = embeddedClient;
  shared.users++;
  return {
    client: shared.client,
    async release() {
      shared.users--;
      if (shared.users === 0) {
        embeddedClient = undefined;
        await shared.client.close();
      }
    },
  };
}

/** The only place that talks to ClickHouse: embedded chDB by default, a server when a URL is set. */
export function createStore(config: StoreConfig, options: StoreOptions): Store {
  const { client, release } = openClient(config);
  const target: DdlTarget = { database: config.database, cluster: config.cluster };
  const backend = config.url ? "server" : "chdb";
  const spool = backend === "chdb" ? openInsertSpool(resolve(config.dataDir, "insert-spool")) : undefined;

  async function traced<T>(statement: Statement, operation: string, run: () => Promise<T>): Promise<T> {
    return inSpan(
      `clickhouse.${operation} ${statement.name}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          "db.system.name": "clickhouse",
          "db.namespace": config.database,
          "db.operation.name": operation,
          "db.query.summary": statement.name,
          "db.query.text": statement.sql,
          ...(statement.organizationId ? { [ORG_ATTRIBUTE]: statement.organizationId } : {}),
        },
      },
      async (span) => {
        try {
          return await run();
        } catch (error) {
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }

  const store: Store = {
    id: "clickhouse",
    backend,
    database: config.database,
    target,

    async query<T>(statement: Statement): Promise<QueryResult<T>> {
      return traced(statement, "query", async () => {
        const started = performance.now();
        const resultSet = await client.query({
          query: statement.sql,
          query_params: statement.params,
          format: "JSONEachRow",
          abort_signal: statement.signal,
        });
        const rows = await resultSet.json<T>();
        return { rows, elapsedMs: performance.now() - started };
      });
    },

    async *stream<T>(statement: Statement, chunkRows: number): AsyncIterable<T[]> {
      const resultSet = await traced(statement, "query", () =>
        client.query({
          query: statement.sql,
          query_params: statement.params,
          format: "JSONEachRow",
          abort_signal: statement.signal,
        }),
      );
      let chunk: T[] = [];
      for await (const rows of resultSet.stream()) {
        for (const row of rows) {
          chunk.push(row.json<T>());
          if (chunk.length >= chunkRows) {
            yield chunk;
            chunk = [];
          }
        }
      }
      if (chunk.length > 0) yield chunk;
    },

    async queryTable(statement: Statement): Promise<TableResult> {
      return traced(statement, "query", async () => {
        const started = performance.now();
        const resultSet = await client.query({
          query: statement.sql,
          query_params: statement.params,
          format: "JSON",
          abort_signal: statement.signal,
        });
        const result = await resultSet.json<Record<string, unknown>>();
        return {
          columns: result.meta ?? [],
          rows: result.data,
          rowsRead: Number(result.statistics?.rows_read ?? 0),
          bytesRead: Number(result.statistics?.bytes_read ?? 0),
          elapsedMs: performance.now() - started,
        };
      });
    },

    async command(statement: Statement): Promise<void> {
      await traced(statement, "command", async () => {
        await client.command({ query: statement.sql, query_params: statement.params, abort_signal: statement.signal });
      });
    },

    async insert(table, rows, insertOptions) {
      if (rows.length === 0) return;
      await traced(
        {
          name: `insert ${table}`,
          sql: `INSERT INTO ${config.database}.${table}`,
          organizationId: insertOptions.organizationId,
        },
        "insert",
        async () => {
          await client.insert({
            table: `${config.database}.${table}`,
            values: rows as object[],
            format: "JSONEachRow",
            ...(insertOptions.dedupToken
              ? { clickhouse_settings: { insert_deduplication_token: insertOptions.dedupToken } }
              : {}),
          });
        },
      );
    },

    async insertJsonLines(table, lines, insertOptions) {
      if (lines.length === 0) return;
      const sql = `INSERT INTO ${config.database}.${table} FORMAT JSONEachRow`;
      await traced(
        { name: `insert ${table}`, sql, organizationId: insertOptions.organizationId },
        "insert",
        async () => {
          if (spool) {
            await spool.insert(`INSERT INTO ${config.database}.${table}`, lines, (query) => client.command({ query }));
            return;
          }
          const result = await client.exec({ query: sql, values: Readable.from([lines.join("\n")]) });
          // The (empty) answer must be read to the end for the connection to be reused.
          await pipeline(result.stream, new Writable({ write: (_chunk, _encoding, done) => done() }));
        },
      );
    },

    async migrate(): Promise<number[]> {
      for (const sql of bootstrapStatements(target)) {
        await store.command({ name: "migrate.bootstrap", sql, organizationId: null });
      }
      const { rows } = await store.query<{ version: number; checksum: string }>({
        name: "migrate.applied",
        sql: `SELECT version, argMax(checksum, applied_at) AS checksum FROM ${config.database}.schema_migrations GROUP BY version`,
        organizationId: null,
      });
      const applied = new Map(rows.map((r) => [Number(r.version), r.checksum]));
      const done: number[] = [];
      for (const migration of migrations) {
        const sum = checksum(migration, target);
        const previous = applied.get(migration.version);
        if (previous !== undefined) {
          if (previous !== sum) {
            options.logger.warn(
              { version: migration.version, applied: previous, current: sum },
              "an applied migration has changed since it ran; add a new migration instead of editing one",
            );
          }
          continue;
        }
        options.logger.info({ version: migration.version, migration: migration.name }, "applying migration");
        for (const sql of migration.statements(target)) {
          await store.command({ name: `migrate.${migration.version}`, sql, organizationId: null });
        }
        await store.insert(
          "schema_migrations",
          [{ version: migration.version, name: migration.name, checksum: sum, applied_at: toDateTime64(Date.now()) }],
          { organizationId: null },
        );
        done.push(migration.version);
      }
      return done;
    },

    async healthcheck() {
      const result = await client.ping();
      if (!result.success) throw new Error("ClickHouse did not answer a ping", { cause: result.error });
    },

    async close() {
      await release();
    },
  };
  return store;
}
