import type { JsonObject } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import {
  AnswerSource,
  ReportColumnSchema,
  ResultMetaSchema,
  type RunReportRequest,
  type RunReportResponse,
  RunReportResponseSchema,
} from "@trellis/contracts";
import { type CompiledReport, compileReport } from "../domain/report.js";
import type { SourcePreference } from "../domain/sources.js";
import { type RunContext, runCompiled } from "./run-context.js";

type ReportRow = Record<string, unknown> & { __is_total: number | string; __total_rows: string | number };

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
  const compiled = compileReport(request, ctx.store.database, ctx.organizationId, { source });
  const { rows, elapsedMs } = await runCompiled<ReportRow>(ctx, "report", compiled);
  const totalRow = rows.find((r) => Number(r.__is_total) === 1);
  const grouped = compiled.columns.some((c) => c.kind === "dimension");
  const dataRows = grouped ? rows.filter((r) => Number(r.__is_total) === 0) : rows;
  return create(RunReportResponseSchema, {
    columns: compiled.columns.map((c) => create(ReportColumnSchema, c)),
    rows: dataRows.map((r) => toReportRow(r, compiled)),
    totals: totalRow ? toReportRow(totalRow, compiled) : undefined,
    totalRows: BigInt(grouped ? Number(dataRows[0]?.__total_rows ?? 0) : dataRows.length),
    meta: create(ResultMetaSchema, { source: AnswerSource.STORE, table: compiled.table, elapsedMs }),
  });
}
