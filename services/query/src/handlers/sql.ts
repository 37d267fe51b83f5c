import { create, type JsonObject } from "@bufbuild/protobuf";
import {
  AnswerSource,
  ReportColumnSchema,
  ResultMetaSchema,
  type RunSqlRequest,
  type RunSqlResponse,
  RunSqlResponseSchema,
} from "@trellis/contracts";
import { ValidationError } from "@trellis/platform";
import type { Store } from "@trellis/store";
import { parseExplainAst } from "../domain/sql/ast.js";
import { checkStatement, tenantTables } from "../domain/sql/policy.js";
import type { RunContext } from "./run-context.js";

export const sqlLimits = {
  maxSqlLength: 64 * 1024,
  defaultRows: 1000,
  maxRows: 100_000,
  maxParameters: 64,
  maxParameterLength: 64 * 1024,
  executionSeconds: 10,
  maxRowsToRead: 2_000_000_000,
  maxMemoryBytes: 2 * 1024 * 1024 * 1024,
};

const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const EXPLAIN_FORMAT = "JSONEachRow";

function quoteForSetting(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/'/g, "\\'");
}

/**
 * Tenant SQL in two independent layers. First ClickHouse's own parser: the statement is
 * normalized with formatQuery, its AST checked against the allowlist, and the normalized
 * text is what runs. Then the engine: the statement runs inside a wrapper whose CTEs
 * scope every tenant table to the caller's rows, with additional_table_filters doing the
 * same on the real tables, readonly, and limits on time, rows read, memory and result size
 * — all as query-level SETTINGS, never session settings.
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
      throw ValidationError.field(`parameters.${name}`, "names are letters, digits and _ and may not start with __");
    }
    if (value.length > sqlLimits.maxParameterLength) throw ValidationError.field(`parameters.${name}`, "is too long");
  }

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
    throw ValidationError.field("sql", `does not parse: ${(error as Error).message.split("\n")[0]?.slice(0, 300)}`);
  }
  let explained: Array<{ explain: string } | string>;
  try {
    ({ rows: explained } = await store.query<{ explain: string } | string>({
      name: "sql.explain",
      sql: `EXPLAIN AST ${normalized}`,
      params: request.parameters,
      organizationId,
      signal,
    }));
  } catch (error) {
    throw ValidationError.field("sql", `does not parse: ${(error as Error).message.split("\n")[0]?.slice(0, 300)}`);
  }
  checkStatement(
    parseExplainAst(explained.map((r) => (typeof r === "string" ? r : r.explain)).join("\n")),
    normalized,
    EXPLAIN_FORMAT,
  );

  const db = store.database;
  const scopes = tenantTables
    .map((t) => `${t} AS (SELECT * FROM ${db}.${t} WHERE organization_id = {__org:String})`)
    .join(",\n     ");
  const filters = tenantTables
    .map((t) => `'${db}.${t}': 'organization_id = ''${quoteForSetting(organizationId)}'''`)
    .join(", ");
  const wrapped = `WITH ${scopes}
SELECT * FROM (
${normalized}
)
LIMIT {__limit:UInt64}
SETTINGS max_execution_time = ${Math.max(1, Math.min(sqlLimits.executionSeconds, Math.floor((ctx.deadlineMs ?? Number.POSITIVE_INFINITY) / 1000)))}, max_rows_to_read = ${sqlLimits.maxRowsToRead},
  max_memory_usage = ${sqlLimits.maxMemoryBytes}, max_result_rows = ${maxRows + 1}, result_overflow_mode = 'break',
  additional_table_filters = {${filters}}, readonly = 1`;
  let result: Awaited<ReturnType<Store["queryTable"]>>;
  try {
    result = await store.queryTable({
      name: "sql.run",
      sql: wrapped,
      params: { ...request.parameters, __org: organizationId, __limit: maxRows },
      organizationId,
      signal,
    });
  } catch (error) {
    const message = (error as Error).message.split("\n")[0] ?? "";
    if (/TIMEOUT_EXCEEDED|TOO_MANY_ROWS|MEMORY_LIMIT|too many rows|Timeout exceeded/i.test(message)) throw error;
    throw ValidationError.field("sql", `failed: ${message.slice(0, 300)}`);
  }
  return create(RunSqlResponseSchema, {
    columns: result.columns.map((c) => create(ReportColumnSchema, { name: c.name, kind: "column", type: c.type })),
    rows: result.rows as JsonObject[],
    normalizedSql: normalized,
    meta: create(ResultMetaSchema, {
      source: AnswerSource.STORE,
      table: "sql",
      rowsRead: BigInt(result.rowsRead),
      bytesRead: BigInt(result.bytesRead),
      elapsedMs: result.elapsedMs,
    }),
  });
}
