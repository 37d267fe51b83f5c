import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import {
  type Deletion,
  DeletionSchema,
  DeletionStatus,
  type Export,
  ExportFormat,
  ExportPartSchema,
  ExportSchema,
  ExportStatus,
  PiiMode,
  type PiiSettings,
  PiiSettingsSchema,
  type PrivacyService,
  TableRowCountSchema,
} from "@trellis/contracts";
import { NotFoundError, requireOrgContext, ValidationError } from "@trellis/platform";
import type { Store } from "@trellis/store";
import { MAX_ID_CHARS, parseDeletionRequest } from "./deletion-request.js";
import type { DeletionRunner } from "./deletion-runner.js";
import type { ExportFormatName } from "./export-plan.js";
import type { ExportRecord, Exports } from "./exports.js";
import type { Offboarding } from "./offboarding.js";
import type { PiiKeyring, PiiSettingsView } from "./pii-keyring.js";
import type { DeletionRecord, DeletionState, PrivacyRecords } from "./privacy-records.js";
import type { Retention } from "./retention.js";

export interface PrivacyDeps {
  store: Store;
  records: PrivacyRecords;
  runner: DeletionRunner;
  keyring: PiiKeyring;
  exports: Exports;
  offboarding: Offboarding;
  retention: Retention;
}

const exportStatuses: Record<ExportRecord["status"], ExportStatus> = {
  pending: ExportStatus.PENDING,
  running: ExportStatus.RUNNING,
  done: ExportStatus.DONE,
  failed: ExportStatus.FAILED,
};

const exportFormats: Record<ExportFormatName, ExportFormat> = {
  parquet: ExportFormat.PARQUET,
  csv: ExportFormat.CSV,
  ndjson: ExportFormat.NDJSON,
};

function toExport(record: ExportRecord): Export {
  return create(ExportSchema, {
    id: record.id,
    status: exportStatuses[record.status],
    format: exportFormats[record.format],
    parts: record.parts.map((p) => create(ExportPartSchema, { ...p, rows: BigInt(p.rows), bytes: BigInt(p.bytes) })),
    error: record.error,
    createdAt: timestampFromDate(record.createdAt),
    updatedAt: timestampFromDate(record.updatedAt),
  });
}

function toPiiSettings(view: PiiSettingsView): PiiSettings {
  return create(PiiSettingsSchema, {
    mode: view.mode === "encrypt" ? PiiMode.ENCRYPT : PiiMode.REDACT,
    dropParams: view.dropParams,
    currentKeyId: view.currentKeyId,
    keyIds: view.keyIds,
  });
}

const statuses: Record<DeletionState, DeletionStatus> = {
  pending: DeletionStatus.PENDING,
  running: DeletionStatus.RUNNING,
  done: DeletionStatus.DONE,
  failed: DeletionStatus.FAILED,
};

const rowCounts = (map: Record<string, number>) =>
  Object.entries(map)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([table, rows]) => create(TableRowCountSchema, { table, rows: BigInt(rows) }));

export function toDeletion(record: DeletionRecord): Deletion {
  return create(DeletionSchema, {
    id: record.id,
    status: statuses[record.status],
    visitorIds: record.visitorIds,
    sessionIds: record.sessionIds,
    clickIds: record.clickIds,
    ipHashes: record.ipHashes,
    suppress: record.suppress,
    deleted: rowCounts(record.deleted),
    rebuilt: rowCounts(record.rebuilt),
    affectedDates: record.affectedDates,
    error: record.error,
    createdAt: timestampFromDate(record.createdAt),
    updatedAt: timestampFromDate(record.updatedAt),
    principal: record.principal,
  });
}

/** Events of one visitor per exported message. */
const EXPORT_CHUNK_ROWS = 500;

/** Deletion requests and data-subject exports of the caller's organization. */
export function createPrivacyService(deps: PrivacyDeps): ServiceImpl<typeof PrivacyService> {
  return {
    async createDeletion(req, ctx: HandlerContext) {
      const context = requireOrgContext(ctx.values);
      const order = parseDeletionRequest(context.organizationId, req);
      return { deletion: toDeletion(await deps.runner.submit(context, order)) };
    },

    async getDeletion(req, ctx: HandlerContext) {
      const { organizationId } = requireOrgContext(ctx.values);
      if (!/^del_[0-9a-f]{24}$/.test(req.id)) throw ValidationError.field("id", "expected a deletion id (del_…)");
      const record = await deps.records.deletion(organizationId, req.id);
      if (!record) throw new NotFoundError(`no deletion ${req.id} in this organization`);
      return { deletion: toDeletion(record) };
    },

    async *exportSubject(req, ctx: HandlerContext) {
      const { organizationId } = requireOrgContext(ctx.values);
      if (req.visitorId === "" || req.visitorId.length > MAX_ID_CHARS)
        throw ValidationError.field("visitor_id", `expected 1 to ${MAX_ID_CHARS} characters`);
      const chunks = deps.store.stream<Record<string, unknown>>(
        {
          name: "privacy.export_subject",
          sql: `SELECT * FROM ${deps.store.database}.analytics_events
WHERE organization_id = {organization_id:String} AND visitor_id = {visitor_id:String}
ORDER BY event_time, event_id`,
          params: { organization_id: organizationId, visitor_id: req.visitorId },
          organizationId,
          signal: ctx.signal,
        },
        EXPORT_CHUNK_ROWS,
      );
      for await (const rows of chunks) yield { eventsJson: rows.map((row) => JSON.stringify(row)) };
    },

    async getPiiSettings(_req, ctx: HandlerContext) {
      const { organizationId } = requireOrgContext(ctx.values);
      return { settings: toPiiSettings(await deps.keyring.settings(organizationId)) };
    },

    async updatePiiSettings(req, ctx: HandlerContext) {
      const { organizationId } = requireOrgContext(ctx.values);
      const mode = req.mode === PiiMode.ENCRYPT ? "encrypt" : req.mode === PiiMode.REDACT ? "redact" : undefined;
      if (mode === undefined && req.mode !== PiiMode.UNSPECIFIED)
        throw ValidationError.field("mode", "expected PII_MODE_REDACT or PII_MODE_ENCRYPT");
      const view = await deps.keyring.update(organizationId, { mode, dropParams: req.dropParams });
      return { settings: toPiiSettings(view) };
    },

    async rotateDataKey(_req, ctx: HandlerContext) {
      const { organizationId } = requireOrgContext(ctx.values);
      return { settings: toPiiSettings(await deps.keyring.rotate(organizationId)) };
    },

    async shredDataKeys(req, ctx: HandlerContext) {
      const { organizationId } = requireOrgContext(ctx.values);
      const { shredded, settings } = await deps.keyring.shred(organizationId, req.keyIds);
      return { shreddedKeyIds: shredded, settings: toPiiSettings(settings) };
    },

    async createExport(req, ctx: HandlerContext) {
      const context = requireOrgContext(ctx.values);
      const format = (Object.keys(exportFormats) as ExportFormatName[]).find((f) => exportFormats[f] === req.format);
      if (!format) throw ValidationError.field("format", "expected EXPORT_FORMAT_PARQUET, _CSV or _NDJSON");
      return { export: toExport(await deps.exports.create(context, format, req.tables)) };
    },

    async getExport(req, ctx: HandlerContext) {
      const { organizationId } = requireOrgContext(ctx.values);
      return { export: toExport(await deps.exports.get(organizationId, req.id)) };
    },

    async *downloadExportPart(req, ctx: HandlerContext) {
      const { organizationId } = requireOrgContext(ctx.values);
      for await (const data of deps.exports.download(organizationId, req.exportId, req.part, Number(req.offset))) {
        yield { data };
      }
    },

    async deleteOrganization(req, ctx: HandlerContext) {
      const context = requireOrgContext(ctx.values);
      const { deleted, cacheEntries } = await deps.offboarding.deleteOrganization(context, req.confirmOrganizationId);
      return { deleted: rowCounts(deleted), cacheEntries: BigInt(cacheEntries) };
    },

    async setRetention(req, ctx: HandlerContext) {
      const context = requireOrgContext(ctx.values);
      const outcome = await deps.retention.set(context, req.retentionDays);
      return {
        retentionDays: outcome.retentionDays,
        updatedEvents: BigInt(outcome.updated),
        expiredEvents: BigInt(outcome.expired),
        rebuilt: rowCounts(outcome.rebuilt),
      };
    },

    async revealValues(req, ctx: HandlerContext) {
      const { organizationId } = requireOrgContext(ctx.values);
      return deps.keyring.reveal(organizationId, req.values);
    },
  };
}
