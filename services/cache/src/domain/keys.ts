import type { KeyScope } from "./versions.js";

/** Keys are digests made by callers; anything else is refused before it reaches a store. */
export function isValidCallerKey(key: string): boolean {
  return key.length > 0 && key.length <= 256 && /^[A-Za-z0-9:._-]+$/.test(key);
}

/**
 * The organization as it appears inside keys. Ids of the usual shape are kept as they are;
 * anything else (a JWT claim may hold any text) is encoded, so that no id can close the
 * `{…}` hash tag early or look like another organization's namespace.
 */
export function organizationTag(organizationId: string): string {
  if (/^[A-Za-z0-9_.-]{1,128}$/.test(organizationId)) return organizationId;
  return `~${Buffer.from(organizationId, "utf8").toString("base64url")}`;
}

/**
 * `<prefix>:{<organization>}`: Redis Cluster hashes only the part inside the braces, so all
 * of an organization's keys, its versions included, live in one slot.
 */
export function organizationNamespace(prefix: string, organizationId: string): string {
  return `${prefix}:{${organizationTag(organizationId)}}`;
}

export function versionsKey(prefix: string, organizationId: string): string {
  return `${organizationNamespace(prefix, organizationId)}:versions`;
}

/**
 * The full key of an entry: namespaced by organization and by the versions that make an
 * answer stale, so new data or a campaign edit leaves old entries unreachable.
 */
export function entryKey(prefix: string, organizationId: string, scope: KeyScope, callerKey: string): string {
  const data = scope.range ? `${scope.range.start}_${scope.range.end}.v${scope.data}` : `a${scope.data}`;
  return `${organizationNamespace(prefix, organizationId)}:e:r${scope.ruleset}:${data}:${callerKey}`;
}
