import { create } from "@bufbuild/protobuf";
import { AnalyticsService, GetTrafficRequestSchema, type Granularity, GranularitySchema } from "@trellis/contracts";
import { analyticsRoutes } from "./analytics-routes.js";
import { campaignRoutes } from "./campaign-routes.js";
import { discoveryRoutes } from "./discovery-routes.js";
import { ingestEventsRoute } from "./events.js";
import { createParams } from "./params.js";
import { privacyRoutes } from "./privacy-routes.js";
import { dateRangeOf, rangeParams } from "./range.js";
import { exportReportRoute, runReportRoute, runSqlRoute } from "./report.js";
import type { RestRoute } from "./route.js";

export type { RawRestInput, RestInput, RestRoute } from "./route.js";
export { matchPath } from "./route.js";

const trafficParams = [...rangeParams, "group_by", "dimensions", "as_of_ruleset_version"];

/** The seed's REST paths, each bound to the RPC that answers it. */
export const restRoutes: readonly RestRoute[] = [
  {
    method: "GET",
    path: "/api/v1/analytics/traffic",
    rpc: AnalyticsService.method.getTraffic,
    reusable: true,
    parse({ query }) {
      const params = createParams(query, trafficParams);
      return create(GetTrafficRequestSchema, {
        range: dateRangeOf(params),
        groupBy: params.enumValue<Granularity>("group_by", GranularitySchema),
        dimensions: params.list("dimensions"),
        asOfRulesetVersion: params.bigint("as_of_ruleset_version"),
      });
    },
  },
  ...analyticsRoutes,
  ...campaignRoutes,
  ...privacyRoutes,
  ...discoveryRoutes,
  ingestEventsRoute,
  runReportRoute,
  exportReportRoute,
  runSqlRoute,
];
