import type { SimulationContext } from "./context.js";
import { createEvent, type Sender } from "./event.js";
import type { FraudBurstTruth, FraudTally, OrganizationTally } from "./ground-truth.js";
import { CLOUD_RANGES, createAddressBlock } from "./ip-addresses.js";
import type { OrganizationModel } from "./organizations.js";
import { createRandom, type Random, Stream } from "./prng.js";
import { Actor } from "./scheduler.js";
import { newGclid } from "./touches.js";
import { BROWSERS_BY_DEVICE, browserHeaders } from "./user-agents.js";

const MINUTE = 60_000;
const URL_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * Click fraud: for a few minutes, one to four hosting-network addresses fire paid clicks
 * (each with a fresh click id, none followed by a page view) at several clicks a minute each.
 */
export interface FraudPlan {
  /** The burst's ground truth before any click is counted. */
  readonly template: FraudBurstTruth;
  readonly organization: OrganizationModel;
  readonly ips: readonly string[];
  readonly userAgent: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly clicks: number;
  readonly startMs: number;
  readonly durationMs: number;
}

export function planFraudBursts(
  org: OrganizationModel,
  seed: number,
  plannedEvents: number,
  spanStart: number,
  spanEnd: number,
  usedIps: Set<string>,
): FraudPlan[] {
  const budget = plannedEvents * org.fraudShare;
  if (budget < 30) return [];
  const canSearch = org.activeChannels.has("paid_search");
  if (!canSearch && !org.activeChannels.has("paid_social")) return [];
  const rng = createRandom(seed, Stream.fraud, org.index);
  const bursts = Math.max(1, Math.min(8, Math.round(budget / 600)));
  const span = spanEnd - spanStart;
  const plans: FraudPlan[] = [];
  for (let b = 0; b < bursts; b++) {
    const clicks = Math.max(10, Math.round((budget / bursts) * rng.between(0.6, 1.4)));
    const range = rng.pick(CLOUD_RANGES);
    const block = createAddressBlock(range.cidr);
    const ipCount = 1 + Math.floor(rng.float() ** 1.5 * 4);
    const ips: string[] = [];
    while (ips.length < ipCount) {
      const ip = block.randomAddress(rng);
      if (!usedIps.has(ip)) {
        usedIps.add(ip);
        ips.push(ip);
      }
    }
    const perIpPerMinute = rng.between(4, 30);
    const durationMs = Math.min((clicks / (ipCount * perIpPerMinute)) * MINUTE, 90 * MINUTE, span * 0.5);
    const startMs = Math.floor(spanStart + rng.float() * (span - durationMs));
    const channel =
      canSearch && (rng.chance(0.75) || !org.activeChannels.has("paid_social")) ? "paid_search" : "paid_social";
    const profile = BROWSERS_BY_DEVICE[rng.chance(0.6) ? "desktop" : "mobile"].sample(rng);
    const headers = browserHeaders(profile, rng.chance(0.75) ? "" : "en-US,en;q=0.9", false);
    const id = `${org.id}/fraud-${b + 1}`;
    plans.push({
      organization: org,
      ips,
      clicks,
      startMs,
      durationMs,
      userAgent: profile.userAgent,
      headers,
      template: {
        id,
        organizationId: org.id,
        channel,
        clickIdParameter: channel === "paid_search" ? "gclid" : "fbclid",
        provider: range.provider,
        ips,
        userAgent: profile.userAgent,
        start: new Date(startMs).toISOString(),
        end: new Date(Math.ceil(startMs + durationMs)).toISOString(),
        events: 0,
        eventsByIp: Object.fromEntries(ips.map((ip) => [ip, 0])),
      },
    });
  }
  return plans;
}

/** Emits the clicks of one burst, one run per click, and counts them in its own tally. */
export class FraudActor extends Actor {
  private click = 0;
  private readonly step: number;
  private readonly sender: Sender;
  private readonly rng: Random;
  readonly tally: FraudTally;

  constructor(
    private readonly context: SimulationContext,
    private readonly plan: FraudPlan,
    index: number,
  ) {
    super();
    this.rng = createRandom(context.seed, Stream.fraudClicks, index);
    this.tally = { truth: structuredClone(plan.template) };
    this.sender = {
      organizationId: plan.organization.id,
      visitorId: "",
      sessionId: "",
      userAgent: plan.userAgent,
      ip: "",
      headers: plan.headers,
    };
    this.step = plan.durationMs / plan.clicks;
    this.at = this.clickTime();
  }

  private clickTime(): number {
    return Math.floor(this.plan.startMs + (this.click + this.rng.float()) * this.step);
  }

  open(): boolean {
    const { plan, rng, context, sender } = this;
    const org = plan.organization;
    sender.ip = rng.pick(plan.ips);
    sender.visitorId = context.visitorId(context.nextVisitor());
    sender.sessionId = context.nextSessionId();
    const truth = this.tally.truth;
    let url: string;
    let clickId: string;
    if (truth.channel === "paid_search") {
      const campaign = org.searchCampaigns.sample(rng);
      clickId = newGclid(rng);
      url = `${org.origin}${campaign.landingPath}?utm_source=google&utm_medium=cpc&utm_campaign=${campaign.name}&gclid=${clickId}`;
    } else {
      clickId = `IwAR${rng.token(57, URL_SAFE)}`;
      const campaign = rng.pick(org.socialCampaigns);
      url = `${org.origin}${campaign.landingPath}?utm_source=facebook&utm_medium=paid_social&utm_campaign=${campaign.name}&fbclid=${clickId}`;
    }
    const referrer = rng.chance(0.3) ? `https://${org.home.googleHost}/` : "";
    this.events = [createEvent(sender, "click", this.at, url, referrer, clickId)];
    this.position = 0;
    const tally = context.tallies[org.index] as OrganizationTally;
    tally.event("click");
    tally.fraudEvents++;
    truth.events++;
    truth.eventsByIp[sender.ip] = (truth.eventsByIp[sender.ip] ?? 0) + 1;
    return true;
  }

  close(): boolean {
    this.click++;
    if (this.click >= this.plan.clicks) return false;
    this.at = this.clickTime();
    return true;
  }
}
