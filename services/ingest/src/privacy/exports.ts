import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { OrgContext } from "@trellis/contracts";
import { FailedPreconditionError, type Logger, NotFoundError, ValidationError } from "@trellis/platform";
import { type Store, toDateTime64 } from "@trellis/store";
import { type ExportFormatName, exportableTables, exportFormats, tableExport } from "./export-plan.js";

export type ExportState = "pending" | "running" | "done" | "failed";

export interface ExportPartRecord {
  name: string;
  table: string;
  partition: string;
  rows: number;
  bytes: number;
}

export interface ExportRecord {
  organizationId: string;
  id: string;
  format: ExportFormatName;
  tables: string[];
  status: ExportState;
  parts: ExportPartRecord[];
  error: string;
  principal: string;
  createdAt: Date;
  updatedAt: Date;
}

interface ExportRow {
  organization_id: string;
  id: string;
  format: ExportFormatName;
  tables: string[];
  status: ExportState;
  parts: string;
  error: string;
  principal: string;
  created_at: string;
  updated_at: string;
}

const fromDateTime64 = (value: string) => new Date(`${value.replace(" ", "T")}Z`);
/** Bytes a download message carries at most. */
const CHUNK_BYTES = 256 * 1024;

/**
 * Full exports of an organization: every partition (month) of every table it asks for is
 * written by the engine's own writer (Parquet, CSVWithNames, JSONEachRow) to a file of its own
 * under `<dir>/<organization>/<export id>/`, one after another in the background, the export's
 * row updated after each part. A part is downloaded on its own, from any byte offset, so an
 * interrupted download resumes where it stopped.
 */
export function createExports(deps: { store: Store; dir: string; logger: Logger; clock?: () => Date }) {
  const { store } = deps;
  const clock = deps.clock ?? (() => new Date());
  const db = store.database;
  let queue: Promise<void> = Promise.resolve();
  const running = new Set<Promise<void>>();
  // An organization id from a JWT may hold any character: such a one is named by its digest.
  const orgFolder = (organizationId: string) =>
    join(
      deps.dir,
      /^[A-Za-z0-9_-]{1,64}$/.test(organizationId)
        ? organizationId
        : createHash("sha256").update(organizationId).digest("hex"),
    );
  const folderOf = (organizationId: string, id: string) => join(orgFolder(organizationId), id);

  async function save(record: ExportRecord): Promise<void> {
    const row: ExportRow = {
      organization_id: record.organizationId,
      id: record.id,
      format: record.format,
      tables: record.tables,
      status: record.status,
      parts: JSON.stringify(record.parts),
      error: record.error,
      principal: record.principal,
      created_at: toDateTime64(record.createdAt.getTime()),
      updated_at: toDateTime64(record.updatedAt.getTime()),
    };
    await store.insert("privacy_exports", [row], { organizationId: record.organizationId });
  }

  async function find(organizationId: string, id: string): Promise<ExportRecord | undefined> {
    const { rows } = await store.query<ExportRow>({
      name: "privacy.export",
      sql: `SELECT * FROM ${db}.privacy_exports FINAL WHERE organization_id = {organization_id:String} AND id = {id:String}`,
      params: { organization_id: organizationId, id },
      organizationId,
    });
    const row = rows[0];
    if (!row) return undefined;
    return {
      organizationId: row.organization_id,
      id: row.id,
      format: row.format,
      tables: row.tables,
      status: row.status,
      parts: JSON.parse(row.parts) as ExportPartRecord[],
      error: row.error,
      principal: row.principal,
      createdAt: fromDateTime64(row.created_at),
      updatedAt: fromDateTime64(row.updated_at),
    };
  }

  async function run(initial: ExportRecord): Promise<void> {
    let record: ExportRecord = { ...initial, status: "running", updatedAt: clock() };
    const organizationId = record.organizationId;
    const folder = folderOf(organizationId, record.id);
    try {
      await save(record);
      await mkdir(folder, { recursive: true });
      const { engineFormat, extension } = exportFormats[record.format];
      for (const table of record.tables) {
        const plan = tableExport(db, table);
        const { rows: partitions } = await store.query<{ partition: string }>({
          name: "privacy.export_partitions",
          sql: plan.partitions,
          params: { organization_id: organizationId },
          organizationId,
        });
        for (const { partition } of partitions) {
          const params = { organization_id: organizationId, partition };
          const name = `${table}-${partition}.${extension}`;
          const bytes = await store.queryToFile(
            { name: `privacy.export_${table}`, sql: plan.select, params, organizationId },
            engineFormat,
            join(folder, name),
          );
          const { rows } = await store.query<{ rows: string }>({
            name: "privacy.export_count",
            sql: plan.count,
            params,
            organizationId,
          });
          const part = { name, table, partition, rows: Number(rows[0]?.rows ?? 0), bytes };
          record = { ...record, parts: [...record.parts, part], updatedAt: clock() };
          await save(record);
        }
      }
      await save({ ...record, status: "done", updatedAt: clock() });
    } catch (error) {
      deps.logger.error({ err: error, organization_id: organizationId, export: record.id }, "export failed");
      const reason = error instanceof Error ? error.message.slice(0, 500) : String(error);
      await save({ ...record, status: "failed", error: reason, updatedAt: clock() });
    }
  }

  return {
    async create(context: OrgContext, format: ExportFormatName, tables: readonly string[]): Promise<ExportRecord> {
      tables.forEach((table, i) => {
        if (!exportableTables.includes(table))
          throw ValidationError.field(`tables[${i}]`, `expected one of ${exportableTables.join(", ")}`);
      });
      const now = clock();
      const record: ExportRecord = {
        organizationId: context.organizationId,
        id: `exp_${randomBytes(12).toString("hex")}`,
        format,
        tables: tables.length > 0 ? [...new Set(tables)] : [...exportableTables],
        status: "pending",
        parts: [],
        error: "",
        principal: context.principal,
        createdAt: now,
        updatedAt: now,
      };
      await save(record);
      const job = queue.then(() => run(record));
      queue = job.catch(() => undefined);
      running.add(job);
      void job.finally(() => running.delete(job));
      return record;
    },

    async get(organizationId: string, id: string): Promise<ExportRecord> {
      if (!/^exp_[0-9a-f]{24}$/.test(id)) throw ValidationError.field("id", "expected an export id (exp_…)");
      const record = await find(organizationId, id);
      if (!record) throw new NotFoundError(`no export ${id} in this organization`);
      return record;
    },

    /** The part's bytes from `offset`, in chunks. */
    async *download(organizationId: string, id: string, partName: string, offset: number): AsyncIterable<Uint8Array> {
      const record = await this.get(organizationId, id);
      const part = record.parts.find((p) => p.name === partName);
      if (!part) throw new NotFoundError(`export ${id} has no part ${partName.slice(0, 64)}`);
      const path = join(folderOf(organizationId, id), part.name);
      const size = (await stat(path).catch(() => undefined))?.size;
      if (size === undefined) throw new FailedPreconditionError(`part ${part.name} is no longer on disk; export again`);
      if (offset > size) throw ValidationError.field("offset", `the part has ${size} bytes`);
      if (offset === size) return;
      for await (const chunk of createReadStream(path, { start: offset, highWaterMark: CHUNK_BYTES })) {
        yield chunk as Buffer;
      }
    },

    /** Removes every export file and row of the organization (offboarding). */
    async forget(organizationId: string): Promise<void> {
      await rm(orgFolder(organizationId), { recursive: true, force: true });
    },

    async drain(): Promise<void> {
      await Promise.allSettled([...running]);
    },
  };
}

export type Exports = ReturnType<typeof createExports>;
