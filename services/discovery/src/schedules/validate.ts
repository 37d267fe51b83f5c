import { isIP } from "node:net";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type DiscoverySchedule, DiscoveryScheduleSchema } from "@trellis/contracts";
import { echo, ValidationError } from "@trellis/platform";
import { findDimension, findMetric } from "@trellis/traffic-rules";
import { anomalyDefaults } from "../anomalies/run.js";
import { hostOf, isInternalAddress, isLoopbackHost, type WebhookDestinationPolicy } from "../webhooks/destination.js";
import { newScheduleId, type StoredSchedule } from "./schedule-store.js";

export const scheduleLimits = { perOrganization: 20, maxLookbackDays: 90, defaultLookbackDays: 7 };
const KINDS = ["patterns", "anomalies", "fraud"] as const;
const PERIODS = ["hour", "day"] as const;
const SCHEDULE_ID = /^sch_[A-Za-z0-9_-]{1,32}$/;

/** A schedule from a request, checked field by field; a new one is due at once. */
export function validateSchedule(input: DiscoverySchedule | undefined, now: Date): StoredSchedule {
  if (!input) throw ValidationError.field("schedule", "is required");
  const kind = KINDS.find((k) => k === input.kind);
  if (!kind) throw ValidationError.field("schedule.kind", `expected one of ${KINDS.join(", ")}`);
  const every = PERIODS.find((p) => p === input.every);
  if (!every) throw ValidationError.field("schedule.every", `expected one of ${PERIODS.join(", ")}`);
  if (input.id !== "" && !SCHEDULE_ID.test(input.id))
    throw ValidationError.field("schedule.id", `unknown schedule id ${echo(input.id)}`);
  const lookbackDays = input.lookbackDays === 0 ? scheduleLimits.defaultLookbackDays : input.lookbackDays;
  if (lookbackDays > scheduleLimits.maxLookbackDays)
    throw ValidationError.field("schedule.lookback_days", `must be between 1 and ${scheduleLimits.maxLookbackDays}`);
  const metric = kind === "anomalies" ? input.metric || anomalyDefaults.metric : "";
  if (metric !== "" && !findMetric(metric))
    throw ValidationError.field("schedule.metric", `unknown metric ${echo(metric)}`);
  if (input.dimensions.length > anomalyDefaults.maxDimensions)
    throw ValidationError.field("schedule.dimensions", `at most ${anomalyDefaults.maxDimensions}`);
  input.dimensions.forEach((d, i) => {
    if (!findDimension(d)) throw ValidationError.field(`schedule.dimensions[${i}]`, `unknown dimension ${echo(d)}`);
  });
  return {
    id: input.id || newScheduleId(),
    kind,
    every,
    lookbackDays,
    metric,
    dimensions: kind === "anomalies" ? [...input.dimensions] : [],
    nextRunAt: now.toISOString(),
  };
}

export function scheduleToProto(s: StoredSchedule): DiscoverySchedule {
  return create(DiscoveryScheduleSchema, {
    id: s.id,
    kind: s.kind,
    every: s.every,
    lookbackDays: s.lookbackDays,
    metric: s.metric,
    dimensions: s.dimensions,
    nextRunAt: timestampFromDate(new Date(s.nextRunAt)),
    lastRunAt: s.lastRunAt ? timestampFromDate(new Date(s.lastRunAt)) : undefined,
    lastRunId: s.lastRunId ?? "",
  });
}

/**
 * A webhook URL: HTTPS to a public host; with `allowLoopback`, also plain HTTP to this machine's
 * loopback (a receiver next to the product). Names are checked again, resolved, at each delivery.
 */
export function validateWebhookUrl(raw: string, policy: WebhookDestinationPolicy): string {
  if (raw === "") return "";
  if (raw.length > 2000) throw ValidationError.field("url", "must be at most 2000 characters");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw ValidationError.field("url", `is not a URL: ${echo(raw)}`);
  }
  const host = hostOf(url);
  const loopback = policy.allowLoopback && isLoopbackHost(host);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback))
    throw ValidationError.field(
      "url",
      policy.allowLoopback ? "must be https (http only to a loopback host)" : "must be https",
    );
  if (url.username || url.password) throw ValidationError.field("url", "must not hold credentials");
  if (!loopback && (host === "localhost" || (isIP(host) !== 0 && isInternalAddress(host))))
    throw ValidationError.field("url", "must name a public host, not a loopback, private or link-local address");
  return url.toString();
}
