import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { DiscoveryService } from "@trellis/contracts";
import { NotImplementedError, requireOrgScope, ValidationError } from "@trellis/platform";
import { detectAnomalies } from "../anomalies/run.js";
import { boundedInteger } from "../domain/bounds.js";
import type { DiscoveryDeps, RunRequest } from "../domain/run-deps.js";
import { detectFraud } from "../fraud/run.js";
import { adoptPattern } from "../patterns/adopt.js";
import { discoverPatterns } from "../patterns/run.js";

/** A handler call as a run request: the verified organization, its signal and deadline. */
function callOf(ctx: HandlerContext): RunRequest {
  return { org: requireOrgScope(ctx.values), trigger: "request", signal: ctx.signal, deadlineMs: ctx.timeoutMs() };
}

const RUN_KINDS = ["", "patterns", "anomalies", "fraud"];

/** The discovery contract: each method a step of its own folder, run for the verified organization. */
export function createDiscoveryService(deps: DiscoveryDeps): ServiceImpl<typeof DiscoveryService> {
  const notYet = (what: string) => {
    throw new NotImplementedError(`${what} is not available in this version`);
  };
  return {
    discoverPatterns: (req, ctx) => discoverPatterns(deps, callOf(ctx), req),
    adoptPattern: (req, ctx) => adoptPattern(deps, callOf(ctx), req),
    detectAnomalies: (req, ctx) => detectAnomalies(deps, callOf(ctx), req),
    detectFraud: (req, ctx) => detectFraud(deps, callOf(ctx), req),
    async listDiscoveryRuns(req, ctx) {
      const call = callOf(ctx);
      if (!RUN_KINDS.includes(req.kind))
        throw ValidationError.field("kind", `expected one of ${RUN_KINDS.filter(Boolean).join(", ")}`);
      const limit = boundedInteger(req.limit, "limit", 1, 1000, 100);
      return { runs: await deps.runs.list(call.org.context.organizationId, req.kind, limit, call.signal) };
    },
    getDiscoveryRun(req, ctx) {
      const call = callOf(ctx);
      if (req.runId === "") throw ValidationError.field("run_id", "is required");
      return deps.runs.get(call.org.context.organizationId, req.runId, call.signal);
    },
    putDiscoverySchedule: () => notYet("scheduling"),
    listDiscoverySchedules: () => notYet("scheduling"),
    deleteDiscoverySchedule: () => notYet("scheduling"),
    putDiscoveryWebhook: () => notYet("webhooks"),
    listWebhookDeliveries: () => notYet("webhooks"),
  };
}
