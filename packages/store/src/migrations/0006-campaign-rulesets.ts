import { type DdlTarget, everywhereTable } from "./ddl.js";

/**
 * Every version of every organization's campaign ruleset, kept whole: a change writes the next
 * version and overwrites nothing, so any past version can be answered "as of". Two writers that
 * race for one version both land; readers take the row with the smallest change_id and the
 * other writer retries with the next version.
 */
export function campaignRulesetsTable(target: DdlTarget): string[] {
  return [
    everywhereTable(target, "campaign_rulesets", {
      columns: `    organization_id String,
    version UInt64,
    change_id UUID,
    created_at DateTime64(3, 'UTC'),
    principal String,
    change String,
    campaigns String CODEC(ZSTD(3))`,
      engine: "MergeTree",
      tail: "ORDER BY (organization_id, version, change_id)",
    }),
  ];
}
