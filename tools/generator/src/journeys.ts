import { CHANNEL_BEHAVIOUR, type Channel, CLICK_LOSS, positionFactor } from "./channels.js";
import type { SimulationContext } from "./context.js";
import { type Country, residentialAddress } from "./countries.js";
import { createEvent, type GeneratedEvent, type Sender } from "./event.js";
import { type OrganizationTally, toMinor } from "./ground-truth.js";
import type { OrganizationModel } from "./organizations.js";
import { type PatternRun, patternTouch } from "./patterns.js";
import type { Random } from "./prng.js";
import { Actor } from "./scheduler.js";
import { buildTouch, type Touch } from "./touches.js";
import { BROWSERS_BY_DEVICE, browserHeaders, type Device } from "./user-agents.js";
import type { ConversionSpec, CustomEventSpec } from "./verticals.js";

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Conversions are credited to touches of the last 30 days: journeys are kept within that. */
export const LOOKBACK_MS = 30 * DAY;
/** Sessions end after 30 minutes without activity, so a return comes later than that. */
export const SESSION_TIMEOUT_MS = 30 * MINUTE;

/** Mean page views after the landing page: non-bouncing sessions, and sessions that convert. */
const MEAN_EXTRA_PAGES = 1.6;
const MEAN_EXTRA_PAGES_CONVERTING = 1.2;
const MAX_CONVERSION_RATE = 0.6;

/** Chance that a visitor comes back after session `index` (0-based). */
export function returnProbability(index: number): number {
  return index === 0 ? 0.38 : 0.52;
}

/** Time from the end of one session to the start of the next. */
export function returnDelay(rng: Random): number {
  if (rng.chance(0.3)) {
    return Math.min(20 * HOUR, Math.max(SESSION_TIMEOUT_MS + MINUTE, rng.logNormal(2.5 * HOUR, 0.8)));
  }
  return SESSION_TIMEOUT_MS + MINUTE + rng.exponential(4 * DAY);
}

function dwell(rng: Random): number {
  return Math.floor(Math.min(15 * MINUTE, Math.max(2000, rng.logNormal(28_000, 0.9))));
}

export function conversionRate(org: OrganizationModel, channel: Channel, position: number, lift: number): number {
  return Math.min(
    MAX_CONVERSION_RATE,
    org.baseConversionRate * CHANNEL_BEHAVIOUR[channel].conversionFactor * position * lift,
  );
}

/** Expected events of a session through `channel` with the given position factor (mirrors `open`). */
export function expectedSessionEvents(org: OrganizationModel, channel: Channel, position: number, lift = 1): number {
  const behaviour = CHANNEL_BEHAVIOUR[channel];
  const c = conversionRate(org, channel, position, lift);
  const perPage = 1 + org.spec.customEventRate;
  let quiet = (1 + (1 - behaviour.bounce) * (1 + MEAN_EXTRA_PAGES)) * perPage;
  let converting = (3 + MEAN_EXTRA_PAGES_CONVERTING) * perPage + 1;
  if (behaviour.tracked) {
    quiet = 1 + (1 - CLICK_LOSS) * quiet;
    converting += 1;
  }
  return c * converting + (1 - c) * quiet;
}

const customProperties = new Map<CustomEventSpec, ReadonlyArray<Readonly<Record<string, string>>>>();
function customPropertiesOf(spec: CustomEventSpec): ReadonlyArray<Readonly<Record<string, string>>> {
  let list = customProperties.get(spec);
  if (!list) {
    list = spec.property[1].map((value) => Object.freeze({ [spec.property[0]]: value }));
    customProperties.set(spec, list);
  }
  return list;
}

/** A human visitor of one organization, from the first visit to the last within the lookback. */
export class VisitorActor extends Actor implements Sender {
  readonly organizationId: string;
  readonly visitorId: string;
  sessionId = "";
  readonly userAgent: string;
  ip: string;
  readonly headers: Readonly<Record<string, string>>;
  private readonly device: Device;
  private readonly country: Country;
  private readonly tally: OrganizationTally;
  private session = 0;
  private readonly firstMs: number;
  private lastMs: number;
  private firstChannel: Channel = "direct";
  private lastNonDirect: Channel | null = null;

  constructor(
    private readonly context: SimulationContext,
    private readonly org: OrganizationModel,
    private readonly rng: Random,
    visitor: number,
    arrivalMs: number,
    private pattern: PatternRun | null,
  ) {
    super();
    this.at = arrivalMs;
    this.firstMs = arrivalMs;
    this.lastMs = arrivalMs;
    this.tally = context.tallies[org.index] as OrganizationTally;
    this.country = (pattern ? pattern.plan.countries : org.audience).sample(rng);
    this.device = (pattern ? pattern.plan.devices : org.devices).sample(rng);
    const profile = BROWSERS_BY_DEVICE[this.device].sample(rng);
    const languages = this.country.languages;
    const language = rng.chance(0.85) ? (languages[0] as string) : rng.pick(languages);
    this.organizationId = org.id;
    this.visitorId = context.visitorId(visitor);
    this.userAgent = profile.userAgent;
    this.ip = residentialAddress(this.country, rng);
    this.headers = browserHeaders(profile, language, rng.chance(profile.dntRate));
  }

  open(): boolean {
    const { rng, org, context } = this;
    const index = this.session;
    const pattern = this.pattern;
    this.pattern = null;
    const channel = pattern
      ? pattern.plan.channel
      : index === 0
        ? org.firstTouch.sample(rng)
        : org.returnTouch.sample(rng);
    // Mobile networks hand out a new address now and then.
    if (index > 0 && this.device === "mobile" && rng.chance(0.5)) this.ip = residentialAddress(this.country, rng);
    this.sessionId = context.nextSessionId();
    const touch = pattern
      ? patternTouch(context.touch, pattern.plan)
      : buildTouch(context.touch, org, channel, rng, this.country, this.at);
    const converting = rng.chance(conversionRate(org, channel, positionFactor(index), pattern ? pattern.plan.lift : 1));
    const events: GeneratedEvent[] = [];
    const value = this.materialize(events, touch, converting);
    this.record(events, channel, pattern, value);
    this.events = events;
    this.position = 0;
    this.lastMs = (events[events.length - 1] as GeneratedEvent).time.getTime();
    return true;
  }

  /**
   * Appends the session's events, stopping at the end of the span. Returns the value of the
   * conversion, or -1 when the session emitted none.
   */
  private materialize(events: GeneratedEvent[], touch: Touch, converting: boolean): number {
    const { rng, org } = this;
    const end = this.context.endMs;
    let t = this.at;
    if (touch.tracked) {
      events.push(createEvent(this, "click", t, touch.url, touch.referrer, touch.clickId));
      if (!converting && rng.chance(CLICK_LOSS)) return -1;
      t += 300 + rng.int(2700);
      if (t > end) return -1;
    }
    let previous = touch.url;
    let referrer = touch.referrer;
    const extra = converting
      ? 2 + rng.geometric(MEAN_EXTRA_PAGES_CONVERTING)
      : rng.chance(CHANNEL_BEHAVIOUR[touch.channel].bounce)
        ? 0
        : 1 + rng.geometric(MEAN_EXTRA_PAGES);
    for (let page = 0; page <= extra; page++) {
      let url = previous;
      if (page > 0) {
        const funnelStep = converting ? page - (extra - 1) : -1;
        url = org.origin + (funnelStep >= 0 ? (org.spec.funnel[funnelStep] as string) : org.pages.sample(rng));
      }
      events.push(createEvent(this, "pageview", t, url, referrer));
      const stay = dwell(rng);
      if (rng.chance(org.spec.customEventRate)) {
        const spec = org.customEvents.sample(rng);
        const at = t + Math.floor(stay * rng.between(0.2, 0.8));
        if (at > end) return -1;
        const custom = createEvent(this, "custom", at, url, referrer);
        custom.name = spec.name;
        custom.properties = rng.pick(customPropertiesOf(spec));
        events.push(custom);
      }
      t += stay;
      if (t > end) return -1;
      referrer = url;
      previous = url;
    }
    if (!converting) return -1;
    const spec = org.conversions.sample(rng);
    const conversion = createEvent(this, "conversion", t, org.origin + org.spec.successPath, previous);
    conversion.conversionName = spec.name;
    conversion.value = this.conversionValue(spec);
    conversion.currency = org.currency;
    conversion.properties = this.conversionProperties(spec);
    events.push(conversion);
    return conversion.value;
  }

  close(): boolean {
    const index = this.session++;
    if (!this.rng.chance(returnProbability(index))) return false;
    const next = this.lastMs + returnDelay(this.rng);
    if (next - this.firstMs > LOOKBACK_MS || next > this.context.endMs) return false;
    this.at = next;
    return true;
  }

  private conversionValue(spec: ConversionSpec): number {
    const { rng, org } = this;
    let usd = 0;
    if (spec.median !== undefined) usd = rng.logNormal(spec.median, spec.sigma ?? 0.5);
    else if (spec.prices) usd = rng.pick(spec.prices);
    const scale = 10 ** org.currencyDigits;
    return Math.round(usd * org.perUsd * scale) / scale;
  }

  private conversionProperties(spec: ConversionSpec): Readonly<Record<string, string>> {
    const properties: Record<string, string> = { [spec.property[0]]: this.rng.pick(spec.property[1]) };
    if (spec.name === "purchase" || spec.name === "subscription") {
      properties.order_id = `${this.org.orderPrefix}-${this.context.nextOrder(this.org.index)}`;
    }
    return Object.freeze(properties);
  }

  private record(events: readonly GeneratedEvent[], channel: Channel, pattern: PatternRun | null, value: number): void {
    const converted = value >= 0;
    const tally = this.tally;
    for (const event of events) tally.event(event.type);
    if (this.session === 0) {
      tally.visitors++;
      this.firstChannel = channel;
    }
    tally.session(channel);
    if (channel !== "direct") this.lastNonDirect = channel;
    const minor = toMinor(value);
    if (converted) tally.conversion(minor, this.firstChannel, channel, this.lastNonDirect ?? "direct");
    if (pattern) {
      const truth = pattern.tally.truth;
      truth.visitors++;
      truth.sessions++;
      truth.events += events.length;
      if (converted) {
        truth.conversions++;
        pattern.tally.revenueMinor += minor;
      }
    }
  }
}
