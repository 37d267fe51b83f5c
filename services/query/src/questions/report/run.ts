import type { JsonObject } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import {
  AnswerSource,
  ReportColumnSchema,
  ResultMetaSchema,
  type RunReportRequest,
  RunReportRequestSchema,
  type RunReportResponse,
  RunReportResponseSchema,
  StreamReportResponseSchema,
} from "@trellis/contracts";
import { ValidationError } from "@trellis/platform";
import type { SourcePreference } from "@trellis/traffic-rules";
import { defaultQueryLimits, runCompiled, withLimits } from "@trellis/traffic-rules";
import type { RunContext } from "../../handlers/run-context.js";
import { type CompiledReport, compileReport } from "./compile.js";

type ReportRow = Record<string, unknown> & { __is_total: number | string; __total_rows?: string | number };

/** An unpaged statement returns every group; more than the limit is refused rather than cut. */
export function assertWithinLimit(compiled: CompiledReport, groups: number): void {
  if (!compiled.paged && groups > compiled.limit) {
    throw ValidationError.field(
      "limit",
      `the answer has more than ${compiled.limit} rows; page it (limit, offset) or stream it`,
    );
  }
}

/** A row as the API returns it: selected columns only, 64-bit counts as numbers. */
export function toReportRow(row: Record<string, unknown>, compiled: CompiledReport): JsonObject {
  const out: JsonObject = {};
  for (const column of compiled.columns) {
    const value = row[column.name];
    out[column.name] =
      column.type === "UInt64" || column.type === "UInt32" || column.type === "Float64"
        ? Number(value)
        : typeof value === "boolean"
          ? value
          : String(value ?? "");
  }
  return out;
}

export async function runReport(
  ctx: RunContext,
  request: RunReportRequest,
  source: SourcePreference = "auto",
): Promise<RunReportResponse> {
  const compiled = compileReport(request, ctx.store.database, ctx.organizationId, {
    source,
    effectiveCampaign: ctx.ruleset?.effectiveCampaign,
  });
  const { rows, elapsedMs } = await runCompiled<ReportRow>(ctx, "report", compiled);
  const totalRow = rows.find((r) => Number(r.__is_total) === 1);
  const grouped = compiled.columns.some((c) => c.kind === "dimension");
  const dataRows = grouped ? rows.filter((r) => Number(r.__is_total) === 0) : rows;
  assertWithinLimit(compiled, dataRows.length);
  return create(RunReportResponseSchema, {
    columns: compiled.columns.map((c) => create(ReportColumnSchema, c)),
    rows: dataRows.map((r) => toReportRow(r, compiled)),
    totals: totalRow ? toReportRow(totalRow, compiled) : undefined,
    totalRows: BigInt(grouped && compiled.paged ? Number(dataRows[0]?.__total_rows ?? 0) : dataRows.length),
    meta: create(ResultMetaSchema, { source: AnswerSource.STORE, table: compiled.table, elapsedMs }),
  });
}

/** Largest report a stream may carry. */
export const STREAM_ROW_CAP = 10_000_000;

/** The report's rows in chunks (columns on the first, meta on a last empty one); totals are left out. */
export async function* streamReport(
  ctx: RunContext,
  request: RunReportRequest,
  chunkRows: number,
): AsyncGenerator<{ chunk: ReturnType<typeof create<typeof StreamReportResponseSchema>> }> {
  const started = performance.now();
  const compiled = compileReport(
    create(RunReportRequestSchema, { ...request, limit: request.limit || STREAM_ROW_CAP }),
    ctx.store.database,
    ctx.organizationId,
    { rowCap: STREAM_ROW_CAP, effectiveCampaign: ctx.ruleset?.effectiveCampaign },
  );
  const grouped = compiled.columns.some((c) => c.kind === "dimension");
  const columns = compiled.columns.map((c) => create(ReportColumnSchema, c));
  let first = true;
  const statement = {
    name: "report.stream",
    sql: withLimits(compiled.sql, { ...defaultQueryLimits, maxResultRows: STREAM_ROW_CAP + 1 }, ctx.deadlineMs),
    params: compiled.params,
    organizationId: ctx.organizationId,
    signal: ctx.signal,
  };
  for await (const rows of ctx.store.stream<ReportRow>(statement, chunkRows)) {
    const data = grouped ? rows.filter((r) => Number(r.__is_total) === 0) : rows;
    if (data.length === 0) continue;
    yield {
      chunk: create(StreamReportResponseSchema, {
        columns: first ? columns : [],
        rows: data.map((r) => toReportRow(r, compiled)),
      }),
    };
    first = false;
  }
  yield {
    chunk: create(StreamReportResponseSchema, {
      columns: first ? columns : [],
      meta: create(ResultMetaSchema, {
        source: AnswerSource.STORE,
        table: compiled.table,
        elapsedMs: performance.now() - started,
      }),
    }),
  };
}
