import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BigQuery } from "@google-cloud/bigquery";
import {
  attributionCreditTable,
  type BigQueryConfig,
  type BigQueryField,
  campaignClickKeysTable,
  campaignEventsTable,
  campaignPerformanceTable,
  campaignPerformanceViewDdl,
  campaignSessionsTable,
  createJobRunner,
  dailyEventCounts,
  dayVersions,
  dayVersionsOf,
  type EffectiveCampaign,
  EMPTY_DAY,
  type ExportedTable,
  eventsOfVersion,
  exportedTables,
  exportStateTable,
  qualified,
  rawEventsTable,
  readPathTables,
  readPathVersion,
} from "@trellis/bigquery";
import type { Logger } from "@trellis/platform";
import type { Store } from "@trellis/store";
import { attributionCreditRows, campaignPerformanceRows, type ExportRow, rawEventsToFile } from "./day-rows.js";
import {
  campaignClickKeysStatement,
  campaignEventsStatement,
  campaignSessionsStatement,
  type ReadPathStatement,
} from "./read-path-rows.js";

/** How a day's rows are read from the store, by exported table. */
const readers: Record<string, typeof campaignPerformanceRows> = {
  [campaignPerformanceTable.name]: campaignPerformanceRows,
  [attributionCreditTable.name]: attributionCreditRows,
};

/** How a day of each read-path table is computed in the store, under a ruleset. */
const readPathStatements: Record<string, ReadPathStatement> = {
  [campaignEventsTable.name]: campaignEventsStatement,
  [campaignClickKeysTable.name]: campaignClickKeysStatement,
  [campaignSessionsTable.name]: campaignSessionsStatement,
};

/** The largest query-parameter payload one job carries (BigQuery refuses requests past ~10 MB). */
const MAX_ROWS_BYTES = 8 * 1024 * 1024;
/** A staging table left behind by a stopped run expires by itself after this long. */
const STAGING_TTL_MS = 24 * 3_600_000;
/** Failures kept in the status, newest last. */
const MAX_FAILURES = 20;

export type ExportTrigger = "schedule" | "demand";

export interface DayFailure {
  organizationId: string;
  table: string;
  day: string;
  message: string;
}

export interface ExportStatus {
  /** The run in progress or the last one; absent before the first. */
  run?: {
    id: number;
    trigger: ExportTrigger;
    running: boolean;
    startedAt: string;
    finishedAt?: string;
    organizationsTotal: number;
    organizationsDone: number;
    daysExported: number;
    daysUnchanged: number;
    daysFailed: number;
    rowsExported: number;
    failures: DayFailure[];
    /** Why the run itself stopped early (BigQuery unreachable, stopped), if it did. */
    error?: string;
  };
  /** When the scheduler starts the next run; absent when the export runs on demand only. */
  nextScheduledAt?: string;
}

export interface Exporter {
  /** Starts a run unless one is in progress; answers the run's id (the running one's if any). */
  start(trigger: ExportTrigger): number;
  /** Resolves when the current run (if any) has finished. */
  idle(): Promise<void>;
  status(): ExportStatus;
  /** Stops the scheduler and the current run (it resumes where it was at the next start). */
  close(): Promise<void>;
}

export interface ExporterDependencies {
  store: Store;
  bigquery: BigQuery;
  logger: Logger;
  /** Every organization whose data is exported. */
  organizations(): Promise<string[]>;
  /**
   * The organization's current effective campaign (its newest ruleset, compiled). Without it
   * the read path's tables are not exported (the read path then always falls through).
   */
  effectiveCampaign?(organizationId: string, signal: AbortSignal): Promise<EffectiveCampaign>;
  /** Today's date (UTC, YYYY-MM-DD); a clock for tests. */
  today?: () => string;
}

/**
 * The scheduled and on-demand export of the analytics views to BigQuery. A run goes through
 * every organization and every day of the look-back window, compares each day's data version
 * in the store with the one BigQuery holds for it (the export_state table) and replaces only
 * the days that moved: their rows and their state row in one BigQuery transaction. Re-running a
 * day replaces it, never duplicates it; a run that stops resumes at the next start, since the
 * days it finished carry their versions.
 */
export function createExporter(config: BigQueryConfig, deps: ExporterDependencies): Exporter {
  const { store, bigquery, logger } = deps;
  const today = deps.today ?? (() => new Date().toISOString().slice(0, 10));
  const table = (name: string) => qualified(config.projectId, config.dataset, name);
  const stagingDataset = `${config.dataset}_staging`;
  let status: ExportStatus = {};
  let running: Promise<void> | undefined;
  let stop = new AbortController();
  let nextRunId = 1;
  let prepared = false;
  let timer: NodeJS.Timeout | undefined;

  if (config.intervalMs > 0) {
    const schedule = () => {
      status.nextScheduledAt = new Date(Date.now() + config.intervalMs).toISOString();
      timer = setTimeout(() => {
        exporter.start("schedule");
        schedule();
      }, config.intervalMs);
      timer.unref();
    };
    schedule();
  }

  const query = createJobRunner(bigquery, config, "trellis-export");

  /** The dataset, the tables and the seed's view, created when missing. */
  async function prepare(): Promise<void> {
    const dataset = bigquery.dataset(config.dataset, { location: config.location });
    const [datasetExists] = await dataset.exists();
    if (!datasetExists) await ignoreAlreadyExists(dataset.create({ location: config.location }));
    {
      // Loaded days (raw events, the read path's tables) go to a staging table first, in a
      // dataset of their own: the row access policies guard the exported tables, and no one
      // but the export reads staging.
      const staging = bigquery.dataset(stagingDataset, { location: config.location });
      const [stagingExists] = await staging.exists();
      if (!stagingExists) await ignoreAlreadyExists(staging.create({ location: config.location }));
    }
    for (const exported of [...exportedTables, ...(config.rawEvents ? [rawEventsTable] : []), exportStateTable]) {
      const [tableExists] = await dataset.table(exported.name).exists();
      if (tableExists) continue;
      await ignoreAlreadyExists(
        dataset.createTable(exported.name, {
          schema: { fields: exported.fields },
          ...(exported === exportStateTable ? {} : { timePartitioning: { type: "DAY", field: "day" } }),
          clustering: { fields: exported.clustering },
        }),
      );
    }
    await query(campaignPerformanceViewDdl(config.projectId, config.dataset));
    prepared = true;
  }

  /**
   * The versions BigQuery holds for an organization's days up to `to`, whatever their age, by
   * table and day (a row per organization, table and day: small beside the exported tables).
   */
  async function exportedVersions(organizationId: string, to: string) {
    const rows = await query<{ table_name: string; day: string; data_version: string; row_count: number }>(
      `SELECT table_name, CAST(day AS STRING) AS day, data_version, row_count FROM ${table(exportStateTable.name)}
WHERE organization_id = @organization_id AND day <= @to`,
      { organization_id: organizationId, to: BigQuery.date(to) },
      { organization_id: "STRING", to: "DATE" },
    );
    const versions = new Map<string, { version: string; rows: number }>();
    for (const r of rows)
      versions.set(`${r.table_name}/${r.day}`, { version: r.data_version, rows: Number(r.row_count) });
    return versions;
  }

  /** One day of one table replaced, with its state row, in one transaction. */
  async function replaceDay(
    exported: ExportedTable,
    organizationId: string,
    day: string,
    version: string,
    rows: ExportRow[],
  ): Promise<void> {
    const bytes = Buffer.byteLength(JSON.stringify(rows));
    if (bytes > MAX_ROWS_BYTES) {
      throw new Error(
        `${rows.length} rows (${bytes} bytes) exceed the ${MAX_ROWS_BYTES} bytes one BigQuery job carries; the day is not exported`,
      );
    }
    await swapDay(
      exported,
      organizationId,
      day,
      version,
      rows.length,
      "UNNEST(@rows)",
      // DATE values travel as the client's date type, not as strings.
      { rows: rows.map((row) => ({ ...row, day: BigQuery.date(String(row.day)) })) },
      { rows: [structType(exported.fields)] },
    );
  }

  /**
   * In one transaction: the organization's rows of `day` in `target` replaced by those `source`
   * gives (a FROM clause, its rows filtered here to the organization and day), and the day's
   * state row set to `version` and `rowCount`. The organization is bound in every statement.
   */
  async function swapDay(
    target: ExportedTable,
    organizationId: string,
    day: string,
    version: string,
    rowCount: number,
    source: string,
    params: Record<string, unknown> = {},
    types: Record<string, unknown> = {},
  ): Promise<void> {
    const columns = target.fields.map((f) => f.name).join(", ");
    await query(
      `BEGIN TRANSACTION;
DELETE FROM ${table(target.name)} WHERE organization_id = @organization_id AND day = @day;
INSERT INTO ${table(target.name)} (${columns}) SELECT ${columns} FROM ${source} WHERE organization_id = @organization_id AND day = @day;
DELETE FROM ${table(exportStateTable.name)} WHERE organization_id = @organization_id AND table_name = @table_name AND day = @day;
INSERT INTO ${table(exportStateTable.name)} (organization_id, table_name, day, data_version, row_count, exported_at)
VALUES (@organization_id, @table_name, @day, @data_version, @row_count, CURRENT_TIMESTAMP());
COMMIT TRANSACTION;`,
      {
        organization_id: organizationId,
        day: BigQuery.date(day),
        table_name: target.name,
        data_version: version,
        row_count: rowCount,
        ...params,
      },
      {
        organization_id: "STRING",
        day: "DATE",
        table_name: "STRING",
        data_version: "STRING",
        row_count: "INT64",
        ...types,
      },
    );
  }

  /**
   * One day of a table replaced by a load (raw events, the read path's tables): the engine
   * writes the day as newline-delimited JSON (`write`), a load job puts it in a staging table
   * of its own (WRITE_TRUNCATE: a retried load replaces it), and one transaction replaces the
   * organization's day and its state row from it. A day of any size goes this way, never
   * through a query parameter. Answers the rows loaded.
   */
  async function replaceDayByLoad(
    target: ExportedTable,
    organizationId: string,
    day: string,
    version: string,
    write: (path: string) => Promise<unknown>,
    signal: AbortSignal,
  ) {
    if (version === EMPTY_DAY) {
      await replaceDay(target, organizationId, day, version, []);
      return 0;
    }
    const file = join(tmpdir(), `trellis-bigquery-${randomUUID()}.ndjson`);
    const stagingName = `${target.name}_${createHash("sha256").update(organizationId).digest("hex").slice(0, 16)}_${day.replaceAll("-", "")}`;
    const staging = bigquery.dataset(stagingDataset, { location: config.location }).table(stagingName);
    try {
      await write(file);
      const rows = await countLines(file);
      await ignoreAlreadyExists(
        bigquery.dataset(stagingDataset, { location: config.location }).createTable(stagingName, {
          schema: { fields: target.fields },
          expirationTime: String(Date.now() + STAGING_TTL_MS),
        }),
      );
      signal.throwIfAborted();
      const [load] = await staging.createLoadJob(file, {
        sourceFormat: "NEWLINE_DELIMITED_JSON",
        writeDisposition: "WRITE_TRUNCATE",
        schema: { fields: target.fields },
      });
      // The client polls the load job until it is done; the deadline is ours, as for queries.
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          load.promise(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              load.cancel().catch(() => {});
              reject(
                new Error(`BigQuery load job ${load.id} did not finish within ${config.jobTimeoutMs} ms; cancelled`),
              );
            }, config.jobTimeoutMs);
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
      await swapDay(
        target,
        organizationId,
        day,
        version,
        rows,
        qualified(config.projectId, stagingDataset, stagingName),
      );
      // Expiry removes it anyway; deleting now keeps the staging dataset small.
      await staging.delete().catch(() => {});
      return rows;
    } finally {
      await rm(file, { force: true });
    }
  }

  /**
   * The exported days before the look-back window (`from`) whose data moved since their
   * export, with their versions now (EMPTY_DAY for a day left without events). Deletion
   * requests and retention change old days too, and the exported tables hold identifiers (raw
   * events, session and click ids): such a day is replaced like any other, whatever its age.
   * Finding them costs one read of the daily totals rollup (the day's event count against the
   * count the exported version names) and exact versions only for the days that differ.
   * Days before the window that were never exported stay out: the window bounds the first
   * export.
   */
  async function movedOlderDays(
    organizationId: string,
    from: string,
    exported: Map<string, { version: string; rows: number }>,
    signal: AbortSignal,
  ): Promise<Map<string, string>> {
    const exportedCounts = new Map<string, number[]>();
    for (const [key, { version }] of exported) {
      const day = key.slice(key.indexOf("/") + 1);
      if (day >= from) continue;
      exportedCounts.set(day, [...(exportedCounts.get(day) ?? []), eventsOfVersion(version)]);
    }
    if (exportedCounts.size === 0) return new Map();
    const counts = await dailyEventCounts(store, organizationId, from, signal);
    const moved = [...exportedCounts]
      .filter(([day, exportedAt]) => exportedAt.some((count) => count !== (counts.get(day) ?? 0)))
      .map(([day]) => day);
    const versions = await dayVersionsOf(store, organizationId, moved, signal);
    return new Map(moved.map((day) => [day, versions.get(day) ?? EMPTY_DAY]));
  }

  async function exportOrganization(organizationId: string, signal: AbortSignal): Promise<void> {
    const run = status.run;
    if (!run) return;
    const to = today();
    const from = addDays(to, -(config.lookbackDays - 1));
    const current = await dayVersions(store, organizationId, from, to, signal);
    const exported = await exportedVersions(organizationId, to);
    const older = await movedOlderDays(organizationId, from, exported, signal);
    // One ruleset for the whole run of this organization: every read-path day names it.
    const effective = await deps.effectiveCampaign?.(organizationId, signal);
    const isReadPath = (t: ExportedTable) => (readPathTables as readonly ExportedTable[]).includes(t);
    for (const target of [...exportedTables, ...(config.rawEvents ? [rawEventsTable] : [])]) {
      if (isReadPath(target) && !effective) continue;
      // The window's days, and the exported days before it that moved since their export.
      const days = new Set([
        ...current.keys(),
        ...[...exported.keys()]
          .filter((k) => k.startsWith(`${target.name}/`))
          .map((k) => k.slice(target.name.length + 1))
          .filter((day) => day >= from || older.has(day)),
      ]);
      for (const day of [...days].sort()) {
        signal.throwIfAborted();
        // A day with no events left (deleted, expired) is exported as empty: its rows go.
        const dataVersion = current.get(day) ?? older.get(day) ?? EMPTY_DAY;
        const version = effective && isReadPath(target) ? readPathVersion(dataVersion, effective.version) : dataVersion;
        const previous = exported.get(`${target.name}/${day}`);
        if (previous?.version === version) {
          run.daysUnchanged++;
          continue;
        }
        try {
          const readPath = readPathStatements[target.name];
          const write =
            target === rawEventsTable
              ? (path: string) => rawEventsToFile(store, organizationId, day, path, signal)
              : readPath && effective
                ? (path: string) =>
                    store.queryToFile(
                      { ...readPath(store, organizationId, day, effective), signal },
                      "JSONEachRow",
                      path,
                    )
                : undefined;
          if (write) {
            const loaded = await replaceDayByLoad(target, organizationId, day, version, write, signal);
            run.daysExported++;
            run.rowsExported += loaded;
            logger.info(
              { organization_id: organizationId, table: target.name, day, rows: loaded, run: run.id },
              "exported a day to BigQuery",
            );
            continue;
          }
          const rows =
            version === EMPTY_DAY
              ? []
              : await (readers[target.name] ?? campaignPerformanceRows)(store, organizationId, day, signal);
          await replaceDay(target, organizationId, day, version, rows);
          run.daysExported++;
          run.rowsExported += rows.length;
          logger.info(
            { organization_id: organizationId, table: target.name, day, rows: rows.length, run: run.id },
            "exported a day to BigQuery",
          );
        } catch (error) {
          if (signal.aborted) throw error;
          const message = errorMessage(error);
          run.daysFailed++;
          run.failures.push({ organizationId, table: target.name, day, message });
          if (run.failures.length > MAX_FAILURES) run.failures.shift();
          logger.warn(
            { organization_id: organizationId, table: target.name, day, err: message, run: run.id },
            "exporting a day to BigQuery failed; the next run retries it",
          );
        }
      }
    }
  }

  async function execute(signal: AbortSignal): Promise<void> {
    const run = status.run;
    if (!run) return;
    try {
      if (!prepared) await prepare();
      const organizations = await deps.organizations();
      run.organizationsTotal = organizations.length;
      for (const organizationId of organizations) {
        signal.throwIfAborted();
        try {
          await exportOrganization(organizationId, signal);
        } catch (error) {
          if (signal.aborted) throw error;
          // The organization's versions could not be read: its days wait for the next run.
          run.failures.push({ organizationId, table: "", day: "", message: errorMessage(error) });
          if (run.failures.length > MAX_FAILURES) run.failures.shift();
          logger.warn(
            { organization_id: organizationId, err: errorMessage(error) },
            "exporting an organization failed",
          );
        }
        run.organizationsDone++;
        logger.info(
          {
            organization_id: organizationId,
            run: run.id,
            progress: `${run.organizationsDone}/${run.organizationsTotal}`,
            days_exported: run.daysExported,
          },
          "BigQuery export progress",
        );
      }
    } catch (error) {
      run.error = signal.aborted ? "stopped" : errorMessage(error);
      logger.warn({ run: run.id, err: run.error }, "BigQuery export run stopped; the next run resumes it");
    } finally {
      run.running = false;
      run.finishedAt = new Date().toISOString();
      logger.info(
        { run: run.id, exported: run.daysExported, unchanged: run.daysUnchanged, failed: run.daysFailed },
        "BigQuery export run finished",
      );
    }
  }

  const exporter: Exporter = {
    start(trigger) {
      if (running && status.run?.running) return status.run.id;
      const id = nextRunId++;
      status.run = {
        id,
        trigger,
        running: true,
        startedAt: new Date().toISOString(),
        organizationsTotal: 0,
        organizationsDone: 0,
        daysExported: 0,
        daysUnchanged: 0,
        daysFailed: 0,
        rowsExported: 0,
        failures: [],
      };
      logger.info({ run: id, trigger }, "BigQuery export run started");
      running = execute(stop.signal);
      return id;
    },
    async idle() {
      await running;
    },
    status() {
      return structuredClone(status);
    },
    async close() {
      if (timer) clearTimeout(timer);
      stop.abort();
      await running;
      stop = new AbortController();
      status = { ...status, nextScheduledAt: undefined };
    },
  };
  return exporter;
}

/** Another process created it between our look and our create: that is what we wanted. */
async function ignoreAlreadyExists(creating: Promise<unknown>): Promise<void> {
  try {
    await creating;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 409) throw error;
  }
}

/** Newline-terminated lines of a file (rows of newline-delimited JSON), read as a stream. */
async function countLines(path: string): Promise<number> {
  let lines = 0;
  for await (const chunk of createReadStream(path)) {
    for (const byte of chunk as Buffer) if (byte === 0x0a) lines++;
  }
  return lines;
}

/** The client's parameter type of an array element: STRUCT<field TYPE, …>. */
function structType(fields: readonly BigQueryField[]): Record<string, string> {
  return Object.fromEntries(fields.map((f) => [f.name, f.type]));
}

function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 500 ? `${message.slice(0, 500)}…` : message;
}
