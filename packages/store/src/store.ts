import { resolve } from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { DataFormat } from "@clickhouse/client";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { type Dependency, inSpan, type Logger, ORG_ATTRIBUTE } from "@trellis/platform";
import { openClients } from "./client.js";
import type { StoreConfig } from "./config.js";
import { typedStatementError } from "./errors.js";
import { type OrganizationDay, openInsertSpool, PARALLEL_VIEWS, type SpoolBody } from "./insert-spool.js";
import { applyMigrations, pendingMigrations } from "./migrate.js";
import { type DdlTarget, sandboxDatabaseOf } from "./migrations/index.js";
import { rebuildInterruptedRollups } from "./rollup-recovery.js";

export interface Statement {
  /** Short name of what the statement does, for spans and logs ("traffic", "warden.key"). */
  name: string;
  /** SQL with {name:Type} placeholders; every value goes in `params`, never in the text. */
  sql: string;
  params?: Record<string, unknown>;
  /** The organization the statement is scoped to; null only for statements over no tenant data. */
  organizationId: string | null;
  signal?: AbortSignal;
  /**
   * Tenant SQL: runs with the sandbox database (which holds nothing) as its current
   * database, so that an unqualified name resolves to nothing of the product's.
   */
  sandbox?: boolean;
  /** The answer fails with TOO_MANY_ROWS_OR_BYTES once it passes this many bytes. */
  maxResultBytes?: number;
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
  /** The current database of tenant SQL: empty, so unqualified names resolve to nothing. */
  readonly sandboxDatabase: string;
  readonly target: DdlTarget;
  query<T>(statement: Statement): Promise<QueryResult<T>>;
  /** Rows of a large result in chunks, as the engine produces them. */
  stream<T>(statement: Statement, chunkRows: number): AsyncIterable<T[]>;
  /** A query whose column names and types matter (arbitrary SQL), with read statistics. */
  queryTable(statement: Statement): Promise<TableResult>;
  /** A statement's whole answer as text in the given output format (e.g. TSVRaw). */
  queryText(statement: Statement, format: DataFormat): Promise<string>;
  /** DDL or a statement with no result. */
  command(statement: Statement): Promise<void>;
  /** Rows as objects, one JSONEachRow insert; `dedupToken` sets insert_deduplication_token. */
  insert(
    table: string,
    rows: readonly object[],
    options: { organizationId: string | null; dedupToken?: string },
  ): Promise<void>;
  /** Rows already encoded as JSONEachRow lines (no newlines inside), written in one insert. */
  insertJsonLines(table: string, lines: readonly string[], options: { organizationId: string | null }): Promise<void>;
  /**
   * Rows already encoded as ClickHouse Native blocks (see native.ts), written in one insert:
   * embedded, a spool file read by `INSERT … FROM INFILE … FORMAT Native`; on a server, the
   * bytes as the body of `INSERT … FORMAT Native`.
   */
  insertNative(
    table: string,
    blocks: readonly Uint8Array[],
    options: {
      organizationId: string | null;
      /**
       * The organization-days the rows fall on. Embedded, the engine runs in this process: if
       * the process dies during the insert, the events table may hold the rows and the rollups
       * not, and the next `migrate()` makes those days' rollups again from the events. (A
       * server runs the statement itself: the writer's death cannot split it.)
       */
      touches?: readonly OrganizationDay[];
    },
  ): Promise<void>;
  /**
   * Applies pending migrations; returns the versions it applied. Embedded, it then makes again
   * the rollups of the days of inserts a killed process did not finish (see `insertNative`).
   */
  migrate(): Promise<number[]>;
  /** The versions of this build's migrations not applied yet. */
  pendingMigrations(): Promise<number[]>;
}

export interface StoreOptions {
  logger: Logger;
}

/**
 * The only place that talks to ClickHouse: embedded chDB by default, a server when a URL is set.
 * The embedded engine is opened once per process: stores created later in the same process
 * share its engine client (and the first store's request time-out), each with the sandbox of
 * its own database, until the last one is closed, and asking for another data directory throws. Embedded inserts of
 * JSON lines go through a spool directory, `<dataDir>/insert-spool`. Nothing is migrated here:
 * call `migrate()`.
 */
export function createStore(config: StoreConfig, options: StoreOptions): Store {
  const { client, sandbox, release } = openClients(config);
  const backend = config.url ? "server" : "chdb";
  const target: DdlTarget = { database: config.database, cluster: config.cluster, server: backend === "server" };
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
          throw typedStatementError(error);
        } finally {
          span.end();
        }
      },
    );
  }

  /** The client and per-statement settings a statement runs with. */
  function route(statement: Statement) {
    return {
      on: statement.sandbox ? sandbox : client,
      settings: statement.maxResultBytes
        ? { max_result_bytes: String(statement.maxResultBytes), result_overflow_mode: "throw" as const }
        : undefined,
    };
  }

  /** One insert of an encoded body: through the spool when embedded, as the request body on a server. */
  async function insertBody(
    table: string,
    body: SpoolBody,
    organizationId: string | null,
    touches?: readonly OrganizationDay[],
  ): Promise<void> {
    const sql = `INSERT INTO ${config.database}.${table} FORMAT ${body.format}`;
    await traced({ name: `insert ${table}`, sql, organizationId }, "insert", async () => {
      if (spool) {
        await spool.insert(
          `INSERT INTO ${config.database}.${table}`,
          body,
          (query) => client.command({ query }),
          touches,
        );
        return;
      }
      const values = body.format === "Native" ? Readable.from(body.blocks) : Readable.from([body.lines.join("\n")]);
      const result = await client.exec({ query: sql, values, clickhouse_settings: PARALLEL_VIEWS });
      // The (empty) answer must be read to the end for the connection to be reused.
      await pipeline(result.stream, new Writable({ write: (_chunk, _encoding, done) => done() }));
    });
  }

  const store: Store = {
    id: "clickhouse",
    backend,
    database: config.database,
    sandboxDatabase: sandboxDatabaseOf(config.database),
    target,

    async query<T>(statement: Statement): Promise<QueryResult<T>> {
      return traced(statement, "query", async () => {
        const started = performance.now();
        const { on, settings } = route(statement);
        const resultSet = await on.query({
          query: statement.sql,
          query_params: statement.params,
          format: "JSONEachRow",
          abort_signal: statement.signal,
          clickhouse_settings: settings,
        });
        const rows = await resultSet.json<T>();
        return { rows, elapsedMs: performance.now() - started };
      });
    },

    async *stream<T>(statement: Statement, chunkRows: number): AsyncIterable<T[]> {
      const { on, settings } = route(statement);
      const resultSet = await traced(statement, "query", () =>
        on.query({
          query: statement.sql,
          query_params: statement.params,
          format: "JSONEachRow",
          abort_signal: statement.signal,
          clickhouse_settings: settings,
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
        const { on, settings } = route(statement);
        const resultSet = await on.query({
          query: statement.sql,
          query_params: statement.params,
          format: "JSON",
          abort_signal: statement.signal,
          clickhouse_settings: settings,
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

    async queryText(statement: Statement, format: DataFormat): Promise<string> {
      return traced(statement, "query", async () => {
        const { on, settings } = route(statement);
        const result = await on.exec({
          query: statement.sql,
          query_params: statement.params,
          abort_signal: statement.signal,
          clickhouse_settings: { ...settings, default_format: format },
        });
        let text = "";
        for await (const chunk of result.stream) text += typeof chunk === "string" ? chunk : chunk.toString("utf8");
        return text;
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

    insertJsonLines: (table, lines, insertOptions) =>
      lines.length === 0
        ? Promise.resolve()
        : insertBody(table, { format: "JSONEachRow", lines }, insertOptions.organizationId),

    insertNative: (table, blocks, insertOptions) =>
      blocks.length === 0
        ? Promise.resolve()
        : insertBody(table, { format: "Native", blocks }, insertOptions.organizationId, insertOptions.touches),

    async migrate() {
      const applied = await applyMigrations(store, target, options.logger);
      if (spool) await rebuildInterruptedRollups(store, spool.interrupted(), options.logger);
      return applied;
    },
    pendingMigrations: () => pendingMigrations(store, target),

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
