export interface Versions {
  data: bigint;
  ruleset: bigint;
}

/**
 * The full key of an entry: namespaced by organization and by the versions that make an
 * answer stale, so new data or a campaign edit leaves old entries unreachable.
 */
export function entryKey(organizationId: string, versions: Versions, key: string): string {
  return `trellis:cache:${organizationId}:d${versions.data}:r${versions.ruleset}:${key}`;
}

/** Keys are digests made by callers; anything else is refused before it reaches a store. */
export function isValidCallerKey(key: string): boolean {
  return key.length > 0 && key.length <= 256 && /^[A-Za-z0-9:._-]+$/.test(key);
}
