import { create } from "@bufbuild/protobuf";
import {
  AdoptPatternRequestSchema,
  DateRangeSchema,
  DeleteDiscoveryScheduleRequestSchema,
  DetectAnomaliesRequestSchema,
  DetectFraudRequestSchema,
  DiscoverPatternsRequestSchema,
  DiscoveryScheduleSchema,
  DiscoveryService,
  GetDiscoveryRunRequestSchema,
  type Granularity,
  GranularitySchema,
  ListDiscoveryRunsRequestSchema,
  ListDiscoverySchedulesRequestSchema,
  ListWebhookDeliveriesRequestSchema,
  PutDiscoveryScheduleRequestSchema,
  PutDiscoveryWebhookRequestSchema,
} from "@trellis/contracts";
import { echo, ValidationError } from "@trellis/platform";
import { parseCampaign } from "./campaign-routes.js";
import { object, only, strings, text, whole } from "./json-body.js";
import { createParams } from "./params.js";
import { dateRangeOf, rangeParams } from "./range.js";
import type { RestRoute } from "./route.js";

type Params = ReturnType<typeof createParams>;

/** A decimal query parameter (0 when absent: the service's default). */
function decimal(params: Params, name: string): number {
  const raw = params.string(name);
  if (raw === "") return 0;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw ValidationError.field(name, `expected a number, got ${echo(raw)}`);
  return value;
}

function flag(params: Params, name: string): boolean {
  const raw = params.string(name);
  if (raw !== "" && raw !== "true" && raw !== "false") throw ValidationError.field(name, "expected true or false");
  return raw === "true";
}

function noBody(body: unknown): void {
  if (body !== undefined) throw ValidationError.field("body", "this call takes no body");
}

/** Discovery under /api/v1/discovery: patterns and adopting them, anomalies, fraud, runs, schedules, the webhook. */
export const discoveryRoutes: readonly RestRoute[] = [
  {
    method: "GET",
    path: "/api/v1/discovery/patterns",
    rpc: DiscoveryService.method.discoverPatterns,
    parse({ query }) {
      const params = createParams(query, [...rangeParams, "limit", "min_sessions", "min_support", "min_growth"]);
      return create(DiscoverPatternsRequestSchema, {
        range: dateRangeOf(params),
        limit: params.uint("limit"),
        minEvents: BigInt(params.uint("min_sessions")),
        minSupport: decimal(params, "min_support"),
        minGrowth: decimal(params, "min_growth"),
      });
    },
  },
  {
    method: "POST",
    path: "/api/v1/discovery/patterns/{pattern_id}/adopt",
    rpc: DiscoveryService.method.adoptPattern,
    parse({ query, body, path }) {
      createParams(query, []);
      const root = body === undefined ? {} : object(body, "body");
      only(root, "", ["name", "run_id", "range", "campaign"]);
      const range = root.range === undefined ? undefined : object(root.range, "range");
      if (range) only(range, "range", ["start_date", "end_date", "time_zone"]);
      return create(AdoptPatternRequestSchema, {
        patternId: path.pattern_id,
        name: text(root.name, "name"),
        runId: text(root.run_id, "run_id"),
        range: range
          ? create(DateRangeSchema, {
              startDate: text(range.start_date, "range.start_date"),
              endDate: text(range.end_date, "range.end_date"),
              timeZone: text(range.time_zone, "range.time_zone"),
            })
          : undefined,
        campaign: root.campaign === undefined ? undefined : parseCampaign(root.campaign, "campaign"),
      });
    },
  },
  {
    method: "GET",
    path: "/api/v1/discovery/anomalies",
    rpc: DiscoveryService.method.detectAnomalies,
    parse({ query }) {
      const params = createParams(query, [
        ...rangeParams,
        "metric",
        "group_by",
        "dimensions",
        "include_bots",
        "threshold",
      ]);
      return create(DetectAnomaliesRequestSchema, {
        range: dateRangeOf(params),
        metric: params.string("metric"),
        granularity: params.enumValue<Granularity>("group_by", GranularitySchema),
        dimensions: params.list("dimensions"),
        includeBots: flag(params, "include_bots"),
        threshold: decimal(params, "threshold"),
      });
    },
  },
  {
    method: "GET",
    path: "/api/v1/discovery/fraud",
    rpc: DiscoveryService.method.detectFraud,
    parse({ query }) {
      const params = createParams(query, [...rangeParams, "limit"]);
      return create(DetectFraudRequestSchema, { range: dateRangeOf(params), limit: params.uint("limit") });
    },
  },
  {
    method: "GET",
    path: "/api/v1/discovery/runs",
    rpc: DiscoveryService.method.listDiscoveryRuns,
    parse({ query }) {
      const params = createParams(query, ["kind", "limit"]);
      return create(ListDiscoveryRunsRequestSchema, { kind: params.string("kind"), limit: params.uint("limit") });
    },
  },
  {
    method: "GET",
    path: "/api/v1/discovery/runs/{run_id}",
    rpc: DiscoveryService.method.getDiscoveryRun,
    parse({ query, path }) {
      createParams(query, []);
      return create(GetDiscoveryRunRequestSchema, { runId: path.run_id });
    },
  },
  {
    method: "GET",
    path: "/api/v1/discovery/schedules",
    rpc: DiscoveryService.method.listDiscoverySchedules,
    parse({ query }) {
      createParams(query, []);
      return create(ListDiscoverySchedulesRequestSchema, {});
    },
  },
  {
    method: "POST",
    path: "/api/v1/discovery/schedules",
    rpc: DiscoveryService.method.putDiscoverySchedule,
    parse({ query, body }) {
      createParams(query, []);
      const root = object(body, "body");
      only(root, "", ["id", "kind", "every", "lookback_days", "metric", "dimensions"]);
      return create(PutDiscoveryScheduleRequestSchema, {
        schedule: create(DiscoveryScheduleSchema, {
          id: text(root.id, "id"),
          kind: text(root.kind, "kind"),
          every: text(root.every, "every"),
          lookbackDays: whole(root.lookback_days, "lookback_days"),
          metric: text(root.metric, "metric"),
          dimensions: strings(root.dimensions, "dimensions"),
        }),
      });
    },
  },
  {
    method: "DELETE",
    path: "/api/v1/discovery/schedules/{schedule_id}",
    rpc: DiscoveryService.method.deleteDiscoverySchedule,
    parse({ query, body, path }) {
      createParams(query, []);
      noBody(body);
      return create(DeleteDiscoveryScheduleRequestSchema, { scheduleId: path.schedule_id });
    },
  },
  {
    method: "PUT",
    path: "/api/v1/discovery/webhook",
    rpc: DiscoveryService.method.putDiscoveryWebhook,
    parse({ query, body }) {
      createParams(query, []);
      const root = object(body, "body");
      only(root, "", ["url"]);
      return create(PutDiscoveryWebhookRequestSchema, { url: text(root.url, "url") });
    },
  },
  {
    method: "GET",
    path: "/api/v1/discovery/webhook/deliveries",
    rpc: DiscoveryService.method.listWebhookDeliveries,
    parse({ query }) {
      const params = createParams(query, ["limit"]);
      return create(ListWebhookDeliveriesRequestSchema, { limit: params.uint("limit") });
    },
  },
];
