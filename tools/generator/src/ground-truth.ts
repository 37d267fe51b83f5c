import { CHANNELS, type Channel } from "./channels.js";
import { EVENT_TYPES, type EventType } from "./event.js";
import type { Device } from "./user-agents.js";
import type { Vertical } from "./verticals.js";

/**
 * What was generated, counted while generating. Every count covers emitted events only
 * (journeys cut at the end of the time span count what was emitted). Revenue is in the
 * organization's currency, summed exactly in minor units and rounded to cents.
 */
export interface GroundTruth {
  seed: number;
  /** ISO 8601 instants of the time span. */
  start: string;
  end: string;
  events: number;
  organizations: OrganizationTruth[];
}

export interface OrganizationTruth {
  organizationId: string;
  name: string;
  domain: string;
  vertical: Vertical;
  /** Home country (ISO 3166-1 alpha-2) and the currency of its conversions. */
  country: string;
  currency: string;
  events: number;
  eventsByType: Record<EventType, number>;
  /** Human visitors and sessions (crawler and fraud traffic excluded). */
  visitors: number;
  sessions: number;
  conversions: number;
  revenue: number;
  /** Events sent by crawlers and scripted clients, in total and by crawler name. */
  botEvents: number;
  botEventsByCrawler: Record<string, number>;
  /** Clicks of all fraud bursts. */
  fraudEvents: number;
  fraudBursts: FraudBurstTruth[];
  patterns: PatternTruth[];
  /**
   * Human sessions and conversions by channel. A session's channel is read from its landing
   * (first) event with `classifyLanding`; first touch is the channel of the visitor's first
   * session, last touch that of the converting session, last non-direct the latest
   * non-direct channel of the journey up to and including the converting session.
   */
  channels: Record<Channel, ChannelTruth>;
}

export interface ChannelTruth {
  sessions: number;
  firstTouchConversions: number;
  firstTouchRevenue: number;
  lastTouchConversions: number;
  lastTouchRevenue: number;
  lastNonDirectConversions: number;
  lastNonDirectRevenue: number;
}

/** A short burst of paid clicks from a few hosting-network addresses. */
export interface FraudBurstTruth {
  id: string;
  organizationId: string;
  channel: "paid_search" | "paid_social";
  clickIdParameter: "gclid" | "fbclid";
  provider: string;
  ips: string[];
  userAgent: string;
  /** Every click of the burst lies within [start, end]. */
  start: string;
  end: string;
  events: number;
  eventsByIp: Record<string, number>;
}

export type PatternKind = "newsletter" | "podcast" | "partner" | "influencer" | "offline";

/**
 * Unattributed traffic with a common origin (no utm parameter, no click id): visitors whose
 * first session lands on `landingPath` with `queryParameter` (when not empty) and comes from
 * `referrerHost` (or without a referrer when empty), during [start, end], mostly from
 * `countries` and on `device`, converting `conversionLift` times as often as the
 * organization's other traffic would through the same channel. Counts cover those landing
 * sessions (one per visitor); later sessions of the same visitors are ordinary traffic.
 */
export interface PatternTruth {
  id: string;
  organizationId: string;
  kind: PatternKind;
  description: string;
  referrerHost: string;
  landingPath: string;
  queryParameter: string;
  /** Channel the landing classifies as: referral with a referrer, direct without. */
  channel: Channel;
  countries: string[];
  countryShare: number;
  device: Device;
  deviceShare: number;
  start: string;
  end: string;
  conversionLift: number;
  visitors: number;
  sessions: number;
  events: number;
  conversions: number;
  revenue: number;
}

/** Counters of one pattern or burst, filled while generating. */
export interface PatternTally {
  readonly truth: PatternTruth;
  revenueMinor: number;
}

export interface FraudTally {
  readonly truth: FraudBurstTruth;
}

interface ChannelCounts {
  sessions: number;
  firstTouch: number;
  firstTouchMinor: number;
  lastTouch: number;
  lastTouchMinor: number;
  lastNonDirect: number;
  lastNonDirectMinor: number;
}

const channelIndex = Object.fromEntries(CHANNELS.map((c, i) => [c, i])) as Record<Channel, number>;

/** Mutable counters of one organization. */
export class OrganizationTally {
  events = 0;
  readonly byType: Record<EventType, number> = { click: 0, pageview: 0, conversion: 0, custom: 0 };
  visitors = 0;
  sessions = 0;
  conversions = 0;
  revenueMinor = 0;
  botEvents = 0;
  readonly botByCrawler = new Map<string, number>();
  fraudEvents = 0;
  readonly fraud: FraudTally[] = [];
  readonly patterns: PatternTally[] = [];
  private readonly channels: ChannelCounts[] = CHANNELS.map(() => ({
    sessions: 0,
    firstTouch: 0,
    firstTouchMinor: 0,
    lastTouch: 0,
    lastTouchMinor: 0,
    lastNonDirect: 0,
    lastNonDirectMinor: 0,
  }));

  constructor(
    readonly organizationId: string,
    readonly describe: Omit<
      OrganizationTruth,
      | "organizationId"
      | "events"
      | "eventsByType"
      | "visitors"
      | "sessions"
      | "conversions"
      | "revenue"
      | "botEvents"
      | "botEventsByCrawler"
      | "fraudEvents"
      | "fraudBursts"
      | "patterns"
      | "channels"
    >,
  ) {}

  event(type: EventType): void {
    this.events++;
    this.byType[type]++;
  }

  session(channel: Channel): void {
    this.sessions++;
    (this.channels[channelIndex[channel]] as ChannelCounts).sessions++;
  }

  conversion(minor: number, first: Channel, last: Channel, lastNonDirect: Channel): void {
    this.conversions++;
    this.revenueMinor += minor;
    const f = this.channels[channelIndex[first]] as ChannelCounts;
    f.firstTouch++;
    f.firstTouchMinor += minor;
    const l = this.channels[channelIndex[last]] as ChannelCounts;
    l.lastTouch++;
    l.lastTouchMinor += minor;
    const n = this.channels[channelIndex[lastNonDirect]] as ChannelCounts;
    n.lastNonDirect++;
    n.lastNonDirectMinor += minor;
  }

  bot(crawler: string, events: number): void {
    this.botEvents += events;
    this.botByCrawler.set(crawler, (this.botByCrawler.get(crawler) ?? 0) + events);
  }

  snapshot(): OrganizationTruth {
    const channels = {} as Record<Channel, ChannelTruth>;
    CHANNELS.forEach((channel, i) => {
      const c = this.channels[i] as ChannelCounts;
      channels[channel] = {
        sessions: c.sessions,
        firstTouchConversions: c.firstTouch,
        firstTouchRevenue: toMajor(c.firstTouchMinor),
        lastTouchConversions: c.lastTouch,
        lastTouchRevenue: toMajor(c.lastTouchMinor),
        lastNonDirectConversions: c.lastNonDirect,
        lastNonDirectRevenue: toMajor(c.lastNonDirectMinor),
      };
    });
    const eventsByType = {} as Record<EventType, number>;
    for (const type of EVENT_TYPES) eventsByType[type] = this.byType[type];
    return {
      organizationId: this.organizationId,
      ...this.describe,
      events: this.events,
      eventsByType,
      visitors: this.visitors,
      sessions: this.sessions,
      conversions: this.conversions,
      revenue: toMajor(this.revenueMinor),
      botEvents: this.botEvents,
      botEventsByCrawler: Object.fromEntries([...this.botByCrawler].sort(([a], [b]) => a.localeCompare(b))),
      fraudEvents: this.fraudEvents,
      fraudBursts: this.fraud.map((f) => structuredClone(f.truth)),
      patterns: this.patterns.map((p) => ({ ...structuredClone(p.truth), revenue: toMajor(p.revenueMinor) })),
      channels,
    };
  }
}

/** Amounts are summed in hundredths, so totals are exact whatever the order of additions. */
export function toMinor(value: number): number {
  return Math.round(value * 100);
}

export function toMajor(minor: number): number {
  return minor / 100;
}
