import { Scope } from "@trellis/contracts";

/** Scope names as they appear in JWT `scope` claims and the CLI. */
export const scopeNames: Record<string, Scope> = {
  "analytics:read": Scope.ANALYTICS_READ,
  "events:write": Scope.EVENTS_WRITE,
  "campaigns:manage": Scope.CAMPAIGNS_MANAGE,
  "sql:run": Scope.SQL_RUN,
  "privacy:manage": Scope.PRIVACY_MANAGE,
};

export const allScopes: Scope[] = Object.values(scopeNames);

export function scopeName(scope: Scope): string {
  return Object.entries(scopeNames).find(([, s]) => s === scope)?.[0] ?? Scope[scope] ?? String(scope);
}

/** Parses scope names; unknown names are returned separately so callers can reject them. */
export function parseScopes(names: readonly string[]): { scopes: Scope[]; unknown: string[] } {
  const scopes: Scope[] = [];
  const unknown: string[] = [];
  for (const name of names) {
    const scope = scopeNames[name];
    if (scope === undefined) unknown.push(name);
    else if (!scopes.includes(scope)) scopes.push(scope);
  }
  return { scopes, unknown };
}
