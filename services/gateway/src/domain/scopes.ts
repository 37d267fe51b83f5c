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
};

const defaultScopeByService: Record<string, Scope> = {
  "trellis.warehouse.v1.AnalyticsService": Scope.ANALYTICS_READ,
  "trellis.warehouse.v1.IngestService": Scope.EVENTS_WRITE,
  "trellis.warehouse.v1.CampaignService": Scope.CAMPAIGNS_MANAGE,
  "trellis.warehouse.v1.PrivacyService": Scope.PRIVACY_MANAGE,
};

export function requiredScope(service: string, method: string): Scope | undefined {
  return requiredScopes[`${service}/${method}`] ?? defaultScopeByService[service];
}

export function scopeLabel(scope: Scope): string {
  return Scope[scope].toLowerCase().replace("_", ":");
}
