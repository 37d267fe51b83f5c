import type { SimulationContext } from "./context.js";
import { createEvent, type GeneratedEvent, type Sender } from "./event.js";
import type { OrganizationTally } from "./ground-truth.js";
import type { OrganizationModel } from "./organizations.js";
import type { Random } from "./prng.js";
import { Actor } from "./scheduler.js";
import { CRAWLER_CHOICE } from "./user-agents.js";

const CRAWL_FILES = ["/robots.txt", "/sitemap.xml"];

/**
 * One visit of a crawler or scripted client: a run of requests from one hosting-network
 * address, without cookies (a new visitor and session every visit), referrer or
 * Accept-Language.
 */
export class CrawlActor extends Actor {
  constructor(
    private readonly context: SimulationContext,
    private readonly org: OrganizationModel,
    private readonly rng: Random,
    arrivalMs: number,
  ) {
    super();
    this.at = arrivalMs;
  }

  open(): boolean {
    const { rng, org, context } = this;
    const crawler = CRAWLER_CHOICE.sample(rng);
    const sender: Sender = {
      organizationId: org.id,
      visitorId: context.visitorId(context.nextVisitor()),
      sessionId: context.nextSessionId(),
      userAgent: crawler.userAgent,
      ip: rng.pick(crawler.blocks).randomAddress(rng),
      headers: crawler.headers,
    };
    const requests = 1 + rng.geometric(crawler.meanRequests - 1);
    const events: GeneratedEvent[] = [];
    let t = this.at;
    for (let i = 0; i < requests && t <= context.endMs; i++) {
      const path = i === 0 && rng.chance(0.15) ? rng.pick(CRAWL_FILES) : org.pages.sample(rng);
      events.push(createEvent(sender, "pageview", t, org.origin + path, ""));
      t += Math.floor(250 + rng.exponential(crawler.meanIntervalSeconds * 1000));
    }
    const tally = this.context.tallies[org.index] as OrganizationTally;
    for (const event of events) tally.event(event.type);
    tally.bot(crawler.name, events.length);
    this.events = events;
    this.position = 0;
    return true;
  }

  close(): boolean {
    return false;
  }
}
