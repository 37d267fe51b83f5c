import { create, type DescMessage, type DescMethod, type MessageShape } from "@bufbuild/protobuf";
import {
  AnalyticsService,
  DateRangeSchema,
  GetTrafficRequestSchema,
  type Granularity,
  GranularitySchema,
} from "@trellis/contracts";
import { analyticsRoutes } from "./analytics-routes.js";
import { campaignRoutes } from "./campaign-routes.js";
import { ingestEventsRoute } from "./events.js";
import { createParams } from "./params.js";
import { exportReportRoute, runReportRoute, runSqlRoute } from "./report.js";

export interface RestInput {
  query: URLSearchParams;
  body: unknown;
  /** Values of the `{name}` segments of the route's path. */
  path: Record<string, string>;
}

export interface RawRestInput {
  query: URLSearchParams;
  raw: Buffer;
  contentType: string;
  idempotencyKey?: string;
}

export interface RestRoute {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Exact, or with `{name}` segments (one path segment each). */
  path: string;
  rpc: DescMethod;
  parse(input: RestInput): MessageShape<DescMessage>;
  /**
   * A question answered through the query service's cache: the gateway may serve the same
   * rendered answer to the same request (path, query string and body) again within its hot
   * window (see hot-answers.ts).
   */
  reusable?: boolean;
  /** Routes that stream a file (CSV, NDJSON) from a server-streaming RPC. */
  download?(
    input: RestInput,
    stream: (message: MessageShape<DescMessage>) => AsyncIterable<MessageShape<DescMessage>>,
  ): { contentType: string; lines: AsyncIterable<string> };
  /** Routes that shape their own answer: given the raw body and a way to call the RPC. */
  exchange?(
    input: RawRestInput,
    invoke: (message: MessageShape<DescMessage>) => Promise<MessageShape<DescMessage>>,
  ): Promise<{ status: number; body: unknown }>;
}

const rangeParams = ["start_date", "end_date", "time_zone"] as const;

function dateRange(params: ReturnType<typeof createParams>) {
  return create(DateRangeSchema, {
    startDate: params.required("start_date"),
    endDate: params.required("end_date"),
    timeZone: params.string("time_zone"),
  });
}

/** The seed's REST paths, each bound to the RPC that answers it. */
export const restRoutes: readonly RestRoute[] = [
  {
    method: "GET",
    path: "/api/v1/analytics/traffic",
    rpc: AnalyticsService.method.getTraffic,
    reusable: true,
    parse({ query }) {
      const params = createParams(query, [...rangeParams, "group_by", "dimensions", "as_of_ruleset_version"]);
      return create(GetTrafficRequestSchema, {
        range: dateRange(params),
        groupBy: params.enumValue<Granularity>("group_by", GranularitySchema),
        dimensions: params.list("dimensions"),
        asOfRulesetVersion: params.bigint("as_of_ruleset_version"),
      });
    },
  },
  ...analyticsRoutes,
  ...campaignRoutes,
  ingestEventsRoute,
  runReportRoute,
  exportReportRoute,
  runSqlRoute,
];

/** The path parameters when `pathname` fits the route's path, else undefined. */
export function matchPath(template: string, pathname: string): Record<string, string> | undefined {
  if (!template.includes("{")) return template === pathname ? {} : undefined;
  const want = template.split("/");
  const got = pathname.split("/");
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const segment = want[i] as string;
    const value = got[i] as string;
    if (segment.startsWith("{") && segment.endsWith("}")) {
      if (value === "") return undefined;
      try {
        params[segment.slice(1, -1)] = decodeURIComponent(value);
      } catch {
        return undefined;
      }
    } else if (segment !== value) {
      return undefined;
    }
  }
  return params;
}
