import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { DiscoveryService } from "@trellis/contracts";
import { echo, NotFoundError, requireOrgScope, ValidationError } from "@trellis/platform";
import { detectAnomalies } from "../anomalies/run.js";
import { boundedInteger } from "../domain/bounds.js";
import type { DiscoveryDeps, RunRequest } from "../domain/run-deps.js";
import { detectFraud } from "../fraud/run.js";
import { adoptPattern } from "../patterns/adopt.js";
import { discoverPatterns } from "../patterns/run.js";
import type { ScheduleStore } from "../schedules/schedule-store.js";
import { scheduleLimits, scheduleToProto, validateSchedule, validateWebhookUrl } from "../schedules/validate.js";
import type { WebhookDestinationPolicy } from "../webhooks/destination.js";
import type { WebhookStore } from "../webhooks/webhook-store.js";

export interface DiscoveryServiceDeps extends DiscoveryDeps {
  schedules: ScheduleStore;
  webhooks: WebhookStore;
  /** Where an organization's webhook may point. */
  webhookPolicy: WebhookDestinationPolicy;
}

/** A handler call as a run request: the verified organization, its signal and deadline. */
function callOf(ctx: HandlerContext): RunRequest {
  return { org: requireOrgScope(ctx.values), trigger: "request", signal: ctx.signal, deadlineMs: ctx.timeoutMs() };
}

const orgOf = (ctx: HandlerContext) => requireOrgScope(ctx.values).context.organizationId;
const RUN_KINDS = ["", "patterns", "anomalies", "fraud"];

/** The discovery contract: each method a step of its own folder, run for the verified organization. */
export function createDiscoveryService(deps: DiscoveryServiceDeps): ServiceImpl<typeof DiscoveryService> {
  return {
    discoverPatterns: (req, ctx) => discoverPatterns(deps, callOf(ctx), req),
    adoptPattern: (req, ctx) => adoptPattern(deps, callOf(ctx), req),
    detectAnomalies: (req, ctx) => detectAnomalies(deps, callOf(ctx), req),
    detectFraud: (req, ctx) => detectFraud(deps, callOf(ctx), req),

    async listDiscoveryRuns(req, ctx) {
      if (!RUN_KINDS.includes(req.kind))
        throw ValidationError.field("kind", `expected one of ${RUN_KINDS.filter(Boolean).join(", ")}`);
      const limit = boundedInteger(req.limit, "limit", 1, 1000, 100);
      return { runs: await deps.runs.list(orgOf(ctx), req.kind, limit, ctx.signal) };
    },
    getDiscoveryRun(req, ctx) {
      if (req.runId === "") throw ValidationError.field("run_id", "is required");
      return deps.runs.get(orgOf(ctx), req.runId, ctx.signal);
    },

    async putDiscoverySchedule(req, ctx) {
      const org = orgOf(ctx);
      const schedule = validateSchedule(req.schedule, deps.clock());
      const existing = await deps.schedules.list(org, ctx.signal);
      const replaced = existing.find((s) => s.id === schedule.id);
      if (req.schedule?.id && !replaced) throw new NotFoundError(`schedule ${echo(req.schedule.id)} does not exist`);
      if (!replaced && existing.length >= scheduleLimits.perOrganization)
        throw ValidationError.field("schedule", `at most ${scheduleLimits.perOrganization} schedules`);
      const stored = replaced
        ? { ...schedule, lastRunAt: replaced.lastRunAt, lastRunId: replaced.lastRunId }
        : schedule;
      await deps.schedules.put(org, stored);
      return { schedule: scheduleToProto(stored) };
    },
    async listDiscoverySchedules(_req, ctx) {
      return { schedules: (await deps.schedules.list(orgOf(ctx), ctx.signal)).map(scheduleToProto) };
    },
    async deleteDiscoverySchedule(req, ctx) {
      const org = orgOf(ctx);
      const schedule = (await deps.schedules.list(org, ctx.signal)).find((s) => s.id === req.scheduleId);
      if (!schedule) throw new NotFoundError(`schedule ${echo(req.scheduleId)} does not exist`);
      await deps.schedules.remove(org, schedule);
      return {};
    },

    async putDiscoveryWebhook(req, ctx) {
      const webhook = await deps.webhooks.put(orgOf(ctx), validateWebhookUrl(req.url, deps.webhookPolicy));
      return { url: webhook.url, secret: webhook.secret };
    },
    async listWebhookDeliveries(req, ctx) {
      const limit = boundedInteger(req.limit, "limit", 1, 1000, 100);
      return { deliveries: await deps.webhooks.deliveries(orgOf(ctx), limit, ctx.signal) };
    },
  };
}
