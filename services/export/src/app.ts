import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { create, toJson } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import {
  ExportDayFailureSchema,
  ExportRunSchema,
  ExportService,
  ExportTrigger,
  type GetExportStatusResponse,
  GetExportStatusResponseSchema,
} from "@trellis/contracts";
import type { ServiceApp } from "@trellis/platform";
import type { Exporter, ExportStatus } from "./exporter.js";

/** The REST paths of the export's status and runs, beside the RPCs. */
export const exportRestPaths = { status: "/api/v1/admin/export", runs: "/api/v1/admin/export/runs" } as const;

export type ExportApp = ServiceApp & {
  /** Answers the export's REST paths; false for any other path (the caller serves it). */
  rest(req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse): boolean;
};

/**
 * ExportService (status, start a run) over RPC and REST, for operators: every call needs
 * `authorization: Bearer <admin token>`; without a configured token both are off. Without an
 * exporter (no BigQuery project) the status says the export is disabled.
 */
export function createExportApp(options: { exporter?: Exporter; adminToken?: string }): ExportApp {
  const { exporter, adminToken } = options;

  function status(): GetExportStatusResponse {
    return statusMessage(exporter?.status(), exporter !== undefined);
  }
  function start(): bigint {
    if (!exporter)
      throw new ConnectError("the BigQuery export is off: set TRELLIS_BIGQUERY_PROJECT", Code.FailedPrecondition);
    return BigInt(exporter.start("demand"));
  }

  const auth: Interceptor = (next) => async (req) => {
    if (req.service.typeName === ExportService.typeName) {
      const problem = adminProblem(req.header.get("authorization"), adminToken);
      if (problem) throw new ConnectError(problem.message, problem.code);
    }
    return next(req);
  };

  return {
    name: "export",
    services: [ExportService],
    routes: (router) =>
      router.service(ExportService, {
        getExportStatus: () => status(),
        startExport: () => ({ runId: start() }),
      }),
    dependencies: [],
    authInterceptors: [auth],
    rest(req, res) {
      const path = (req.url ?? "").split("?")[0];
      if (path !== exportRestPaths.status && path !== exportRestPaths.runs) return false;
      const problem = adminProblem(req.headers.authorization, adminToken);
      const method = path === exportRestPaths.status ? "GET" : "POST";
      if (problem) sendJson(res, problem.code === Code.Unauthenticated ? 401 : 403, { error: problem.message });
      else if (req.method !== method) sendJson(res, 405, { error: `${path} takes ${method}` }, { allow: method });
      else if (method === "GET")
        sendJson(res, 200, toJson(GetExportStatusResponseSchema, status(), { useProtoFieldName: true }));
      else if (!exporter) sendJson(res, 409, { error: "the BigQuery export is off: set TRELLIS_BIGQUERY_PROJECT" });
      else sendJson(res, 202, { run_id: String(start()) });
      return true;
    },
    async close() {
      await exporter?.close();
    },
  };
}

/** Why a caller is refused, or undefined when it presented the admin token. */
function adminProblem(authorization: string | null | undefined, adminToken: string | undefined) {
  if (!adminToken)
    return {
      code: Code.PermissionDenied,
      message: "export administration is off: TRELLIS_WARDEN_ADMIN_TOKEN is not set",
    };
  const given = Buffer.from(authorization?.replace(/^Bearer\s+/i, "") ?? "");
  const expected = Buffer.from(adminToken);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { code: Code.Unauthenticated, message: "admin token missing or wrong" };
  return undefined;
}

function statusMessage(status: ExportStatus | undefined, enabled: boolean): GetExportStatusResponse {
  const run = status?.run;
  return create(GetExportStatusResponseSchema, {
    enabled,
    nextScheduledAt: status?.nextScheduledAt ? timestampFromDate(new Date(status.nextScheduledAt)) : undefined,
    run: run
      ? create(ExportRunSchema, {
          id: BigInt(run.id),
          trigger: run.trigger === "schedule" ? ExportTrigger.SCHEDULE : ExportTrigger.DEMAND,
          running: run.running,
          startedAt: timestampFromDate(new Date(run.startedAt)),
          finishedAt: run.finishedAt ? timestampFromDate(new Date(run.finishedAt)) : undefined,
          organizationsTotal: run.organizationsTotal,
          organizationsDone: run.organizationsDone,
          daysExported: BigInt(run.daysExported),
          daysUnchanged: BigInt(run.daysUnchanged),
          daysFailed: BigInt(run.daysFailed),
          rowsExported: BigInt(run.rowsExported),
          failures: run.failures.map((f) => create(ExportDayFailureSchema, f)),
          error: run.error ?? "",
        })
      : undefined,
  });
}

function sendJson(
  res: ServerResponse | Http2ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}
