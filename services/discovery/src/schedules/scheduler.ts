import { create, type DescMessage, toJson } from "@bufbuild/protobuf";
import {
  DetectAnomaliesRequestSchema,
  DetectAnomaliesResponseSchema,
  DetectFraudRequestSchema,
  DetectFraudResponseSchema,
  DiscoverPatternsRequestSchema,
  DiscoverPatternsResponseSchema,
  Granularity,
  OrgContextSchema,
} from "@trellis/contracts";
import type { ContextSigner, OrgScope } from "@trellis/platform";
import { detectAnomalies } from "../anomalies/run.js";
import type { DiscoveryDeps } from "../domain/run-deps.js";
import { detectFraud } from "../fraud/run.js";
import { discoverPatterns } from "../patterns/run.js";
import type { WebhookDelivery } from "../webhooks/deliver.js";
import type { ScheduleStore, StoredSchedule } from "./schedule-store.js";

const DAY = 86_400_000;
const PERIOD_MS = { hour: 3_600_000, day: DAY };
/** Due schedules started per tick; the rest wait for the next one. */
const PER_TICK = 100;

/** The dates a scheduled run covers: the last `lookbackDays` days up to today (UTC). */
export function scheduledRange(now: Date, lookbackDays: number) {
  const endDate = now.toISOString().slice(0, 10);
  const startDate = new Date(now.getTime() - (lookbackDays - 1) * DAY).toISOString().slice(0, 10);
  return { startDate, endDate, timeZone: "UTC" };
}

/**
 * Runs due schedules: each as its organization (a context token minted for it, so the campaign
 * service sees the organization), stored like any run (trigger "schedule:<id>"), announced to
 * the organization's webhook when it found something, then moved to its next time.
 */
export function createScheduler(
  deps: DiscoveryDeps,
  schedules: ScheduleStore,
  webhooks: WebhookDelivery,
  signer: ContextSigner,
  tickMs: number,
) {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  async function runOne(organizationId: string, schedule: StoredSchedule): Promise<void> {
    const now = deps.clock();
    const token = await signer.mint(
      create(OrgContextSchema, { organizationId, principal: `system:discovery-schedule:${schedule.id}` }),
    );
    const org: OrgScope = { context: create(OrgContextSchema, { organizationId }), token };
    const call = { org, trigger: `schedule:${schedule.id}` };
    const range = scheduledRange(now, schedule.lookbackDays);
    deps.logger.info(
      { organization_id: organizationId, schedule_id: schedule.id, kind: schedule.kind, range },
      "scheduled run started",
    );
    let runId: string;
    let findings: number;
    let result: unknown;
    if (schedule.kind === "patterns") {
      const answer = await discoverPatterns(deps, call, create(DiscoverPatternsRequestSchema, { range }));
      [runId, findings, result] = [
        answer.runId,
        answer.patterns.length,
        toJson(DiscoverPatternsResponseSchema as DescMessage, answer),
      ];
    } else if (schedule.kind === "anomalies") {
      const answer = await detectAnomalies(
        deps,
        call,
        create(DetectAnomaliesRequestSchema, {
          range,
          metric: schedule.metric,
          dimensions: schedule.dimensions,
          granularity: schedule.every === "hour" ? Granularity.HOUR : Granularity.DAY,
        }),
      );
      [runId, findings, result] = [
        answer.runId,
        answer.anomalies.length,
        toJson(DetectAnomaliesResponseSchema as DescMessage, answer),
      ];
    } else {
      const answer = await detectFraud(deps, call, create(DetectFraudRequestSchema, { range }));
      [runId, findings, result] = [
        answer.runId,
        answer.patterns.length,
        toJson(DetectFraudResponseSchema as DescMessage, answer),
      ];
    }
    await schedules.put(organizationId, {
      ...schedule,
      lastRunAt: now.toISOString(),
      lastRunId: runId,
      nextRunAt: new Date(now.getTime() + PERIOD_MS[schedule.every]).toISOString(),
    });
    deps.logger.info(
      { organization_id: organizationId, schedule_id: schedule.id, run_id: runId, findings },
      "scheduled run done",
    );
    if (findings > 0)
      webhooks.announce(organizationId, runId, {
        type: `discovery.${schedule.kind}`,
        organization_id: organizationId,
        schedule_id: schedule.id,
        run_id: runId,
        range,
        findings,
        result,
      });
  }

  async function tick(): Promise<void> {
    const due = await schedules.due(deps.clock(), PER_TICK);
    for (const { organizationId, schedule } of due) {
      try {
        await runOne(organizationId, schedule);
      } catch (error) {
        deps.logger.error(
          { err: error, organization_id: organizationId, schedule_id: schedule.id },
          "scheduled run failed",
        );
        // Tried again at its next time, not at every tick.
        const next = new Date(deps.clock().getTime() + PERIOD_MS[schedule.every]).toISOString();
        await schedules.put(organizationId, { ...schedule, nextRunAt: next }).catch(() => undefined);
      }
    }
  }

  return {
    start(): void {
      if (tickMs <= 0) return;
      timer = setInterval(() => {
        if (running) return; // the previous tick is still working
        running = tick()
          .catch((error) => deps.logger.error({ err: error }, "schedule tick failed"))
          .finally(() => {
            running = undefined;
          });
      }, tickMs);
      timer.unref();
    },
    async close(): Promise<void> {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
