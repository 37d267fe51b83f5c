import type { DescMethod } from "@bufbuild/protobuf";
import { Scope } from "@trellis/contracts";

/** The scope each public RPC needs; a method not listed here is refused. */
const requiredScopes: Record<string, Scope> = {
  "trellis.warehouse.v1.AnalyticsService/RunSql": Scope.SQL_RUN,
  "trellis.warehouse.v1.IngestService/IngestEvents": Scope.EVENTS_WRITE,
  "trellis.warehouse.v1.IngestService/StreamEvents": Scope.EVENTS_WRITE,
  "trellis.warehouse.v1.CampaignService/ListCampaigns": Scope.ANALYTICS_READ,
  "trellis.warehouse.v1.CampaignService/GetCampaign": Scope.ANALYTICS_READ,
  "trellis.warehouse.v1.CampaignService/ListRulesetVersions": Scope.ANALYTICS_READ,
  "trellis.warehouse.v1.CampaignService/PreviewCampaign": Scope.ANALYTICS_READ,
  "trellis.warehouse.v1.DiscoveryService/AdoptPattern": Scope.CAMPAIGNS_MANAGE,
  "trellis.warehouse.v1.DiscoveryService/PutDiscoverySchedule": Scope.CAMPAIGNS_MANAGE,
  "trellis.warehouse.v1.DiscoveryService/DeleteDiscoverySchedule": Scope.CAMPAIGNS_MANAGE,
  "trellis.warehouse.v1.DiscoveryService/PutDiscoveryWebhook": Scope.CAMPAIGNS_MANAGE,
};

const defaultScopeByService: Record<string, Scope> = {
  "trellis.warehouse.v1.AnalyticsService": Scope.ANALYTICS_READ,
  "trellis.warehouse.v1.IngestService": Scope.EVENTS_WRITE,
  "trellis.warehouse.v1.CampaignService": Scope.CAMPAIGNS_MANAGE,
  "trellis.warehouse.v1.PrivacyService": Scope.PRIVACY_MANAGE,
  "trellis.warehouse.v1.DiscoveryService": Scope.ANALYTICS_READ,
};

/** Methods any valid credential may call, whatever its scopes. */
const openToEveryCredential = new Set(["trellis.warehouse.v1.SessionService/GetSession"]);

/** The scope a method needs; `"any"` when every valid credential may call it; undefined: refused. */
export function requiredScope(service: string, method: string): Scope | "any" | undefined {
  if (openToEveryCredential.has(`${service}/${method}`)) return "any";
  return requiredScopes[`${service}/${method}`] ?? defaultScopeByService[service];
}

const scopesByMethod = new WeakMap<DescMethod, Scope | "any" | null>();

/** requiredScope of a method, found once per method: every call checks it. */
export function requiredScopeOf(method: DescMethod): Scope | "any" | undefined {
  let scope = scopesByMethod.get(method);
  if (scope === undefined) {
    scope = requiredScope(method.parent.typeName, method.name) ?? null;
    scopesByMethod.set(method, scope);
  }
  return scope ?? undefined;
}

export function scopeLabel(scope: Scope): string {
  return Scope[scope].toLowerCase().replace("_", ":");
}
