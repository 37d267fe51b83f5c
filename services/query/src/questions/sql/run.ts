import { create, type JsonObject } from "@bufbuild/protobuf";
import {
  AnswerSource,
  ReportColumnSchema,
  ResultMetaSchema,
  type RunSqlRequest,
  type RunSqlResponse,
  RunSqlResponseSchema,
} from "@trellis/contracts";
import { clip, ValidationError } from "@trellis/platform";
import {
  ResultTooLargeError,
  StatementArgumentError,
  StatementMemoryError,
  StatementTimeoutError,
  type Store,
} from "@trellis/store";
import type { RunContext } from "../../handlers/run-context.js";
import { parseExplainAst } from "./ast.js";
import { checkStatement, checkText, commonTableExpressions, liftFinal, tenantTables } from "./policy.js";

export const sqlLimits = {
  maxSqlLength: 64 * 1024,
  defaultRows: 1000,
  maxRows: 100_000,
  maxParameters: 64,
  maxParameterLength: 64 * 1024,
  executionSeconds: 10,
  maxRowsToRead: 2_000_000_000,
  /** Per statement; the process's resident size grows by about twice this at worst. */
  maxMemoryBytes: 1024 * 1024 * 1024,
  /** The answer's size as the engine writes it (JSON); past it the statement is refused. */
  maxResultBytes: 32 * 1024 * 1024,
  /** range() builds one array per row; a huge one is a single block that no deadline stops. */
  maxRangeElements: 10_000_000,
  /**
   * Statements running at once. Each holds one of the engine's call threads (libuv's pool,
   * 4 by default) for up to `executionSeconds`: together they leave one for every other
   * question, ingest and authentication, and one organization cannot take them all.
   */
  admission: { perOrganization: 2, total: 3, maxWaiting: 16 },
};

const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

function quoteForSetting(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/'/g, "\\'");
}

/**
 * The engine's message as a tenant may read it: its first line, without the names of the
 * product's databases and without the engine's "Maybe you meant …" hints (which name tables
 * the tenant cannot read), bounded in length.
 */
export function tenantMessage(error: unknown, databases: readonly string[]): string {
  let message = ((error as Error)?.message ?? String(error)).split("\n")[0] ?? "";
  message = message.replace(/\s*Maybe you meant[^?]*\?/g, "");
  for (const database of databases) {
    message = message.replace(new RegExp(`\`?\\b${database}\\b\`?\\.`, "g"), "");
  }
  return clip(message, 300);
}

/**
 * Tenant SQL in two independent layers. First ClickHouse's own parser: the statement is
 * normalized with formatQuery, its tree (EXPLAIN AST) checked against the allowlist, and the
 * normalized text is what runs. The tree is read together with the statement's tokens, so no
 * name the caller chose inside quotes is ever read as structure. Then the engine: the
 * statement runs inside a wrapper whose CTEs scope every tenant table to the caller's rows,
 * with additional_table_filters doing the same on the real tables, a current database that
 * holds nothing, readonly, and limits on time, rows read, memory and result size.
 */
export async function runSql(ctx: RunContext, request: RunSqlRequest): Promise<RunSqlResponse> {
  const { store, organizationId, signal } = ctx;
  const sql = request.sql.trim();
  if (!sql) throw ValidationError.field("sql", "is required");
  if (sql.includes("\u0000")) throw ValidationError.field("sql", "must not contain NUL characters");
  if (sql.length > sqlLimits.maxSqlLength)
    throw ValidationError.field("sql", `must be at most ${sqlLimits.maxSqlLength} characters`);
  const maxRows = request.maxRows || sqlLimits.defaultRows;
  if (maxRows > sqlLimits.maxRows) throw ValidationError.field("max_rows", `must be at most ${sqlLimits.maxRows}`);
  const parameters = Object.entries(request.parameters);
  if (parameters.length > sqlLimits.maxParameters)
    throw ValidationError.field("parameters", `at most ${sqlLimits.maxParameters}`);
  for (const [name, value] of parameters) {
    if (!PARAMETER_NAME.test(name) || name.startsWith("__")) {
      throw ValidationError.field(
        `parameters.${clip(name)}`,
        "names are letters, digits and _ (at most 64) and may not start with __",
      );
    }
    if (value.length > sqlLimits.maxParameterLength) throw ValidationError.field(`parameters.${name}`, "is too long");
  }
  const databases = [store.sandboxDatabase, store.database];
  checkText(sql);

  let normalized: string;
  try {
    const { rows } = await store.query<{ q: string }>({
      name: "sql.normalize",
      sql: "SELECT formatQuery({__sql:String}) AS q",
      params: { __sql: sql },
      organizationId,
      signal,
    });
    normalized = rows[0]?.q ?? "";
  } catch (error) {
    throw ValidationError.field("sql", `does not parse: ${tenantMessage(error, databases)}`);
  }
  checkText(normalized);
  const { sql: runnable, finalTables } = liftFinal(normalized);

  let explained: string;
  try {
    // EXPLAIN AST at the top level, as raw text: inside a subquery the engine rewrites the
    // tree it prints (a SELECT without FROM gains system.one).
    explained = await store.queryText(
      { name: "sql.explain", sql: `EXPLAIN AST ${runnable}`, params: request.parameters, organizationId, signal },
      "TabSeparatedRaw",
    );
  } catch (error) {
    throw ValidationError.field("sql", `does not parse: ${tenantMessage(error, databases)}`);
  }
  checkStatement(parseExplainAst(explained), commonTableExpressions(runnable));

  const db = store.database;
  const scopes = tenantTables
    .map(
      (t) =>
        `${t} AS (SELECT * FROM ${db}.${t}${finalTables.has(t) ? " FINAL" : ""} WHERE organization_id = {__org:String})`,
    )
    .join(",\n     ");
  const filters = tenantTables
    .map((t) => `'${db}.${t}': 'organization_id = ''${quoteForSetting(organizationId)}'''`)
    .join(", ");
  const seconds = Math.max(
    1,
    Math.min(sqlLimits.executionSeconds, Math.floor((ctx.deadlineMs ?? Number.POSITIVE_INFINITY) / 1000)),
  );
  const wrapped = `WITH ${scopes}
SELECT * FROM (
${runnable}
)
LIMIT {__limit:UInt64}
SETTINGS max_execution_time = ${seconds}, max_rows_to_read = ${sqlLimits.maxRowsToRead},
  max_memory_usage = ${sqlLimits.maxMemoryBytes}, max_result_rows = ${maxRows + 1}, result_overflow_mode = 'break',
  function_range_max_elements_in_block = ${sqlLimits.maxRangeElements},
  additional_table_filters = {${filters}}, readonly = 1`;
  let result: Awaited<ReturnType<Store["queryTable"]>>;
  try {
    result = await store.queryTable({
      name: "sql.run",
      sql: wrapped,
      params: { ...request.parameters, __org: organizationId, __limit: maxRows },
      organizationId,
      signal,
      sandbox: true,
      maxResultBytes: sqlLimits.maxResultBytes,
    });
  } catch (error) {
    throw refusal(error, databases);
  }
  return create(RunSqlResponseSchema, {
    columns: result.columns.map((c) => create(ReportColumnSchema, { name: c.name, kind: "column", type: c.type })),
    rows: result.rows as JsonObject[],
    normalizedSql: normalized,
    // rows_read and bytes_read are not reported: the engine counts whole granules, and a
    // granule holds other organizations' rows too.
    meta: create(ResultMetaSchema, { source: AnswerSource.STORE, table: "sql", elapsedMs: result.elapsedMs }),
  });
}

/** What a failed tenant statement answers: a 400 that says which limit, or the deadline. */
function refusal(error: unknown, databases: readonly string[]): Error {
  if (error instanceof StatementTimeoutError) return error;
  if (error instanceof ResultTooLargeError) {
    return ValidationError.field(
      "sql",
      `the answer is larger than ${sqlLimits.maxResultBytes / 1024 / 1024} MiB; select fewer rows (max_rows) or columns`,
    );
  }
  if (error instanceof StatementMemoryError) {
    return ValidationError.field(
      "sql",
      `the statement needs more than ${sqlLimits.maxMemoryBytes / 1024 / 1024 / 1024} GiB of memory; read or group fewer rows`,
    );
  }
  if (error instanceof StatementArgumentError && /elements/i.test(error.message)) {
    return ValidationError.field("sql", `an array may have at most ${sqlLimits.maxRangeElements} elements a block`);
  }
  return ValidationError.field("sql", `failed: ${tenantMessage(error, databases)}`);
}
