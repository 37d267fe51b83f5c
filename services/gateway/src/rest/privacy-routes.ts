import { create } from "@bufbuild/protobuf";
import {
  CreateDeletionRequestSchema,
  CreateExportRequestSchema,
  DeleteOrganizationRequestSchema,
  DownloadExportPartRequestSchema,
  type DownloadExportPartResponse,
  ExportFormat,
  ExportSubjectRequestSchema,
  type ExportSubjectResponse,
  GetDeletionRequestSchema,
  GetExportRequestSchema,
  GetPiiSettingsRequestSchema,
  PiiMode,
  PrivacyService,
  RevealValuesRequestSchema,
  RotateDataKeyRequestSchema,
  SetRetentionRequestSchema,
  ShredDataKeysRequestSchema,
  UpdatePiiSettingsRequestSchema,
} from "@trellis/contracts";
import { ValidationError } from "@trellis/platform";
import { object, only, strings, text, whole } from "./json-body.js";
import { createParams } from "./params.js";
import type { RestRoute } from "./route.js";

function flag(value: unknown, field: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== "boolean") throw ValidationError.field(field, "must be true or false");
  return value;
}

const piiModes: Record<string, PiiMode> = { redact: PiiMode.REDACT, encrypt: PiiMode.ENCRYPT };
const exportFormats: Record<string, ExportFormat> = {
  parquet: ExportFormat.PARQUET,
  csv: ExportFormat.CSV,
  ndjson: ExportFormat.NDJSON,
};

/**
 * Data-subject requests under /api/v1/privacy: POST deletions
 * ({"visitor_ids": […], "session_ids": […], "click_ids": […], "ip_hashes": […], "suppress": false,
 * "request_id": "…"}), GET a deletion's status, GET a visitor's events as NDJSON.
 */
/** The media type of an export part, by its file name's extension. */
function partContentType(part: string): string {
  if (part.endsWith(".parquet")) return "application/vnd.apache.parquet";
  if (part.endsWith(".csv")) return "text/csv; charset=utf-8";
  return "application/x-ndjson";
}

export const privacyRoutes: readonly RestRoute[] = [
  {
    method: "POST",
    path: "/api/v1/privacy/deletions",
    rpc: PrivacyService.method.createDeletion,
    parse({ query, body }) {
      createParams(query, []);
      const root = object(body, "body");
      only(root, "", ["visitor_ids", "session_ids", "click_ids", "ip_hashes", "suppress", "request_id"]);
      return create(CreateDeletionRequestSchema, {
        visitorIds: strings(root.visitor_ids, "visitor_ids"),
        sessionIds: strings(root.session_ids, "session_ids"),
        clickIds: strings(root.click_ids, "click_ids"),
        ipHashes: strings(root.ip_hashes, "ip_hashes"),
        suppress: flag(root.suppress, "suppress"),
        requestId: text(root.request_id, "request_id"),
      });
    },
  },
  {
    method: "GET",
    path: "/api/v1/privacy/deletions/{deletion_id}",
    rpc: PrivacyService.method.getDeletion,
    parse({ query, path }) {
      createParams(query, []);
      return create(GetDeletionRequestSchema, { id: path.deletion_id });
    },
  },
  {
    method: "GET",
    path: "/api/v1/privacy/subjects/{visitor_id}/export",
    rpc: PrivacyService.method.exportSubject,
    parse() {
      throw new Error("subject exports are read by download()");
    },
    download({ query, path }, stream) {
      createParams(query, []);
      const request = create(ExportSubjectRequestSchema, { visitorId: path.visitor_id });
      async function* lines(): AsyncIterable<string> {
        for await (const message of stream(request)) {
          const chunk = message as ExportSubjectResponse;
          if (chunk.eventsJson.length > 0) yield `${chunk.eventsJson.join("\n")}\n`;
        }
      }
      return { contentType: "application/x-ndjson", lines: lines() };
    },
  },
  {
    method: "GET",
    path: "/api/v1/privacy/pii",
    rpc: PrivacyService.method.getPiiSettings,
    parse({ query }) {
      createParams(query, []);
      return create(GetPiiSettingsRequestSchema, {});
    },
  },
  {
    // {"mode": "redact" | "encrypt", "drop_params": ["mc_eid"]}
    method: "PUT",
    path: "/api/v1/privacy/pii",
    rpc: PrivacyService.method.updatePiiSettings,
    parse({ query, body }) {
      createParams(query, []);
      const root = object(body, "body");
      only(root, "", ["mode", "drop_params"]);
      const modeName = text(root.mode, "mode").toLowerCase();
      const mode = modeName === "" ? PiiMode.UNSPECIFIED : piiModes[modeName];
      if (mode === undefined) throw ValidationError.field("mode", "expected redact or encrypt");
      return create(UpdatePiiSettingsRequestSchema, { mode, dropParams: strings(root.drop_params, "drop_params") });
    },
  },
  {
    method: "POST",
    path: "/api/v1/privacy/keys/rotate",
    rpc: PrivacyService.method.rotateDataKey,
    parse({ query }) {
      createParams(query, []);
      return create(RotateDataKeyRequestSchema, {});
    },
  },
  {
    // {"key_ids": […]}; every key of the organization when absent.
    method: "POST",
    path: "/api/v1/privacy/keys/shred",
    rpc: PrivacyService.method.shredDataKeys,
    parse({ query, body }) {
      createParams(query, []);
      const root = body === undefined ? {} : object(body, "body");
      only(root, "", ["key_ids"]);
      return create(ShredDataKeysRequestSchema, { keyIds: strings(root.key_ids, "key_ids") });
    },
  },
  {
    // {"values": ["pii1.…"]}
    method: "POST",
    path: "/api/v1/privacy/reveal",
    rpc: PrivacyService.method.revealValues,
    parse({ query, body }) {
      createParams(query, []);
      const root = object(body, "body");
      only(root, "", ["values"]);
      return create(RevealValuesRequestSchema, { values: strings(root.values, "values") });
    },
  },
  {
    // {"format": "parquet" | "csv" | "ndjson", "tables": ["analytics_events", "events_daily"]}
    method: "POST",
    path: "/api/v1/exports",
    rpc: PrivacyService.method.createExport,
    parse({ query, body }) {
      createParams(query, []);
      const root = object(body, "body");
      only(root, "", ["format", "tables"]);
      const format = exportFormats[text(root.format, "format").toLowerCase()];
      if (format === undefined) throw ValidationError.field("format", "expected parquet, csv or ndjson");
      return create(CreateExportRequestSchema, { format, tables: strings(root.tables, "tables") });
    },
  },
  {
    method: "GET",
    path: "/api/v1/exports/{export_id}",
    rpc: PrivacyService.method.getExport,
    parse({ query, path }) {
      createParams(query, []);
      return create(GetExportRequestSchema, { id: path.export_id });
    },
  },
  {
    // ?offset=<bytes already received>: resumes an interrupted download.
    method: "GET",
    path: "/api/v1/exports/{export_id}/parts/{part}",
    rpc: PrivacyService.method.downloadExportPart,
    parse() {
      throw new Error("export parts are read by download()");
    },
    download({ query, path }, stream) {
      const params = createParams(query, ["offset"]);
      const part = path.part ?? "";
      const request = create(DownloadExportPartRequestSchema, {
        exportId: path.export_id,
        part,
        offset: params.bigint("offset"),
      });
      // The part's bytes as stored: a resumed download may start inside a character or a
      // Parquet page, so nothing is decoded on the way.
      async function* bytes(): AsyncIterable<Uint8Array> {
        for await (const message of stream(request)) yield (message as DownloadExportPartResponse).data;
      }
      return { contentType: partContentType(part), lines: bytes() };
    },
  },
  {
    // {"retention_days": 400}
    method: "PUT",
    path: "/api/v1/privacy/retention",
    rpc: PrivacyService.method.setRetention,
    parse({ query, body }) {
      createParams(query, []);
      const root = object(body, "body");
      only(root, "", ["retention_days"]);
      return create(SetRetentionRequestSchema, { retentionDays: whole(root.retention_days, "retention_days") });
    },
  },
  {
    // {"confirm_organization_id": "<the caller's organization>"}
    method: "POST",
    path: "/api/v1/privacy/organization/delete",
    rpc: PrivacyService.method.deleteOrganization,
    parse({ query, body }) {
      createParams(query, []);
      const root = object(body, "body");
      only(root, "", ["confirm_organization_id"]);
      return create(DeleteOrganizationRequestSchema, {
        confirmOrganizationId: text(root.confirm_organization_id, "confirm_organization_id"),
      });
    },
  },
];
