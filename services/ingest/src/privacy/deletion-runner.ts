import { randomBytes } from "node:crypto";
import type { Client } from "@connectrpc/connect";
import type { CacheService, OrgContext } from "@trellis/contracts";
import { AlreadyExistsError, type Logger, type OrgScope, orgCallOptions } from "@trellis/platform";
import type { Store } from "@trellis/store";
import {
  affectedDaysSql,
  countSubjectEventsSql,
  deleteSubjectEventsSql,
  namingMatch,
  namingNeedles,
  subjectNamingTables,
  subjectParams,
} from "./deletion-plan.js";
import type { DeletionOrder, DeletionSubjects } from "./deletion-request.js";
import type { Exports } from "./exports.js";
import type { DeletionRecord, PrivacyRecords } from "./privacy-records.js";
import { rebuildRollupDays } from "./rollup-rebuild.js";
import type { SuppressionFilter } from "./suppressions.js";
import type { WriteGate } from "./write-gate.js";

export interface DeletionRunnerDeps {
  store: Store;
  records: PrivacyRecords;
  gate: WriteGate;
  suppressions: SuppressionFilter;
  /** The cache whose data version a deletion advances; none when ingest runs without one. */
  cache?: Client<typeof CacheService>;
  /** The organization's export files: a deletion removes them, since they may hold the ids. */
  exports?: Pick<Exports, "forget">;
  /** A fresh scope for the organization: a deletion may outlive the token of its request. */
  scopeFor(context: OrgContext): Promise<OrgScope>;
  logger: Logger;
  clock?: () => Date;
}

/**
 * Accepts deletion requests and runs them one at a time in the background: suppressions
 * first, then — with the organization's ingest writes held back — the raw events (a
 * lightweight DELETE), every rollup's affected days rebuilt from the raw events that remain,
 * the organization's export files removed (they may hold the ids; their parts then answer
 * "export again"), and at last the cache's data version, which ends cached answers and the gateway's hot
 * window for the months touched. Each step's row counts go in the request's status and the
 * audit log (which never holds the ids).
 */
export function createDeletionRunner(deps: DeletionRunnerDeps) {
  const clock = deps.clock ?? (() => new Date());
  const { store, records } = deps;
  let queue: Promise<void> = Promise.resolve();
  const running = new Set<Promise<void>>();

  /** Rows of stored answers that name the subjects (discovery runs), deleted whole; counts by table. */
  async function deleteNamingRows(organizationId: string, subjects: DeletionSubjects): Promise<Record<string, number>> {
    const params = { organization_id: organizationId, needles: namingNeedles(subjects) };
    const counts: Record<string, number> = {};
    for (const { table, column } of subjectNamingTables) {
      const where = namingMatch(column);
      const { rows } = await store.query<{ rows: string }>({
        name: `privacy.count_${table}`,
        sql: `SELECT count() AS rows FROM ${store.database}.${table} WHERE ${where}`,
        params,
        organizationId,
      });
      const count = Number(rows[0]?.rows ?? 0);
      if (count === 0) continue;
      await store.command({
        name: `privacy.delete_${table}`,
        sql: `DELETE FROM ${store.database}.${table} WHERE ${where}`,
        params,
        organizationId,
      });
      counts[table] = count;
    }
    return counts;
  }

  async function execute(context: OrgContext, record: DeletionRecord, subjects: DeletionSubjects): Promise<void> {
    const organizationId = context.organizationId;
    const params = subjectParams(organizationId, subjects);
    await records.saveDeletion({ ...record, status: "running", updatedAt: clock() });
    // Milliseconds of each step, kept in the audit log (how long the rollup rebuild takes is
    // what a larger deletion costs).
    const timings = { wait: 0, find: 0, events: 0, rollups: 0, cache: 0 };
    let mark = performance.now();
    const lap = (step: keyof typeof timings) => {
      const now = performance.now();
      timings[step] = Math.round(now - mark);
      mark = now;
    };
    const outcome = await deps.gate.exclusive(organizationId, async () => {
      lap("wait");
      if (record.suppress) {
        await records.suppress(organizationId, record.id, subjects);
        await deps.suppressions.refresh(organizationId);
      }
      const { rows: days } = await store.query<{ day: string }>({
        name: "privacy.affected_days",
        sql: affectedDaysSql(store.database),
        params,
        organizationId,
      });
      const dates = days.map((d) => d.day);
      lap("find");
      const named = await deleteNamingRows(organizationId, subjects);
      if (dates.length === 0) return { dates, deleted: named, rebuilt: {} };
      const { rows: counted } = await store.query<{ rows: string }>({
        name: "privacy.count_events",
        sql: countSubjectEventsSql(store.database),
        params,
        organizationId,
      });
      await store.command({
        name: "privacy.delete_events",
        sql: deleteSubjectEventsSql(store.target),
        params,
        organizationId,
      });
      lap("events");
      const { removed, written } = await rebuildRollupDays(store, organizationId, dates);
      lap("rollups");
      return {
        dates,
        deleted: { analytics_events: Number(counted[0]?.rows ?? 0), ...removed, ...named },
        rebuilt: written,
      };
    });
    if (outcome.dates.length > 0) await deps.exports?.forget(organizationId);
    if (deps.cache && outcome.dates.length > 0) {
      const scope = await deps.scopeFor(context);
      await deps.cache.advanceDataVersion({ dates: outcome.dates }, { timeoutMs: 5_000, ...orgCallOptions(scope) });
    }
    lap("cache");
    const done: DeletionRecord = {
      ...record,
      status: "done",
      deleted: outcome.deleted,
      rebuilt: outcome.rebuilt,
      affectedDates: outcome.dates,
      updatedAt: clock(),
    };
    await records.saveDeletion(done);
    await records.audit({
      organizationId,
      principal: record.principal,
      action: "deletion.done",
      requestId: record.id,
      idsDigest: record.idsDigest,
      detail: { deleted: outcome.deleted, rebuilt: outcome.rebuilt, days: outcome.dates.length, ms: timings },
    });
  }

  async function fail(record: DeletionRecord, error: unknown): Promise<void> {
    deps.logger.error({ err: error, organization_id: record.organizationId, deletion: record.id }, "deletion failed");
    const reason = error instanceof Error ? error.message.slice(0, 500) : String(error);
    await records.saveDeletion({ ...record, status: "failed", error: reason, updatedAt: clock() });
    await records.audit({
      organizationId: record.organizationId,
      principal: record.principal,
      action: "deletion.failed",
      requestId: record.id,
      idsDigest: record.idsDigest,
      detail: { error: reason },
    });
  }

  return {
    /**
     * Records the request (pending) and queues it; answers the record. A request with the
     * `request_id` of an earlier one answers that one if it named the same ids, and is refused
     * otherwise.
     */
    async submit(context: OrgContext, order: DeletionOrder): Promise<DeletionRecord> {
      const organizationId = context.organizationId;
      if (order.requestId !== "") {
        const earlier = await records.deletionByRequestKey(organizationId, order.requestId);
        if (earlier) {
          if (earlier.idsDigest === order.digest) return earlier;
          throw new AlreadyExistsError(
            `request_id ${order.requestId} was used for a deletion of other ids; use a new request_id`,
          );
        }
      }
      const id = `del_${randomBytes(12).toString("hex")}`;
      const now = clock();
      const { subjects } = order;
      const record: DeletionRecord = {
        organizationId,
        id,
        requestKey: order.requestId || id,
        idsDigest: order.digest,
        status: "pending",
        visitorIds: subjects.visitorIds.length,
        sessionIds: subjects.sessionIds.length,
        clickIds: subjects.clickIds.length,
        ipHashes: subjects.ipHashes.length,
        suppress: order.suppress,
        deleted: {},
        rebuilt: {},
        affectedDates: [],
        error: "",
        principal: context.principal,
        createdAt: now,
        updatedAt: now,
      };
      await records.saveDeletion(record);
      await records.audit({
        organizationId,
        principal: context.principal,
        action: "deletion.requested",
        requestId: id,
        idsDigest: order.digest,
        detail: {
          visitor_ids: record.visitorIds,
          session_ids: record.sessionIds,
          click_ids: record.clickIds,
          ip_hashes: record.ipHashes,
          suppress: record.suppress,
        },
      });
      const job = queue.then(() => execute(context, record, subjects).catch((error: unknown) => fail(record, error)));
      queue = job.catch(() => undefined);
      running.add(job);
      void job.finally(() => running.delete(job));
      return record;
    },

    /** Marks deletions a stopped process left unfinished as failed, so nobody waits on them. */
    async failInterrupted(): Promise<number> {
      const unfinished = await records.unfinishedDeletions();
      for (const record of unfinished) {
        await fail(record, new Error("interrupted by a restart of the ingest service; submit the request again"));
      }
      return unfinished.length;
    },

    /** Waits for the queued deletions to finish. */
    async drain(): Promise<void> {
      await Promise.allSettled([...running]);
    },
  };
}

export type DeletionRunner = ReturnType<typeof createDeletionRunner>;
