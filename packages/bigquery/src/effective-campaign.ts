/**
 * The effective campaign of an event under a ruleset, as SQL over the events table with its
 * bound parameters. The query service compiles it (and credits campaigns with it); the export
 * computes the read path's tables under it, so both credit the same campaigns.
 */
export interface EffectiveCampaign {
  /** The ruleset version it was compiled from. */
  version: number;
  sql: string;
  params: Record<string, unknown>;
}
