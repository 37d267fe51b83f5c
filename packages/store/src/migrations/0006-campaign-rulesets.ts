import { type DdlTarget, everywhereTable } from "./ddl.js";

/**
 * Every version of every organization's campaign ruleset, kept whole: a change writes the next
 * version and overwrites nothing, so any past version can be answered "as of". Writers that
 * race for one version insert with the same deduplication token, so the engine keeps the
 * first and drops the others (block deduplication: Keeper on a cluster, the table's window
 * otherwise); a writer whose row is not the one kept retries with the next version.
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
      tail: `ORDER BY (organization_id, version, change_id)
SETTINGS ${target.cluster ? "replicated_deduplication_window" : "non_replicated_deduplication_window"} = 1000`,
    }),
  ];
}
