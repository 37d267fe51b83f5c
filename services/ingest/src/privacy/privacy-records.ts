import type { Store } from "@trellis/store";
import { toDateTime64 } from "@trellis/store";
import type { DeletionSubjects, SuppressedKind } from "./deletion-request.js";
import { suppressionHash } from "./deletion-request.js";

export type DeletionState = "pending" | "running" | "done" | "failed";

/** A deletion request as stored: counts and a digest of its ids, never the ids. */
export interface DeletionRecord {
  organizationId: string;
  id: string;
  requestKey: string;
  idsDigest: string;
  status: DeletionState;
  visitorIds: number;
  sessionIds: number;
  clickIds: number;
  ipHashes: number;
  suppress: boolean;
  deleted: Record<string, number>;
  rebuilt: Record<string, number>;
  affectedDates: string[];
  error: string;
  principal: string;
  createdAt: Date;
  updatedAt: Date;
}

interface DeletionRow {
  organization_id: string;
  id: string;
  request_key: string;
  ids_digest: string;
  status: DeletionState;
  visitor_ids: number;
  session_ids: number;
  click_ids: number;
  ip_hashes: number;
  suppress: boolean;
  deleted: Record<string, string | number>;
  rebuilt: Record<string, string | number>;
  affected_dates: string[];
  error: string;
  principal: string;
  created_at: string;
  updated_at: string;
}

const fromDateTime64 = (value: string) => new Date(`${value.replace(" ", "T")}Z`);
const numbers = (map: Record<string, string | number>) =>
  Object.fromEntries(Object.entries(map).map(([k, v]) => [k, Number(v)]));

function fromRow(row: DeletionRow): DeletionRecord {
  return {
    organizationId: row.organization_id,
    id: row.id,
    requestKey: row.request_key,
    idsDigest: row.ids_digest,
    status: row.status,
    visitorIds: Number(row.visitor_ids),
    sessionIds: Number(row.session_ids),
    clickIds: Number(row.click_ids),
    ipHashes: Number(row.ip_hashes),
    suppress: Boolean(row.suppress),
    deleted: numbers(row.deleted),
    rebuilt: numbers(row.rebuilt),
    affectedDates: row.affected_dates,
    error: row.error,
    principal: row.principal,
    createdAt: fromDateTime64(row.created_at),
    updatedAt: fromDateTime64(row.updated_at),
  };
}

function toRow(record: DeletionRecord): DeletionRow {
  return {
    organization_id: record.organizationId,
    id: record.id,
    request_key: record.requestKey,
    ids_digest: record.idsDigest,
    status: record.status,
    visitor_ids: record.visitorIds,
    session_ids: record.sessionIds,
    click_ids: record.clickIds,
    ip_hashes: record.ipHashes,
    suppress: record.suppress,
    deleted: record.deleted,
    rebuilt: record.rebuilt,
    affected_dates: record.affectedDates,
    error: record.error,
    principal: record.principal,
    created_at: toDateTime64(record.createdAt.getTime()),
    updated_at: toDateTime64(record.updatedAt.getTime()),
  };
}

const DELETION_COLUMNS = `organization_id, id, request_key, ids_digest, status, visitor_ids, session_ids, click_ids,
  ip_hashes, suppress, deleted, rebuilt, affected_dates, error, principal, created_at, updated_at`;

/** One line of the audit log: who did what to which request, with counts and digests only. */
export interface AuditEntry {
  organizationId: string;
  principal: string;
  action: string;
  requestId: string;
  idsDigest: string;
  detail: Record<string, unknown>;
}

/** The privacy tables of the store: deletion states, the audit log and suppressions. */
export function createPrivacyRecords(store: Store, clock: () => Date = () => new Date()) {
  const db = store.database;
  return {
    async saveDeletion(record: DeletionRecord): Promise<void> {
      await store.insert("privacy_deletions", [toRow(record)], { organizationId: record.organizationId });
    },

    async deletion(organizationId: string, id: string): Promise<DeletionRecord | undefined> {
      const { rows } = await store.query<DeletionRow>({
        name: "privacy.deletion",
        sql: `SELECT ${DELETION_COLUMNS} FROM ${db}.privacy_deletions FINAL
WHERE organization_id = {organization_id:String} AND id = {id:String}`,
        params: { organization_id: organizationId, id },
        organizationId,
      });
      return rows[0] && fromRow(rows[0]);
    },

    async deletionByRequestKey(organizationId: string, requestKey: string): Promise<DeletionRecord | undefined> {
      const { rows } = await store.query<DeletionRow>({
        name: "privacy.deletion_by_key",
        sql: `SELECT ${DELETION_COLUMNS} FROM ${db}.privacy_deletions FINAL
WHERE organization_id = {organization_id:String} AND request_key = {request_key:String}
ORDER BY created_at LIMIT 1`,
        params: { organization_id: organizationId, request_key: requestKey },
        organizationId,
      });
      return rows[0] && fromRow(rows[0]);
    },

    /** Deletions left pending or running by a process that stopped (any organization). */
    async unfinishedDeletions(): Promise<DeletionRecord[]> {
      const { rows } = await store.query<DeletionRow>({
        name: "privacy.unfinished",
        sql: `SELECT ${DELETION_COLUMNS} FROM ${db}.privacy_deletions FINAL WHERE status IN ('pending', 'running')`,
        organizationId: null,
      });
      return rows.map(fromRow);
    },

    async audit(entry: AuditEntry): Promise<void> {
      await store.insert(
        "privacy_audit_log",
        [
          {
            organization_id: entry.organizationId,
            at: toDateTime64(clock().getTime()),
            principal: entry.principal,
            action: entry.action,
            request_id: entry.requestId,
            ids_digest: entry.idsDigest,
            detail: JSON.stringify(entry.detail),
          },
        ],
        { organizationId: entry.organizationId },
      );
    },

    async suppress(organizationId: string, requestId: string, subjects: DeletionSubjects): Promise<number> {
      const kinds: Array<[SuppressedKind, string[]]> = [
        ["visitor_id", subjects.visitorIds],
        ["session_id", subjects.sessionIds],
        ["click_id", subjects.clickIds],
      ];
      const createdAt = toDateTime64(clock().getTime());
      const rows = kinds.flatMap(([kind, ids]) =>
        ids.map((id) => ({
          organization_id: organizationId,
          kind,
          id_hash: suppressionHash(organizationId, kind, id),
          request_id: requestId,
          created_at: createdAt,
        })),
      );
      await store.insert("privacy_suppressions", rows, { organizationId });
      return rows.length;
    },

    /** The organization's suppressed ids, as hashes, by kind. */
    async suppressions(organizationId: string): Promise<Map<SuppressedKind, Set<string>>> {
      const { rows } = await store.query<{ kind: SuppressedKind; id_hash: string }>({
        name: "privacy.suppressions",
        sql: `SELECT DISTINCT kind, id_hash FROM ${db}.privacy_suppressions WHERE organization_id = {organization_id:String}`,
        params: { organization_id: organizationId },
        organizationId,
      });
      const byKind = new Map<SuppressedKind, Set<string>>();
      for (const row of rows) {
        const set = byKind.get(row.kind) ?? new Set<string>();
        byKind.set(row.kind, set);
        set.add(row.id_hash);
      }
      return byKind;
    },
  };
}

export type PrivacyRecords = ReturnType<typeof createPrivacyRecords>;
