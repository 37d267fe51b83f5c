import { randomBytes } from "node:crypto";
import { create, type DescMessage, fromJsonString, type MessageShape, toJsonString } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  DetectAnomaliesResponseSchema,
  DetectFraudResponseSchema,
  DiscoverPatternsResponseSchema,
  type DiscoveryRun,
  DiscoveryRunSchema,
  type GetDiscoveryRunResponse,
  GetDiscoveryRunResponseSchema,
} from "@trellis/contracts";
import { echo, NotFoundError } from "@trellis/platform";
import type { Store } from "@trellis/store";

export type RunKind = "patterns" | "anomalies" | "fraud";

const resultSchemas = {
  patterns: DiscoverPatternsResponseSchema,
  anomalies: DetectAnomaliesResponseSchema,
  fraud: DetectFraudResponseSchema,
} satisfies Record<RunKind, DescMessage>;

export type RunResult<K extends RunKind> = MessageShape<(typeof resultSchemas)[K]>;

export interface NewRun<K extends RunKind> {
  kind: K;
  range: { startDate: string; endDate: string; timeZone: string };
  trigger: string;
  rulesetVersion: number;
  findings: number;
  elapsedMs: number;
  result: RunResult<K>;
}

interface RunRow {
  run_id: string;
  kind: string;
  created_at: string;
  start_date: string;
  end_date: string;
  time_zone: string;
  trigger: string;
  ruleset_version: string;
  findings: number;
  elapsed_ms: number;
  result?: string;
}

const SUMMARY_COLUMNS =
  "run_id, kind, toString(created_at) AS created_at, start_date, end_date, time_zone, trigger, ruleset_version, findings, elapsed_ms";

export function newRunId(): string {
  return `run_${randomBytes(9).toString("base64url")}`;
}

/**
 * Discovery runs of each organization, kept whole (the answer as protobuf JSON) so a pattern
 * can be adopted later and a run listed again. Every statement is bound to the organization.
 */
export function createRunStore(store: Store, clock: () => Date = () => new Date()) {
  const table = `${store.database}.discovery_runs`;

  function summary(row: RunRow): DiscoveryRun {
    return create(DiscoveryRunSchema, {
      id: row.run_id,
      kind: row.kind,
      range: { startDate: row.start_date, endDate: row.end_date, timeZone: row.time_zone },
      createdAt: timestampFromDate(new Date(`${row.created_at.replace(" ", "T")}Z`)),
      trigger: row.trigger,
      rulesetVersion: BigInt(row.ruleset_version),
      findings: Number(row.findings),
      elapsedMs: Number(row.elapsed_ms),
    });
  }

  return {
    async save<K extends RunKind>(organizationId: string, runId: string, run: NewRun<K>): Promise<DiscoveryRun> {
      const createdAt = clock();
      await store.insert(
        "discovery_runs",
        [
          {
            organization_id: organizationId,
            run_id: runId,
            kind: run.kind,
            created_at: createdAt.toISOString().replace("T", " ").replace("Z", ""),
            start_date: run.range.startDate,
            end_date: run.range.endDate,
            time_zone: run.range.timeZone,
            trigger: run.trigger,
            ruleset_version: String(run.rulesetVersion),
            findings: run.findings,
            elapsed_ms: run.elapsedMs,
            result: toJsonString(resultSchemas[run.kind] as DescMessage, run.result),
          },
        ],
        { organizationId },
      );
      return create(DiscoveryRunSchema, {
        id: runId,
        kind: run.kind,
        range: run.range,
        createdAt: timestampFromDate(createdAt),
        trigger: run.trigger,
        rulesetVersion: BigInt(run.rulesetVersion),
        findings: run.findings,
        elapsedMs: run.elapsedMs,
      });
    },

    async list(organizationId: string, kind: string, limit: number, signal?: AbortSignal): Promise<DiscoveryRun[]> {
      const { rows } = await store.query<RunRow>({
        name: "discovery runs (list)",
        sql: `SELECT ${SUMMARY_COLUMNS} FROM ${table}
WHERE organization_id = {organization_id:String} AND ({kind:String} = '' OR kind = {kind:String})
ORDER BY created_at DESC, run_id DESC LIMIT {limit:UInt32}`,
        params: { organization_id: organizationId, kind, limit },
        organizationId,
        signal,
      });
      return rows.map(summary);
    },

    async get(organizationId: string, runId: string, signal?: AbortSignal): Promise<GetDiscoveryRunResponse> {
      const { rows } = await store.query<RunRow>({
        name: "discovery run (get)",
        sql: `SELECT ${SUMMARY_COLUMNS}, result FROM ${table}
WHERE organization_id = {organization_id:String} AND run_id = {run_id:String} LIMIT 1`,
        params: { organization_id: organizationId, run_id: runId },
        organizationId,
        signal,
      });
      const row = rows[0];
      if (!row) throw new NotFoundError(`discovery run ${echo(runId)} does not exist`);
      const kind = row.kind as RunKind;
      const result = fromJsonString(resultSchemas[kind] as DescMessage, row.result ?? "{}");
      return create(GetDiscoveryRunResponseSchema, {
        run: summary(row),
        result: { case: kind === "fraud" ? "fraud" : kind, value: result } as GetDiscoveryRunResponse["result"],
      });
    },

    /** The newest patterns run that holds the pattern (or the given run), with its answer. */
    async findPatternRun(
      organizationId: string,
      patternId: string,
      runId: string,
      signal?: AbortSignal,
    ): Promise<{ runId: string; range: NewRun<"patterns">["range"]; result: RunResult<"patterns"> } | undefined> {
      const { rows } = await store.query<RunRow & { result: string }>({
        name: "discovery run (pattern)",
        sql: `SELECT ${SUMMARY_COLUMNS}, result FROM ${table}
WHERE organization_id = {organization_id:String} AND kind = 'patterns'
  AND ({run_id:String} = '' OR run_id = {run_id:String})
  AND position(result, {pattern_id:String}) > 0
ORDER BY created_at DESC LIMIT 1`,
        params: { organization_id: organizationId, run_id: runId, pattern_id: patternId },
        organizationId,
        signal,
      });
      const row = rows[0];
      if (!row) return undefined;
      return {
        runId: row.run_id,
        range: { startDate: row.start_date, endDate: row.end_date, timeZone: row.time_zone },
        result: fromJsonString(DiscoverPatternsResponseSchema, row.result),
      };
    },
  };
}

export type RunStore = ReturnType<typeof createRunStore>;
