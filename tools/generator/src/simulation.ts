import { CrawlActor } from "./bots.js";
import type { OrganizationRates } from "./calibration.js";
import { createSimulationContext, type SimulationContext } from "./context.js";
import type { GeneratedEvent } from "./event.js";
import { FraudActor, type FraudPlan } from "./fraud.js";
import { type GroundTruth, OrganizationTally } from "./ground-truth.js";
import { VisitorActor } from "./journeys.js";
import type { OrganizationModel } from "./organizations.js";
import { type PatternPlan, type PatternRun, startPattern } from "./patterns.js";
import { createRandom, type Random, Stream } from "./prng.js";
import { type Actor, ActorQueue } from "./scheduler.js";
import { createWeightedChoice, type WeightedChoice } from "./weighted.js";

export interface SimulationSetup {
  readonly seed: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly totalEvents: number;
  readonly organizations: readonly OrganizationModel[];
  readonly rates: readonly OrganizationRates[];
  readonly patterns: readonly PatternPlan[];
  readonly fraud: readonly FraudPlan[];
}

/** Expected events per time bucket: arrivals are drawn a bucket at a time. */
const EVENTS_PER_BUCKET = 20_000;

/**
 * One run of the generator. Actors wait in a heap ordered by the time of their next event;
 * actors dormant beyond the current bucket (visitors between sessions, bursts to come) wait
 * in a calendar of buckets instead, so the heap holds only what is about to happen. The
 * events come out in time order across all organizations, with nothing held but the actors.
 */
export class Simulation {
  private readonly context: SimulationContext;
  private readonly queue = new ActorQueue();
  private readonly calendar: Array<Actor[] | undefined>;
  private readonly bucketMs: number;
  private readonly buckets: number;
  private bucket = -1;
  private limit = Number.NEGATIVE_INFINITY;
  private emitted = 0;
  private readonly arrivals: Random;
  private readonly humanEnvelope: number;
  private readonly humanChoice: WeightedChoice<OrganizationModel> | null;
  private readonly crawlRate: number;
  private readonly crawlChoice: WeightedChoice<OrganizationModel> | null;
  private readonly patterns: PatternRun[];
  private crawls = 0;

  constructor(private readonly setup: SimulationSetup) {
    const { seed, startMs, endMs, organizations, rates } = setup;
    const tallies = organizations.map(
      (org) =>
        new OrganizationTally(org.id, {
          name: org.name,
          domain: org.domain,
          vertical: org.vertical,
          country: org.home.code,
          currency: org.currency,
        }),
    );
    this.context = createSimulationContext(seed, startMs, endMs, tallies);
    const span = endMs - startMs + 1;
    this.bucketMs = Math.min(
      3_600_000,
      Math.max(1000, Math.floor((span * EVENTS_PER_BUCKET) / Math.max(1, setup.totalEvents))),
    );
    this.buckets = Math.ceil(span / this.bucketMs);
    this.calendar = new Array(this.buckets);
    this.arrivals = createRandom(seed, Stream.arrivals, 0);

    // Thinning: candidates arrive at the peak rate and are kept with probability season / peak.
    const humanWeights = organizations.map(
      (org, i) => [org, (rates[i]?.visitorsPerMs ?? 0) * org.seasonality.max] as const,
    );
    this.humanEnvelope = humanWeights.reduce((sum, [, w]) => sum + w, 0);
    this.humanChoice = this.humanEnvelope > 0 ? createWeightedChoice(humanWeights) : null;
    const crawlWeights = organizations.map((org, i) => [org, rates[i]?.crawlsPerMs ?? 0] as const);
    this.crawlRate = crawlWeights.reduce((sum, [, w]) => sum + w, 0);
    this.crawlChoice = this.crawlRate > 0 ? createWeightedChoice(crawlWeights) : null;

    this.patterns = setup.patterns.map(startPattern);
    for (const run of this.patterns) tallies[run.plan.organization.index]?.patterns.push(run.tally);
    setup.fraud.forEach((plan, index) => {
      const actor = new FraudActor(this.context, plan, index);
      tallies[plan.organization.index]?.fraud.push(actor.tally);
      this.schedule(actor);
    });
  }

  private bucketOf(ms: number): number {
    return Math.min(this.buckets - 1, Math.floor((ms - this.setup.startMs) / this.bucketMs));
  }

  private schedule(actor: Actor): void {
    const bucket = this.bucketOf(actor.at);
    if (bucket <= this.bucket) {
      this.queue.push(actor);
      return;
    }
    let waiting = this.calendar[bucket];
    if (!waiting) {
      waiting = [];
      this.calendar[bucket] = waiting;
    }
    waiting.push(actor);
  }

  private openBucket(bucket: number): void {
    const { seed, startMs, endMs } = this.setup;
    const context = this.context;
    const rng = this.arrivals;
    const from = startMs + bucket * this.bucketMs;
    const to = Math.min(from + this.bucketMs, endMs + 1);
    const width = to - from;
    this.bucket = bucket;
    this.limit = to;

    if (this.humanChoice) {
      const candidates = rng.poisson(this.humanEnvelope * width);
      for (let i = 0; i < candidates; i++) {
        const at = from + rng.int(width);
        const org = this.humanChoice.sample(rng);
        if (rng.float() * org.seasonality.max >= org.seasonality.at(at)) continue;
        const visitor = context.nextVisitor();
        this.queue.push(new VisitorActor(context, org, createRandom(seed, Stream.visitor, visitor), visitor, at, null));
      }
    }
    if (this.crawlChoice) {
      const visits = rng.poisson(this.crawlRate * width);
      for (let i = 0; i < visits; i++) {
        const at = from + rng.int(width);
        const org = this.crawlChoice.sample(rng);
        this.queue.push(new CrawlActor(context, org, createRandom(seed, Stream.crawl, this.crawls++), at));
      }
    }
    for (const run of this.patterns) {
      const plan = run.plan;
      if (plan.endMs < from || plan.startMs >= to) continue;
      const low = Math.max(from, plan.startMs);
      const high = Math.min(to, plan.endMs + 1);
      const arrivals = rng.poisson(plan.visitors * (plan.arrivedBy(high) - plan.arrivedBy(low)));
      for (let i = 0; i < arrivals; i++) {
        const at = low + rng.int(high - low);
        const visitor = context.nextVisitor();
        this.queue.push(
          new VisitorActor(context, plan.organization, createRandom(seed, Stream.visitor, visitor), visitor, at, run),
        );
      }
    }
    const waiting = this.calendar[bucket];
    if (waiting) {
      for (const actor of waiting) this.queue.push(actor);
      this.calendar[bucket] = undefined;
    }
  }

  /** The next events in time order, at most `max`; an empty array once the run is over. */
  next(max: number): GeneratedEvent[] {
    const out: GeneratedEvent[] = [];
    const queue = this.queue;
    const context = this.context;
    while (out.length < max) {
      const top = queue.peek();
      if (top === undefined || top.at >= this.limit) {
        if (this.bucket + 1 >= this.buckets) {
          if (top === undefined) break;
          throw new Error(`an actor is due after the end of the span (${new Date(top.at).toISOString()})`);
        }
        this.openBucket(this.bucket + 1);
        continue;
      }
      if (top.position >= top.events.length && !top.open()) {
        queue.pop();
        continue;
      }
      const event = top.events[top.position++] as GeneratedEvent;
      event.eventId = context.eventId(this.emitted++);
      out.push(event);
      const following = top.events[top.position];
      if (following !== undefined) {
        top.at = following.time.getTime();
        queue.requeueTop();
        continue;
      }
      top.release();
      if (!top.close()) {
        queue.pop();
        continue;
      }
      if (this.bucketOf(top.at) > this.bucket) {
        queue.pop();
        this.schedule(top);
      } else {
        queue.requeueTop();
      }
    }
    return out;
  }

  groundTruth(): GroundTruth {
    return {
      seed: this.setup.seed,
      start: new Date(this.setup.startMs).toISOString(),
      end: new Date(this.setup.endMs).toISOString(),
      events: this.emitted,
      organizations: this.context.tallies.map((tally) => tally.snapshot()),
    };
  }
}
