import { createHash, randomUUID } from "node:crypto";
import { type Logger, NotFoundError, UnavailableError, ValidationError } from "@trellis/platform";
import type { Store } from "@trellis/store";
import type { Ruleset, StoredCampaign } from "@trellis/traffic-rules";
import { readStoredRuleset, type StoredRuleset } from "../domain/campaigns/stored.js";

export interface RulesetVersionInfo {
  version: number;
  createdAt: string;
  principal: string;
  change: string;
}

export interface RulesetChange {
  principal: string;
  /** What changed, for the version history ("create cmp_… (Spring sale)"). */
  describe(result: StoredCampaign): string;
  /** The campaign this change writes, given the current ruleset and the new version number. */
  apply(current: StoredRuleset, version: number): StoredCampaign;
  /** Refuses the ruleset the change would make (throws), before anything is written. */
  check?(next: Ruleset): void;
}

interface RulesetRow {
  version: string;
  change_id: string;
  campaigns: string;
}

const MAX_ATTEMPTS = 8;
/** Ruleset versions whose unreadable campaigns were already logged, per process. */
const MAX_WARNED = 10_000;

const emptyStoredRuleset: StoredRuleset = { version: 0, campaigns: [], unreadable: [] };

export interface RulesetStoreOptions {
  /** Told once per organization and version of campaigns that cannot be read (see readStoredRuleset). */
  logger?: Logger;
}

/**
 * Ruleset versions in the store. Writes are append-only: a change reads the newest version
 * and inserts version + 1 under a deduplication token of that version, so only the first
 * writer of a version lands; a writer whose row was not kept retries on top of the winner.
 * Changes of one organization in one process are also queued, so they never race each other.
 */
export function createRulesetStore(store: Store, options: RulesetStoreOptions = {}) {
  const table = `${store.database}.campaign_rulesets`;
  const queues = new Map<string, Promise<unknown>>();
  const warned = new Set<string>();

  function parse(organizationId: string, row: RulesetRow): StoredRuleset {
    const ruleset = readStoredRuleset(Number(row.version), row.campaigns);
    const key = `${organizationId}\u0000${ruleset.version}`;
    if (ruleset.unreadable.length > 0 && !warned.has(key)) {
      if (warned.size >= MAX_WARNED) warned.clear();
      warned.add(key);
      options.logger?.warn(
        {
          organization_id: organizationId,
          ruleset_version: ruleset.version,
          unreadable: ruleset.unreadable.map(({ id, reason }) => ({ id, reason })),
        },
        "stored campaigns cannot be read; they match nothing and are left out of listings until replaced",
      );
    }
    return ruleset;
  }

  async function newest(organizationId: string, signal?: AbortSignal): Promise<StoredRuleset> {
    const { rows } = await store.query<RulesetRow>({
      name: "campaign ruleset (current)",
      sql: `SELECT version, toString(change_id) AS change_id, campaigns FROM ${table}
WHERE organization_id = {organization_id:String}
ORDER BY version DESC, change_id ASC LIMIT 1`,
      params: { organization_id: organizationId },
      organizationId,
      signal,
    });
    return rows[0] ? parse(organizationId, rows[0]) : emptyStoredRuleset;
  }

  async function atVersion(organizationId: string, version: number, signal?: AbortSignal): Promise<StoredRuleset> {
    if (version === 0) return emptyStoredRuleset;
    const { rows } = await store.query<RulesetRow>({
      name: "campaign ruleset (as of)",
      sql: `SELECT version, toString(change_id) AS change_id, campaigns FROM ${table}
WHERE organization_id = {organization_id:String} AND version = {version:UInt64}
ORDER BY change_id ASC LIMIT 1`,
      params: { organization_id: organizationId, version },
      organizationId,
      signal,
    });
    if (!rows[0]) throw new NotFoundError(`ruleset version ${version} does not exist`);
    return parse(organizationId, rows[0]);
  }

  async function keptChangeOf(organizationId: string, version: number): Promise<string | undefined> {
    const { rows } = await store.query<{ change_id: string }>({
      name: "campaign ruleset (kept change)",
      sql: `SELECT toString(change_id) AS change_id FROM ${table}
WHERE organization_id = {organization_id:String} AND version = {version:UInt64}
ORDER BY change_id LIMIT 1`,
      params: { organization_id: organizationId, version },
      organizationId,
    });
    return rows[0]?.change_id;
  }

  async function write(
    organizationId: string,
    change: RulesetChange,
  ): Promise<{ ruleset: StoredRuleset; campaign: StoredCampaign }> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await newest(organizationId);
      const version = current.version + 1;
      const campaign = change.apply(current, version);
      const campaigns = [...current.campaigns.filter((c) => c.id !== campaign.id), campaign];
      change.check?.({ version, campaigns });
      // Campaigns that cannot be read go on as they were stored (a change never loses one),
      // except the one this change replaces.
      const unreadable = current.unreadable.filter((u) => u.stored !== undefined && u.id !== campaign.id);
      const changeId = randomUUID();
      // One token per (organization, version): the engine keeps the first insert and drops
      // every later one. The token is a digest, so nothing needs quoting in the statement.
      const token = createHash("sha256").update(`${organizationId}\u0000${version}`).digest("hex");
      await store.command({
        name: "campaign ruleset (write)",
        sql: `INSERT INTO ${table} SETTINGS insert_deduplication_token = '${token}'
SELECT {organization_id:String}, {version:UInt64}, toUUID({change_id:String}),
  parseDateTime64BestEffort({created_at:String}, 3, 'UTC'), {principal:String}, {change:String}, {campaigns:String}`,
        params: {
          organization_id: organizationId,
          version,
          change_id: changeId,
          created_at: campaign.updatedAt,
          principal: change.principal,
          change: change.describe(campaign),
          campaigns: JSON.stringify([...campaigns, ...unreadable.map((u) => u.stored)]),
        },
        organizationId,
      });
      if ((await keptChangeOf(organizationId, version)) === changeId)
        return { ruleset: { version, campaigns, unreadable }, campaign };
    }
    throw new UnavailableError("campaigns are being changed concurrently; retry the request");
  }

  return {
    newest,
    atVersion,

    /** Applies one change as the next version of the organization's ruleset. */
    change(organizationId: string, change: RulesetChange) {
      const previous = queues.get(organizationId) ?? Promise.resolve();
      const next = previous.catch(() => undefined).then(() => write(organizationId, change));
      queues.set(organizationId, next);
      void next
        .finally(() => {
          if (queues.get(organizationId) === next) queues.delete(organizationId);
        })
        .catch(() => undefined);
      return next;
    },

    async versions(organizationId: string, limit: number): Promise<RulesetVersionInfo[]> {
      const { rows } = await store.query<{ version: string; created_at: string; principal: string; change: string }>({
        name: "campaign ruleset versions",
        sql: `SELECT version,
  formatDateTime(argMin(created_at, change_id), '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC') AS created_at,
  argMin(principal, change_id) AS principal, argMin(change, change_id) AS change
FROM ${table}
WHERE organization_id = {organization_id:String}
GROUP BY version ORDER BY version DESC LIMIT {limit:UInt32}`,
        params: { organization_id: organizationId, limit },
        organizationId,
      });
      return rows.map((r) => ({
        version: Number(r.version),
        createdAt: r.created_at,
        principal: r.principal,
        change: r.change,
      }));
    },

    /** Refuses regular expressions the engine cannot compile, naming the field of each. */
    async checkRegexes(organizationId: string, regexes: { field: string; pattern: string }[]): Promise<void> {
      for (const regex of regexes) {
        try {
          await store.query({
            name: "campaign regex check",
            sql: "SELECT match('', {pattern:String}) AS ok",
            params: { pattern: regex.pattern },
            organizationId,
          });
        } catch (error) {
          const reason = (error as Error).message.split("\n")[0]?.slice(0, 300) ?? "invalid";
          throw ValidationError.field(regex.field, `is not a valid regular expression (RE2 syntax): ${reason}`);
        }
      }
    },
  };
}

export type RulesetStore = ReturnType<typeof createRulesetStore>;
