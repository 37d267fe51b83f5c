import type { Versions } from "./keys.js";

/** Per-organization data and ruleset versions; both only move forward. */
export function createVersionRegistry() {
  const byOrganization = new Map<string, Versions>();
  const current = (organizationId: string): Versions => {
    let versions = byOrganization.get(organizationId);
    if (!versions) {
      versions = { data: 1n, ruleset: 0n };
      byOrganization.set(organizationId, versions);
    }
    return versions;
  };
  return {
    get: (organizationId: string): Versions => ({ ...current(organizationId) }),
    advanceData(organizationId: string): bigint {
      const versions = current(organizationId);
      versions.data += 1n;
      return versions.data;
    },
    advanceRuleset(organizationId: string, atLeast: bigint): bigint {
      const versions = current(organizationId);
      versions.ruleset = atLeast > versions.ruleset ? atLeast : versions.ruleset + 1n;
      return versions.ruleset;
    },
  };
}

export type VersionRegistry = ReturnType<typeof createVersionRegistry>;
