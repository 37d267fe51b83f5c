import { calibrate, createReturnModel } from "./calibration.js";
import type { GeneratedEvent } from "./event.js";
import { type FraudPlan, planFraudBursts } from "./fraud.js";
import type { GroundTruth } from "./ground-truth.js";
import { createOrganizations, type Organization } from "./organizations.js";
import { type PatternPlan, planPatterns } from "./patterns.js";
import { Simulation } from "./simulation.js";

export interface GeneratorOptions {
  seed: number;
  /** Number of organizations (1 to 10 000). */
  organizations: number;
  /** Approximate number of events across all organizations. */
  totalEvents: number;
  /** Time span of the traffic; every event lies within [start, end]. */
  start: Date;
  end: Date;
  /** Prefix of organization ids (default "org": org_0001, org_0002, …, largest first). */
  organizationIdPrefix?: string;
}

export interface TrafficGenerator {
  /** The organizations, largest first, with their planned share of the events. */
  readonly organizations: Organization[];
  /**
   * Events in batches of at most `batchSize`, in time order across all organizations.
   * Every call starts the same run again: the events depend only on the options, never on
   * the batch size. Memory stays bounded by the traffic in flight, not the total.
   */
  batches(batchSize: number): Generator<GeneratedEvent[], void, undefined>;
  /** The ground truth of the last run of `batches` that was consumed to the end. */
  groundTruth(): GroundTruth;
}

function validate(options: GeneratorOptions): void {
  const problems: string[] = [];
  if (!Number.isFinite(options.seed)) problems.push("seed: expected a finite number");
  if (!Number.isInteger(options.organizations) || options.organizations < 1 || options.organizations > 10_000) {
    problems.push(`organizations: expected an integer from 1 to 10000, got ${options.organizations}`);
  }
  if (!Number.isFinite(options.totalEvents) || options.totalEvents < 0) {
    problems.push(`totalEvents: expected a non-negative number, got ${options.totalEvents}`);
  }
  const start = options.start?.getTime?.();
  const end = options.end?.getTime?.();
  if (start === undefined || Number.isNaN(start)) problems.push("start: expected a valid Date");
  if (end === undefined || Number.isNaN(end)) problems.push("end: expected a valid Date");
  else if (start !== undefined && end <= start) problems.push("end: expected a Date after start");
  const prefix = options.organizationIdPrefix ?? "org";
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,31}$/.test(prefix)) {
    problems.push(
      `organizationIdPrefix: expected letters, digits, "_" or "-" starting with a letter, got ${JSON.stringify(prefix)}`,
    );
  }
  if (problems.length > 0) throw new RangeError(`invalid generator options: ${problems.join("; ")}`);
}

export function createGenerator(options: GeneratorOptions): TrafficGenerator {
  validate(options);
  const { seed, totalEvents } = options;
  const startMs = options.start.getTime();
  const endMs = options.end.getTime();
  const organizations = createOrganizations({
    seed,
    count: options.organizations,
    idPrefix: options.organizationIdPrefix ?? "org",
    start: options.start,
    end: options.end,
  });
  const plannedEvents = organizations.map((org) => totalEvents * org.share);
  const usedIps = new Set<string>();
  const fraud: FraudPlan[] = [];
  const patterns: PatternPlan[] = [];
  for (const org of organizations) {
    const planned = plannedEvents[org.index] as number;
    fraud.push(...planFraudBursts(org, seed, planned, startMs, endMs, usedIps));
    patterns.push(...planPatterns(org, seed, planned, startMs, endMs));
  }
  const fraudEvents = organizations.map(() => 0);
  for (const plan of fraud)
    fraudEvents[plan.organization.index] = (fraudEvents[plan.organization.index] ?? 0) + plan.clicks;
  const rates = calibrate({
    organizations,
    plannedEvents,
    fraudEvents,
    patterns,
    startMs,
    endMs,
    returns: createReturnModel(seed),
  });
  let truth: GroundTruth | null = null;

  return {
    organizations: organizations.map(({ id, name, share, domain }) => ({ id, name, share, domain })),
    *batches(batchSize) {
      if (!Number.isInteger(batchSize) || batchSize < 1) {
        throw new RangeError(`batchSize: expected a positive integer, got ${batchSize}`);
      }
      const simulation = new Simulation({
        seed,
        startMs,
        endMs,
        totalEvents,
        organizations,
        rates,
        patterns,
        fraud,
      });
      for (;;) {
        const batch = simulation.next(batchSize);
        if (batch.length === 0) break;
        yield batch;
      }
      truth = simulation.groundTruth();
    },
    groundTruth() {
      if (truth === null) {
        throw new Error("groundTruth() is available once a run of batches() has been consumed to the end");
      }
      return structuredClone(truth);
    },
  };
}
