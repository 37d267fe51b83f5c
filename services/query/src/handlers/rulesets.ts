import type { Ruleset } from "@trellis/traffic-rules";
import { type BoundSql, compileEffectiveCampaign } from "@trellis/traffic-rules";
import type { RulesetStore } from "../adapters/ruleset-store.js";

/** A ruleset ready for questions: its version, campaigns and the compiled effective-campaign SQL. */
export interface ActiveRuleset {
  ruleset: Ruleset;
  effectiveCampaign: BoundSql;
}

const MAX_PAST_VERSIONS = 1000;

/**
 * Rulesets as questions need them. The current one of an organization is reused for
 * `freshForMs` (the bound on how late another instance's campaign change is seen; a change
 * made through this process is seen at once); past versions never change and are kept in a
 * bounded map.
 */
export interface RulesetProviderOptions {
  freshForMs?: number;
  now?: () => number;
  /** Called when an organization's current ruleset moves to a newer version. */
  onNewVersion?: (organizationId: string) => void;
}

export function createRulesetProvider(store: RulesetStore, options: RulesetProviderOptions = {}) {
  const freshForMs = options.freshForMs ?? 1_000;
  const now = options.now ?? Date.now;
  const current = new Map<string, { active: ActiveRuleset; loadedAt: number }>();
  const loading = new Map<string, Promise<ActiveRuleset>>();
  const past = new Map<string, ActiveRuleset>();

  const prepare = (ruleset: Ruleset): ActiveRuleset => ({
    ruleset,
    effectiveCampaign: compileEffectiveCampaign(ruleset),
  });

  function remember(organizationId: string, ruleset: Ruleset): ActiveRuleset {
    const active = prepare(ruleset);
    const known = current.get(organizationId);
    if (!known || known.active.ruleset.version <= ruleset.version)
      current.set(organizationId, { active, loadedAt: now() });
    if (known && known.active.ruleset.version < ruleset.version) options.onNewVersion?.(organizationId);
    return active;
  }

  async function loadCurrent(organizationId: string, signal?: AbortSignal): Promise<ActiveRuleset> {
    const known = current.get(organizationId);
    if (known && now() - known.loadedAt < freshForMs) return known.active;
    let pending = loading.get(organizationId);
    if (!pending) {
      pending = store
        .newest(organizationId, signal)
        .then((ruleset) => remember(organizationId, ruleset))
        .finally(() => loading.delete(organizationId));
      loading.set(organizationId, pending);
    }
    return pending;
  }

  async function loadPast(organizationId: string, version: number, signal?: AbortSignal): Promise<ActiveRuleset> {
    const key = `${organizationId}\u0000${version}`;
    const known = past.get(key);
    if (known) return known;
    const active = prepare(await store.atVersion(organizationId, version, signal));
    if (past.size >= MAX_PAST_VERSIONS) past.delete(past.keys().next().value as string);
    past.set(key, active);
    return active;
  }

  return {
    /** The ruleset a question runs under: the given version, or the current one when 0. */
    resolve(organizationId: string, asOfVersion: number, signal?: AbortSignal): Promise<ActiveRuleset> {
      return asOfVersion > 0 ? loadPast(organizationId, asOfVersion, signal) : loadCurrent(organizationId, signal);
    },
    /** Records a version this process just wrote, so its next question uses it. */
    remember,
  };
}

export type RulesetProvider = ReturnType<typeof createRulesetProvider>;
