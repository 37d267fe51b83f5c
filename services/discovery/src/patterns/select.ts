import { createHash } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  CampaignSchema,
  type Condition,
  ConditionSchema,
  MatchOperator,
  type Pattern,
  PatternSchema,
  RuleSchema,
} from "@trellis/contracts";
import { isGeneric, patternAttributes } from "./attributes.js";
import { UNCAMPAIGNED_CHANNELS } from "./compile.js";

/** One aggregated group of the patterns statement (attributes NULL when the group leaves them out). */
export interface GroupRow {
  [attribute: `a_${string}`]: string | null;
  u: string | number;
  a: string | number;
  p: string | number;
  u_events: string | number;
  u_conversions: string | number;
  u_revenue: number;
  converting_sessions: string | number;
  /** Attributed sessions by effective campaign: [campaigns, counts]. */
  attributed_by_campaign?: [string[], Array<string | number>];
  /** Local days of the first and last attributed session, and the instants (unix seconds) that span them. */
  t_first_day?: string;
  t_last_day?: string;
  t_from?: string | number;
  t_until?: string | number;
  /** Per campaign, the instants (unix seconds) its first tagged local day starts and its last ends. */
  campaign_from?: [string[], Array<string | number>];
  campaign_until?: [string[], Array<string | number>];

  u_converting_sessions: string | number;
  active_days: string | number;
  /**
   * Unattributed figures per day over the window before and the range: days, sessions, events,
   * conversions, revenue, converting sessions.
   */
  daily: [string[], ...Array<Array<string | number>>];
  first_seen: string;
  last_seen: string;
  sources: string[];
  mediums: string[];
  countries: string[];
  devices: string[];
  browsers: string[];
  referrer_hosts: string[];
}

export interface SelectionSettings {
  limit: number;
  minSessions: number;
  minSupport: number;
  minGrowth: number;
  /** Days of the range and of the comparison window before it. */
  rangeDays: number;
  /** First and last local day of the range (YYYY-MM-DD). */
  rangeStartDate: string;
  rangeEndDate: string;
  pastDays: number;
  /** Priority of suggested campaigns. */
  priority: number;
  /** The range's time zone (local days of instants). */
  timeZone: string;
  /** Smallest index of dispersion of daily sessions that makes a source a burst (default 3). */
  minDispersion: number;
}

interface Candidate {
  conditions: Map<string, string>;
  row: GroupRow;
  u: number;
  a: number;
  p: number;
  riskRatio: number;
  growth: number;
  /** Variance over mean of the daily sessions across both windows: 1 for a steady source, far more for a burst. */
  dispersion: number;
  support: number;
  confidence: number;
  hasClickId: boolean;
  /** Its tagged sessions are several campaigns': a union of sources (see mixedCampaigns). */
  mixed: boolean;
  /**
   * The campaign whose clicks lost their tags, when the group's tagged sessions are mostly that
   * one campaign's and outnumber the untagged ones.
   */
  untaggedOf?: string;
  /**
   * The campaign's flight inside the range, when its tagged sessions started or ended well
   * inside it: the pattern is counted, and its rule bounded, within it.
   */
  flight?: Flight;
  /** The candidate's figures (its group's, or within its flight). */
  figures: Figures;
  /**
   * The rules of a campaign's untagged clicks gathered from several groups (its page reached
   * from the referrers its tagged clicks come from, its mail clients' visits to other pages);
   * undefined: one rule, the candidate's conditions.
   */
  rules?: PartRule[];
  /** Distinguishes candidates of one group split by campaign (successive campaigns on one page). */
  splitOf?: string;
  /** A campaign looked for on its page from its referrers only (see pageSeeds): kept only when gathered. */
  seed?: boolean;
}

/** One rule of a gathered campaign: its conditions, and landing paths it leaves out (other campaigns' pages). */
interface PartRule {
  conditions: Map<string, string>;
  exceptPaths: string[];
  /** Its untagged sessions within the flight. */
  sessions: number;
}

interface Flight {
  firstDay: string;
  lastDay: string;
  /** Instants (ISO) the rule is bounded by; undefined where the flight goes on past the range. */
  from?: string;
  until?: string;
}

interface Figures {
  events: number;
  conversions: number;
  revenue: number;
  converting: number;
  firstSeen: string;
  lastSeen: string;
  activeDays: number;
}

const num = (v: string | number) => Number(v);
/** Days between a flight's edge and the range's edge for the flight to count as starting or ending inside it. */
const FLIGHT_MARGIN_DAYS = 2;

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** The sum of one column of the per-day figures (1 sessions … 5 converting) over [firstDay, lastDay]. */
function sumDays(daily: GroupRow["daily"] | undefined, column: number, firstDay: string, lastDay: string): number {
  const days = daily?.[0] ?? [];
  const values = daily?.[column] ?? [];
  let total = 0;
  days.forEach((day, i) => {
    if (day >= firstDay && day <= lastDay) total += num(values[i] ?? 0);
  });
  return total;
}

function activeDaysIn(daily: GroupRow["daily"] | undefined, firstDay: string, lastDay: string): number {
  const days = daily?.[0] ?? [];
  const values = daily?.[1] ?? [];
  return days.filter((day, i) => day >= firstDay && day <= lastDay && num(values[i] ?? 0) > 0).length;
}

/**
 * The flight of the campaign a group's tagged sessions name, when it started or ended inside
 * the range (more than two days from its edges): untagged sessions outside it are not that
 * campaign's clicks.
 */
function flightOf(row: GroupRow, settings: SelectionSettings): Flight | undefined {
  if (!row.t_first_day || !row.t_last_day) return undefined;
  const starts = daysBetween(settings.rangeStartDate, row.t_first_day) > FLIGHT_MARGIN_DAYS;
  const ends = daysBetween(row.t_last_day, settings.rangeEndDate) > FLIGHT_MARGIN_DAYS;
  if (!starts && !ends) return undefined;
  const iso = (seconds: string | number | undefined) => new Date(num(seconds ?? 0) * 1000).toISOString();
  return {
    firstDay: starts ? row.t_first_day : settings.rangeStartDate,
    lastDay: ends ? row.t_last_day : settings.rangeEndDate,
    ...(starts ? { from: iso(row.t_from) } : {}),
    ...(ends ? { until: iso(row.t_until) } : {}),
  };
}

/** A group's figures, or within a flight (from its daily counts). */
function figuresOf(row: GroupRow, flight: Flight | undefined): Figures & { sessions: number } {
  if (!flight)
    return {
      sessions: num(row.u),
      events: num(row.u_events),
      conversions: num(row.u_conversions),
      revenue: row.u_revenue,
      converting: num(row.u_converting_sessions),
      firstSeen: row.first_seen.slice(0, 10),
      lastSeen: row.last_seen.slice(0, 10),
      activeDays: num(row.active_days),
    };
  const { firstDay, lastDay } = flight;
  const days = row.daily?.[0] ?? [];
  const counts = row.daily?.[1] ?? [];
  const seen = days.filter((day, i) => day >= firstDay && day <= lastDay && num(counts[i] ?? 0) > 0).sort();
  return {
    sessions: sumDays(row.daily, 1, firstDay, lastDay),
    events: sumDays(row.daily, 2, firstDay, lastDay),
    conversions: sumDays(row.daily, 3, firstDay, lastDay),
    revenue: sumDays(row.daily, 4, firstDay, lastDay),
    converting: sumDays(row.daily, 5, firstDay, lastDay),
    firstSeen: seen[0] ?? firstDay,
    lastSeen: seen.at(-1) ?? lastDay,
    activeDays: activeDaysIn(row.daily, firstDay, lastDay),
  };
}

/** Per-day figures: day → [sessions, events, conversions, revenue, converting sessions]. */
type Daily = Map<string, number[]>;

function dailyOf(row: GroupRow): Daily {
  const daily: Daily = new Map();
  (row.daily?.[0] ?? []).forEach((day, i) => {
    daily.set(
      day,
      [1, 2, 3, 4, 5].map((column) => num(row.daily?.[column]?.[i] ?? 0)),
    );
  });
  return daily;
}

/** `into` plus (sign 1) or minus (sign −1) `other`, day by day. */
function addDaily(into: Daily, other: Daily, sign: 1 | -1): Daily {
  for (const [day, values] of other) {
    const current = into.get(day) ?? [0, 0, 0, 0, 0];
    into.set(
      day,
      current.map((v, i) => v + sign * (values[i] ?? 0)),
    );
  }
  return into;
}

/** Figures of per-day sums within [firstDay, lastDay]. */
function figuresIn(daily: Daily, firstDay: string, lastDay: string): Figures & { sessions: number } {
  const total = [0, 0, 0, 0, 0];
  const seen: string[] = [];
  for (const [day, values] of daily) {
    if (day < firstDay || day > lastDay) continue;
    values.forEach((v, i) => {
      total[i] = (total[i] ?? 0) + v;
    });
    if ((values[0] ?? 0) > 0) seen.push(day);
  }
  seen.sort();
  return {
    sessions: total[0] ?? 0,
    events: total[1] ?? 0,
    conversions: total[2] ?? 0,
    revenue: total[3] ?? 0,
    converting: total[4] ?? 0,
    firstSeen: seen[0] ?? firstDay,
    lastSeen: seen.at(-1) ?? lastDay,
    activeDays: seen.length,
  };
}

/** A campaign's tagged sessions in a group and the instants (unix seconds) its tagged days span. */
interface Span {
  campaign: string;
  sessions: number;
  from: number;
  until: number;
}

function spansOf(row: GroupRow): Span[] {
  const [campaigns, counts] = row.attributed_by_campaign ?? [[], []];
  const from = new Map((row.campaign_from?.[0] ?? []).map((c, i) => [c, num(row.campaign_from?.[1]?.[i] ?? 0)]));
  const until = new Map((row.campaign_until?.[0] ?? []).map((c, i) => [c, num(row.campaign_until?.[1]?.[i] ?? 0)]));
  return campaigns.flatMap((campaign, i) => {
    const f = from.get(campaign);
    const u = until.get(campaign);
    return f === undefined || u === undefined || u <= f
      ? []
      : [{ campaign, sessions: num(counts[i] ?? 0), from: f, until: u }];
  });
}

/**
 * Tagged sessions of a group within [from, until) by campaign: a campaign's sessions in the share
 * of its span the window covers (all of them when its span lies inside, none when outside).
 */
function taggedWithin(spans: readonly Span[], from: number, until: number): Map<string, number> {
  const within = new Map<string, number>();
  for (const span of spans) {
    const covered = Math.max(0, Math.min(until, span.until) - Math.max(from, span.from));
    if (covered > 0) within.set(span.campaign, (span.sessions * covered) / (span.until - span.from));
  }
  return within;
}

/** `campaign`'s share of the tagged sessions within a window (0 without any). */
function shareWithin(spans: readonly Span[], campaign: string, from: number, until: number): number {
  const within = taggedWithin(spans, from, until);
  const total = [...within.values()].reduce((a, b) => a + b, 0);
  return total > 0 ? (within.get(campaign) ?? 0) / total : 0;
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** The local day (YYYY-MM-DD) of an instant in unix seconds (one formatter per time zone: making one is slow). */
function localDay(seconds: number, timeZone: string): string {
  let format = dayFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
    dayFormats.set(timeZone, format);
  }
  return format.format(new Date(seconds * 1000));
}

/** The flight of a campaign's span in a group, when it starts or ends well inside the range. */
function spanFlight(span: Span, settings: SelectionSettings): Flight | undefined {
  const firstDay = localDay(span.from, settings.timeZone);
  const lastDay = localDay(span.until - 1, settings.timeZone);
  const starts = daysBetween(settings.rangeStartDate, firstDay) > FLIGHT_MARGIN_DAYS;
  const ends = daysBetween(lastDay, settings.rangeEndDate) > FLIGHT_MARGIN_DAYS;
  if (!starts && !ends) return undefined;
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
  return {
    firstDay: starts ? firstDay : settings.rangeStartDate,
    lastDay: ends ? lastDay : settings.rangeEndDate,
    ...(starts ? { from: iso(span.from) } : {}),
    ...(ends ? { until: iso(span.until) } : {}),
  };
}

/** The largest share one campaign holds of a group's tagged sessions (0 without any). */
function dominantShare(row: GroupRow, a: number): number {
  if (a === 0) return 0;
  return Math.max(0, ...(row.attributed_by_campaign?.[1] ?? []).map(num)) / a;
}

/**
 * Whether the group's tagged sessions are several campaigns' (at least two with a tenth each,
 * together half): the group is a union of sources, whatever else it looks like.
 */
function mixedCampaigns(row: GroupRow, a: number, minSessions: number): boolean {
  if (a < minSessions) return false;
  const large = (row.attributed_by_campaign?.[1] ?? []).map(num).filter((count) => count >= 0.1 * a);
  return large.length >= 2 && large.reduce((x, y) => x + y, 0) >= 0.5 * a;
}
const MAX_RATIO = 1000;
/** Smallest share of a group's tagged sessions one campaign must hold for its untagged ones to be that campaign's. */
const DOMINANT_SHARE = 0.8;

/**
 * The campaign the untagged sessions of a group most likely belong to: the group's tagged
 * sessions are at least as many as its untagged ones and mostly (80 %) one campaign's — visits
 * that share every attribute of that campaign's clicks but its tags (a link copied without its
 * UTM parameters, a platform that dropped them, a redirect that lost them).
 */
function untaggedCampaign(row: GroupRow, u: number, a: number): { campaign: string; share: number } | undefined {
  if (a < u || a === 0) return undefined;
  const [campaigns, counts] = row.attributed_by_campaign ?? [[], []];
  let best = -1;
  let top = 0;
  counts.forEach((count, i) => {
    if (num(count) > top) {
      top = num(count);
      best = i;
    }
  });
  const share = top / a;
  const campaign = campaigns[best];
  return share >= DOMINANT_SHARE && campaign ? { campaign, share } : undefined;
}

/** Conditions and the sessions they hold: a candidate's one rule, or one part of a gathered campaign. */
interface Part {
  conditions: Map<string, string>;
  u: number;
}

/** A candidate's parts: the rules of a gathered campaign, or its one group. */
function partsOf(c: Candidate): Part[] {
  return c.rules
    ? c.rules.map((rule) => ({ conditions: rule.conditions, u: rule.sessions }))
    : [{ conditions: c.conditions, u: c.u }];
}

/**
 * Sessions that two candidates share, as far as the aggregated groups tell: summed over their
 * parts (a gathered campaign's page from a mail referrer shares nothing with a site that links
 * the page), at most the smaller candidate.
 */
function overlap(x: Candidate, y: Candidate, rows: Map<string, GroupRow>): number {
  let shared = 0;
  for (const px of partsOf(x)) for (const py of partsOf(y)) shared += overlapOf(px, py, rows);
  return Math.min(shared, x.u, y.u);
}

/**
 * Sessions that two parts share: the group of both conditions when the engine computed it, else
 * the smallest group of one condition of each (an upper bound: every shared session is in each
 * of those groups). A pair the engine pruned holds fewer than the minimum sessions: too few to
 * call two patterns one, so it counts as none.
 */
function overlapOf(x: Part, y: Part, rows: Map<string, GroupRow>): number {
  for (const [attribute, value] of x.conditions) {
    const other = y.conditions.get(attribute);
    if (other !== undefined && other !== value) return 0; // one attribute, two values: disjoint
  }
  const union = new Map([...x.conditions, ...y.conditions]);
  if (union.size === Math.max(x.conditions.size, y.conditions.size)) return Math.min(x.u, y.u); // one within the other
  const joined = rows.get(keyOf(union));
  if (joined) return Math.min(num(joined.u), x.u, y.u);
  let bound = Math.min(x.u, y.u);
  for (const xi of x.conditions) {
    for (const yj of y.conditions) {
      if (xi[0] === yj[0]) continue;
      const pair = rows.get(keyOf(new Map([xi, yj])));
      bound = Math.min(bound, pair ? num(pair.u) : 0);
    }
  }
  return bound;
}

function keyOf(conditions: Map<string, string>): string {
  return [...conditions]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join("\u0000");
}

/** A stable id of a pattern: the same conditions give the same id in every run. */
export function patternId(conditions: Map<string, string>, campaign?: string): string {
  // A group split by campaign gives one pattern per campaign: the campaign is part of its id.
  const key = campaign === undefined ? keyOf(conditions) : `${keyOf(conditions)}\u0000campaign=${campaign}`;
  return `pat_${createHash("sha256").update(key).digest("base64url").slice(0, 16)}`;
}

/**
 * MacroBase DIFF over the aggregated groups: the outlier class is the range's unattributed
 * sessions, the inlier class the attributed ones. A group is a candidate when it holds enough
 * of the unattributed sessions (support) and is a source rather than the site's usual traffic:
 * it carries a click id (a paid click nobody tagged), or it grew against the organization's own
 * past (novelty, Adtributor's "surprise"). Overlapping candidates are reduced greedily, the
 * stronger explanation first (sessions × confidence); the survivors are ranked by estimated value.
 */
export function selectPatterns(rowsIn: readonly GroupRow[], settings: SelectionSettings): Pattern[] {
  const attributeNames = patternAttributes.map((a) => a.name);
  const conditionsOf = (row: GroupRow) =>
    new Map(
      attributeNames.flatMap((name) => {
        const value = row[`a_${name}`];
        return value === null || value === undefined ? [] : [[name, value] as [string, string]];
      }),
    );
  const totals = rowsIn.find((r) => conditionsOf(r).size === 0);
  if (!totals) return [];
  const U = num(totals.u);
  const A = num(totals.a);
  if (U === 0) return [];
  const humanSessions = U + A;
  const baselineRate = humanSessions > 0 ? num(totals.converting_sessions) / humanSessions : 0;
  const revenuePerConversion = num(totals.u_conversions) > 0 ? totals.u_revenue / num(totals.u_conversions) : 0;

  const rows = new Map<string, GroupRow>();
  let candidates: Candidate[] = [];
  for (const row of rowsIn) {
    const conditions = conditionsOf(row);
    if (conditions.size === 0) continue;
    if ([...conditions.values()].some((v) => v === "")) continue; // "has no such value" is no condition
    rows.set(keyOf(conditions), row);
    const origins = [...conditions].filter(([name]) => attributeByName(name).kind === "origin");
    if (origins.every(([name, value]) => isGeneric(name, value))) continue;
    const a = num(row.a);
    const p = num(row.p);
    for (const view of viewsOf(row, a, settings)) {
      const candidate = candidateOf(row, conditions, view, { U, A, p }, settings);
      if (candidate) candidates.push(candidate);
    }
  }
  candidates = gatherCampaigns(candidates, rows, settings, { U, A });

  // A candidate that is a union of distinct sources (a click id kind over several landing
  // pages, a search engine's referrer, a path many podcasts share) yields to its parts: it is
  // considered only after every specific candidate.
  // A refiner only narrows a source that is a pattern on its own; alone with an origin that is
  // not, it is one of many combinations that pass by chance.
  const keys = new Set(candidates.map((c) => keyOf(c.conditions)));
  candidates = candidates.filter((c) => {
    const origins = new Map([...c.conditions].filter(([name]) => attributeByName(name).kind === "origin"));
    return origins.size === c.conditions.size || keys.has(keyOf(origins));
  });
  const broad = broadCandidates(candidates, settings);
  candidates.sort(
    (x, y) =>
      Number(broad.has(x)) - Number(broad.has(y)) ||
      y.u * y.confidence - x.u * x.confidence ||
      x.conditions.size - y.conditions.size ||
      precedence(x) - precedence(y) ||
      keyOf(x.conditions).localeCompare(keyOf(y.conditions)),
  );
  const chosen: Candidate[] = [];
  const broadKeys = new Set([...broad].map((c) => keyOf(c.conditions)));
  for (const candidate of candidates) {
    // No campaign to suggest: the untagged clicks of several campaigns with none of them the
    // larger half (the rule would credit every one of them to one), or a union of sources
    // narrowed by a country, device or browser.
    if (candidate.mixed && dominantShare(candidate.row, candidate.a) < 0.5) continue;
    const origins = new Map([...candidate.conditions].filter(([name]) => attributeByName(name).kind === "origin"));
    if (origins.size < candidate.conditions.size && broadKeys.has(keyOf(origins))) continue;
    // Two campaigns' untagged clicks are two findings, however much their groups share.
    const redundant = chosen.some(
      (kept) =>
        !(
          kept.untaggedOf !== undefined &&
          candidate.untaggedOf !== undefined &&
          kept.untaggedOf !== candidate.untaggedOf
        ) && overlap(kept, candidate, rows) >= 0.5 * Math.min(kept.u, candidate.u),
    );
    if (!redundant) chosen.push(candidate);
  }

  const patterns = chosen.map((c) => toPattern(c, settings, baselineRate, revenuePerConversion));
  patterns.sort(
    (x, y) => y.estimatedValue - x.estimatedValue || Number(y.sessions - x.sessions) || x.id.localeCompare(y.id),
  );
  return patterns.slice(0, settings.limit);
}

/**
 * How a group is read: as a whole (a campaign's untagged clicks when one campaign holds its
 * tagged sessions, within that campaign's flight), or — when no campaign holds the whole group —
 * once for each campaign that holds it within its own span of days (successive campaigns on one
 * page: each newsletter issue featuring the same article holds it in its own week).
 */
interface View {
  dominant?: { campaign: string; share: number };
  flight?: Flight;
  /** The tagged sessions the view compares with (the campaign's own when split). */
  a: number;
  splitOf?: string;
}

function viewsOf(row: GroupRow, a: number, settings: SelectionSettings): View[] {
  const dominant = untaggedCampaign(row, 0, a);
  const spans = spansOf(row);
  if (dominant) {
    // Its flight is its own tagged days (the other campaigns' few clicks here may lie elsewhere).
    const own = spans.find((span) => span.campaign === dominant.campaign);
    const flight = own ? spanFlight(own, settings) : flightOf(row, settings);
    return [{ dominant, a, ...optional("flight", flight) }];
  }
  const views: View[] = [{ a }];
  const originsOnly = patternAttributes.every(
    (attribute) =>
      attribute.kind === "origin" || row[`a_${attribute.name}`] === null || row[`a_${attribute.name}`] === undefined,
  );
  // A path prefix is several pages: no campaign's own group, however its days fall.
  if (spans.length < 2 || !originsOnly || row.a_landing_path_prefix) return views;
  for (const span of spans) {
    const share = shareWithin(spans, span.campaign, span.from, span.until);
    const flight = spanFlight(span, settings);
    if (share >= DOMINANT_SHARE && flight)
      views.push({ dominant: { campaign: span.campaign, share }, flight, a: span.sessions, splitOf: span.campaign });
  }
  return views;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [k in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [k in K]: V });
}

/** A group read one way, when it is a candidate (DIFF, or a campaign's untagged clicks). */
function candidateOf(
  row: GroupRow,
  conditions: Map<string, string>,
  view: View,
  totals: { U: number; A: number; p: number },
  settings: SelectionSettings,
): Candidate | undefined {
  const { U, A, p } = totals;
  const a = view.a;
  // A campaign's clicks that lost their tags are counted within its flight; their tagged twins
  // are the evidence, so the support threshold (against chance combinations) does not apply.
  const windowed = figuresOf(row, view.flight);
  const untagged = view.dominant && a >= windowed.sessions ? view.dominant : undefined;
  if (view.splitOf !== undefined && !untagged) return undefined;
  const figures = untagged ? windowed : figuresOf(row, undefined);
  const candidateFlight = untagged ? view.flight : undefined;
  const u = figures.sessions;
  const support = u / U;
  if (u < settings.minSessions || (!untagged && support < settings.minSupport)) return undefined;
  const inside = u / (u + a);
  const outside = U - u + (A - a) > 0 ? (U - u) / (U - u + (A - a)) : 0;
  const riskRatio = outside > 0 ? Math.min(inside / outside, MAX_RATIO) : MAX_RATIO;
  const growth = p > 0 ? u / settings.rangeDays / (p / settings.pastDays) : Number.POSITIVE_INFINITY;
  // Growth counts when it is more than chance: beyond three Poisson deviations of the past rate.
  const expectedFromPast = (p * settings.rangeDays) / settings.pastDays;
  const grew =
    settings.minGrowth <= 1 ||
    (growth >= settings.minGrowth && u - expectedFromPast >= 3 * Math.sqrt(Math.max(expectedFromPast, 1)));
  const dispersion = dispersionOf(row.daily, settings.rangeDays + settings.pastDays);
  const hasClickId = conditions.has("click_id");
  if (!hasClickId && !untagged && ((!grew && dispersion < settings.minDispersion) || riskRatio <= 1)) return undefined;
  const size = u / (u + settings.minSessions);
  const diff = 1 - 1 / Math.max(riskRatio, 1);
  const novelty = Math.max(
    grew ? (Number.isFinite(growth) ? 1 - 1 / Math.max(growth, 1) : 1) : 0,
    1 - 1 / Math.max(dispersion / settings.minDispersion, 1),
  );
  const confidence = untagged
    ? size * untagged.share
    : size * (1 - (1 - diff) * (1 - novelty) * (hasClickId ? 0.2 : 1));
  return {
    conditions,
    row,
    u,
    a,
    p,
    riskRatio,
    growth,
    dispersion,
    support,
    confidence,
    hasClickId,
    mixed: view.splitOf === undefined && mixedCampaigns(row, a, settings.minSessions),
    figures,
    ...(untagged ? { untaggedOf: untagged.campaign } : {}),
    ...(candidateFlight ? { flight: candidateFlight } : {}),
    ...(view.splitOf !== undefined ? { splitOf: view.splitOf } : {}),
  };
}

/** Smallest share of a campaign's tagged sessions on its page its referrers' parts must hold to replace the page. */
const REFERRER_COVER = 0.75;

/**
 * A campaign's untagged clicks gathered over the groups that hold them. Its strongest group of
 * one landing attribute (its page, in its flight) is read by referrer: when the referrers its
 * tagged clicks come from (no referrer, a mail client, an app) hold most of them (75 %) and
 * fewer untagged sessions than the page as a whole, the page is kept only from those referrers —
 * the other visitors of the page (from sites that link it) are not the campaign's. And for each
 * such referrer that is a site (a webmail host): its visits to other pages in the flight are the
 * campaign's too when its tagged clicks are mostly (80 %) the campaign's once the pages other
 * campaigns hold there (a lifecycle mail's own page) are left out — the links of a newsletter
 * issue besides the one it features. Each part is a rule of one suggested campaign, its figures
 * the sum of the parts' (disjoint: another referrer, or another page).
 */
function gatherCampaigns(
  candidatesIn: readonly Candidate[],
  rows: ReadonlyMap<string, GroupRow>,
  settings: SelectionSettings,
  totals: { U: number; A: number },
): Candidate[] {
  // Rows of two attributes, one of them the referrer: by the other condition, and by referrer.
  const byOther = new Map<string, Array<{ host: string; row: GroupRow }>>();
  const byHost = new Map<string, Array<{ path: string; row: GroupRow }>>();
  const attributeNames = patternAttributes.map((a) => a.name);
  for (const row of rows.values()) {
    const present = attributeNames.filter((name) => row[`a_${name}`] !== null && row[`a_${name}`] !== undefined);
    if (present.length !== 2 || !present.includes("referrer_host")) continue;
    const other = present.find((name) => name !== "referrer_host") as string;
    const host = String(row.a_referrer_host);
    const value = String(row[`a_${other}`]);
    const key = `${other}=${value}`;
    byOther.set(key, [...(byOther.get(key) ?? []), { host, row }]);
    if (other === "landing_path") byHost.set(host, [...(byHost.get(host) ?? []), { path: value, row }]);
  }
  // A campaign no group names (its page is another campaign's too, or busy with other visitors)
  // is looked for on the page holding most of its tagged clicks, from its referrers only.
  const candidates = [...candidatesIn, ...pageSeeds(candidatesIn, rows, settings, totals)];
  // Each campaign's strongest group of one attribute (not a referrer, not a path prefix: a
  // prefix is several pages) is where its untagged clicks are gathered.
  const strongest = new Map<string, Candidate>();
  for (const c of candidates) {
    if (c.untaggedOf === undefined || c.conditions.size !== 1) continue;
    if (c.conditions.has("referrer_host") || c.conditions.has("landing_path_prefix")) continue;
    const best = strongest.get(c.untaggedOf);
    if (!best || c.u > best.u) strongest.set(c.untaggedOf, c);
  }
  const gathered = candidates.map((c) => {
    if (c.untaggedOf === undefined || strongest.get(c.untaggedOf) !== c) return c;
    const campaign = c.untaggedOf;
    const [attribute, value] = [...c.conditions][0] as [string, string];
    const spans = spansOf(c.row);
    const own = spans.find((span) => span.campaign === campaign);
    if (!own) return c.seed ? undefined : c;
    const firstDay = c.flight?.firstDay ?? settings.rangeStartDate;
    const lastDay = c.flight?.lastDay ?? settings.rangeEndDate;
    const ownTagged = taggedWithin([own], own.from, own.until).get(campaign) ?? 0;
    // The page by the referrers the campaign's tagged clicks come from.
    const parts = (byOther.get(`${attribute}=${value}`) ?? []).filter(({ row }) => {
      const partSpans = spansOf(row);
      return (
        (taggedWithin(partSpans, own.from, own.until).get(campaign) ?? 0) > 0 &&
        shareWithin(partSpans, campaign, own.from, own.until) >= DOMINANT_SHARE
      );
    });
    const covered = parts.reduce(
      (sum, { row }) => sum + (taggedWithin(spansOf(row), own.from, own.until).get(campaign) ?? 0),
      0,
    );
    const partsDaily = parts.reduce((daily, { row }) => addDaily(daily, dailyOf(row), 1), new Map() as Daily);
    if (c.seed) {
      // Its referrers' parts are all there is of it: as many tagged clicks as untagged visits at
      // least (the evidence a group of its own would need), and enough of them.
      const partsU = figuresIn(partsDaily, firstDay, lastDay).sessions;
      if (covered < REFERRER_COVER * ownTagged || partsU < settings.minSessions || partsU > covered) return undefined;
    }
    if (covered < REFERRER_COVER * ownTagged) return c;
    // When those referrers bring every untagged visit of the page in the flight, the page stays one
    // rule; its mail clients' visits elsewhere are still looked for.
    const narrowed = c.seed || figuresIn(partsDaily, firstDay, lastDay).sessions < c.u;
    const rules: PartRule[] = narrowed
      ? parts
          .map(({ host, row }) => ({
            conditions: new Map([
              [attribute, value],
              ["referrer_host", host],
            ]),
            exceptPaths: [],
            sessions: figuresIn(dailyOf(row), firstDay, lastDay).sessions,
          }))
          .sort((x, y) => keyOf(x.conditions).localeCompare(keyOf(y.conditions)))
      : [{ conditions: c.conditions, exceptPaths: [], sessions: c.u }];
    const daily = narrowed ? partsDaily : addDaily(new Map(), dailyOf(c.row), 1);
    // The same mail clients' visits to the campaign's other pages (a landing path only), each
    // without the pages another campaign holds there (a lifecycle mail's own page) and the page
    // itself. The evidence is pooled over the mail clients: an issue's readers are in several,
    // each with a few tagged clicks elsewhere, and the campaign must hold 80 % of them together
    // (and at least half of each client's own).
    const elsewhereParts: Array<{ host: string; others: string[]; daily: Daily; sessions: number }> = [];
    const pooled = new Map<string, number>();
    if (attribute === "landing_path")
      for (const { host } of parts) {
        const hostRow = rows.get(keyOf(new Map([["referrer_host", host]])));
        if (!hostRow || isGeneric("referrer_host", host)) continue;
        const others = (byHost.get(host) ?? []).filter(({ path, row }) => {
          if (path === value) return true;
          const within = taggedWithin(spansOf(row), own.from, own.until);
          const total = [...within.values()].reduce((x, y) => x + y, 0);
          return total > 0 && (within.get(campaign) ?? 0) < 0.5 * total;
        });
        const hostWithin = taggedWithin(spansOf(hostRow), own.from, own.until);
        for (const { row } of others)
          for (const [name, count] of taggedWithin(spansOf(row), own.from, own.until))
            hostWithin.set(name, (hostWithin.get(name) ?? 0) - count);
        const total = [...hostWithin.values()].reduce((x, y) => x + Math.max(0, y), 0);
        const mine = Math.max(0, hostWithin.get(campaign) ?? 0);
        if (total > 0 && mine < 0.5 * total) continue;
        for (const [name, count] of hostWithin) pooled.set(name, (pooled.get(name) ?? 0) + Math.max(0, count));
        const elsewhere = others.reduce(
          (rest, { row }) => addDaily(rest, dailyOf(row), -1),
          addDaily(new Map(), dailyOf(hostRow), 1),
        );
        const sessions = figuresIn(elsewhere, firstDay, lastDay).sessions;
        if (sessions > 0)
          elsewhereParts.push({ host, others: others.map(({ path }) => path), daily: elsewhere, sessions });
      }
    const pooledTotal = [...pooled.values()].reduce((x, y) => x + y, 0);
    if (pooledTotal > 0 && (pooled.get(campaign) ?? 0) >= DOMINANT_SHARE * pooledTotal)
      for (const part of elsewhereParts) {
        addDaily(daily, part.daily, 1);
        rules.push({
          conditions: new Map([["referrer_host", part.host]]),
          exceptPaths: part.others.sort(),
          sessions: part.sessions,
        });
      }
    if (!narrowed && rules.length === 1) return c;
    const figures = figuresIn(daily, firstDay, lastDay);
    const u = figures.sessions;
    if (c.seed) return seeded(c, u, figures, rules, parts, own, settings, totals);
    return {
      ...c,
      u,
      support: u / Math.max(1, c.u / Math.max(c.support, Number.MIN_VALUE)),
      confidence: (u / (u + settings.minSessions)) * (c.confidence / (c.u / (c.u + settings.minSessions))),
      figures,
      rules,
    };
  });
  // A gathered campaign is its untagged clicks: its other groups (a refiner's share of its page,
  // the page's prefix) are no other finding.
  const kept = gathered.filter((c): c is Candidate => c !== undefined);
  const whole = new Set(kept.flatMap((c) => (c.rules ? [c.untaggedOf] : [])));
  return kept.filter((c) => c.rules !== undefined || c.untaggedOf === undefined || !whole.has(c.untaggedOf));
}

/**
 * Campaigns no candidate names, each on the page (a group of the landing path alone) holding most
 * of its tagged clicks, within the campaign's flight there: a newsletter issue featuring a page a
 * search campaign lands on, whose tagged clicks there are mostly the search campaign's, or a page
 * whose other visitors outnumber the issue's tagged clicks. Gathered from its referrers' parts only.
 */
function pageSeeds(
  candidates: readonly Candidate[],
  rows: ReadonlyMap<string, GroupRow>,
  settings: SelectionSettings,
  totals: { U: number; A: number },
): Candidate[] {
  const named = new Set(candidates.flatMap((c) => (c.untaggedOf === undefined ? [] : [c.untaggedOf])));
  const best = new Map<string, { path: string; row: GroupRow; span: Span }>();
  for (const row of rows.values()) {
    const path = row.a_landing_path;
    if (path === null || path === undefined || path === "") continue;
    if (
      patternAttributes.some(
        (a) => a.name !== "landing_path" && row[`a_${a.name}`] !== null && row[`a_${a.name}`] !== undefined,
      )
    )
      continue;
    for (const span of spansOf(row)) {
      if (named.has(span.campaign)) continue;
      const current = best.get(span.campaign);
      if (
        !current ||
        span.sessions > current.span.sessions ||
        (span.sessions === current.span.sessions && path < current.path)
      )
        best.set(span.campaign, { path, row, span });
    }
  }
  return [...best].map(([campaign, { path, row, span }]) => {
    const flight = spanFlight(span, settings);
    const figures = figuresOf(row, flight);
    return {
      conditions: new Map([["landing_path", path]]),
      row,
      u: figures.sessions,
      a: span.sessions,
      p: num(row.p),
      riskRatio: 0,
      growth: 0,
      dispersion: 0,
      support: figures.sessions / totals.U,
      confidence: 0,
      hasClickId: false,
      mixed: false,
      untaggedOf: campaign,
      figures,
      ...(flight ? { flight } : {}),
      splitOf: campaign,
      seed: true,
    };
  });
}

/** A page seed gathered from its parts: its figures, evidence and rules. */
function seeded(
  c: Candidate,
  u: number,
  figures: Figures,
  rules: PartRule[],
  parts: ReadonlyArray<{ row: GroupRow }>,
  own: Span,
  settings: SelectionSettings,
  totals: { U: number; A: number },
): Candidate {
  const { U, A } = totals;
  const a = own.sessions;
  let taggedHere = 0;
  let mine = 0;
  let pastHere = 0;
  for (const { row } of parts) {
    const within = taggedWithin(spansOf(row), own.from, own.until);
    for (const count of within.values()) taggedHere += count;
    mine += within.get(own.campaign) ?? 0;
    pastHere += num(row.p);
  }
  const share = taggedHere > 0 ? mine / taggedHere : 0;
  const inside = u / (u + a);
  const outside = U - u + (A - a) > 0 ? (U - u) / (U - u + (A - a)) : 0;
  return {
    ...c,
    u,
    a,
    p: pastHere,
    riskRatio: outside > 0 ? Math.min(inside / outside, MAX_RATIO) : MAX_RATIO,
    growth: pastHere > 0 ? u / settings.rangeDays / (pastHere / settings.pastDays) : Number.POSITIVE_INFINITY,
    support: u / U,
    confidence: (u / (u + settings.minSessions)) * share,
    figures,
    rules,
  };
}

/**
 * Whether a candidate splits into distinct parts: for one more origin attribute, at least two
 * candidates that refine it by a value of that attribute each hold a tenth of it, and together
 * at least half (Adtributor's succinctness weighed against explanatory power: the parts explain
 * as much, and each is one source).
 */
function splits(parent: Candidate, candidates: readonly Candidate[]): boolean {
  const prefix = parent.conditions.get("landing_path_prefix");
  // Parts by attribute; parts that are one campaign's untagged clicks (its referrers, its click
  // ids) are one source, not several: they are merged by that campaign.
  const byAttribute = new Map<string, Map<string, number>>();
  for (const child of candidates) {
    if (child.u < 0.1 * parent.u) continue;
    const added = refinedBy(parent, child, prefix);
    if (added === undefined) continue;
    const parts = byAttribute.get(added) ?? new Map<string, number>();
    const source = child.untaggedOf !== undefined ? `campaign ${child.untaggedOf}` : `part ${keyOf(child.conditions)}`;
    parts.set(source, (parts.get(source) ?? 0) + child.u);
    byAttribute.set(added, parts);
  }
  return [...byAttribute.values()].some((parts) => {
    if (parent.untaggedOf !== undefined) parts.delete(`campaign ${parent.untaggedOf}`);
    const sizes = [...parts.values()];
    return sizes.length >= 2 && sizes.reduce((a, b) => a + b, 0) >= 0.5 * parent.u;
  });
}

/**
 * The origin attribute by which `child` narrows `parent`: one more condition, or (for a path
 * prefix) the prefix replaced by a full path under it; undefined when it does not narrow it so.
 */
function refinedBy(parent: Candidate, child: Candidate, prefix: string | undefined): string | undefined {
  if (prefix !== undefined && child.conditions.size === parent.conditions.size) {
    const path = child.conditions.get("landing_path");
    const same = [...parent.conditions].every(([k, v]) => k === "landing_path_prefix" || child.conditions.get(k) === v);
    return same && path?.startsWith(prefix) && !child.conditions.has("landing_path_prefix")
      ? "landing_path"
      : undefined;
  }
  if (child.conditions.size !== parent.conditions.size + 1) return undefined;
  if (![...parent.conditions].every(([k, v]) => child.conditions.get(k) === v)) return undefined;
  const added = [...child.conditions.keys()].find((k) => !parent.conditions.has(k)) ?? "";
  return attributeByName(added).kind === "origin" && added !== "landing_path_prefix" ? added : undefined;
}

/**
 * Candidates that are unions of sources: those that split, whose tagged sessions are several
 * campaigns', or whose growth is one smaller part's; and those that are one of them
 * narrowed only by a refiner (country, device, browser) or kept nearly whole (80 %) by one more
 * origin condition (a search engine's referrer and its click id are the same union).
 */
function broadCandidates(candidates: readonly Candidate[], settings: SelectionSettings): Set<Candidate> {
  const broad = new Set<Candidate>();
  const bySize = [...candidates].sort((a, b) => a.conditions.size - b.conditions.size);
  // Sessions beyond what the organization's own past predicts: what is new in a group.
  const excess = (c: Candidate) => Math.max(0, c.u - (c.p * settings.rangeDays) / settings.pastDays);
  for (const c of bySize) {
    // One campaign's untagged clicks are one source, whatever they split into.
    if (c.untaggedOf !== undefined) continue;
    // A smaller part by one more origin condition holds what is new in it (80 % of its excess):
    // the rest is the site's usual traffic, and the part is the source (a newsletter's referrer
    // on a page that organic visitors reach too).
    const newInPart = candidates.some(
      (child) =>
        child.u < c.u &&
        excess(c) > 0 &&
        excess(child) >= 0.8 * excess(c) &&
        refinedBy(c, child, undefined) !== undefined,
    );
    if (c.mixed || newInPart || splits(c, candidates)) {
      broad.add(c);
      continue;
    }
    for (const parent of broad) {
      if (parent.conditions.size !== c.conditions.size - 1) continue;
      if (![...parent.conditions].every(([k, v]) => c.conditions.get(k) === v)) continue;
      const added = [...c.conditions.keys()].find((k) => !parent.conditions.has(k)) ?? "";
      if (attributeByName(added).kind === "refiner" || c.u >= 0.8 * parent.u) {
        broad.add(c);
        break;
      }
    }
  }
  return broad;
}

/** Index of dispersion (variance over mean) of daily counts over `days` days, the days without any counting 0. */
function dispersionOf(daily: GroupRow["daily"], days: number): number {
  const counts = (daily?.[1] ?? []).map(Number);
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0 || days <= 1) return 0;
  const mean = total / days;
  const variance = counts.reduce((sum, c) => sum + c * c, 0) / days - mean * mean;
  return variance / mean;
}

/** The best precedence among a candidate's attributes (see patternAttributes). */
function precedence(c: Candidate): number {
  return Math.min(...[...c.conditions.keys()].map((name) => attributeNames().indexOf(name)));
}

function attributeByName(name: string) {
  const attribute = patternAttributes.find((a) => a.name === name);
  if (!attribute) throw new Error(`unknown pattern attribute ${name}`);
  return attribute;
}

function toPattern(
  c: Candidate,
  settings: SelectionSettings,
  baselineRate: number,
  revenuePerConversion: number,
): Pattern {
  const conditions = [...c.conditions]
    .sort(([x], [y]) => attributeNames().indexOf(x) - attributeNames().indexOf(y))
    .map(([name, value]) => attributeByName(name).condition(value));
  const ruleConditionsOf = (part: PartRule): Condition[] => {
    const ruleConditions: Condition[] = [...part.conditions]
      .sort(([x], [y]) => attributeNames().indexOf(x) - attributeNames().indexOf(y))
      .map(([name, value]) => attributeByName(name).condition(value));
    if (part.exceptPaths.length > 0)
      ruleConditions.push(
        create(ConditionSchema, {
          field: "landing_path",
          operator: MatchOperator.NOT_EQUALS,
          values: part.exceptPaths,
        }),
      );
    // The pattern counts only channels campaigns are made of: its rule leaves out organic search
    // and social visits (and internal ones) with the same attributes. A click id already does.
    if (!part.conditions.has("click_id"))
      ruleConditions.push(
        create(ConditionSchema, {
          field: "channel",
          operator: MatchOperator.NOT_EQUALS,
          values: [...UNCAMPAIGNED_CHANNELS],
        }),
      );
    // Tagged visits with the same attributes keep the campaign their tags name.
    if (c.a > 0)
      ruleConditions.push(
        create(ConditionSchema, { field: "utm_campaign", operator: MatchOperator.EQUALS, values: [""] }),
      );
    return ruleConditions;
  };
  const parts = c.rules ?? [{ conditions: c.conditions, exceptPaths: [], sessions: c.u }];
  const conversions = c.figures.conversions;
  const revenue = round(c.figures.revenue, 2);
  const name = suggestedName(c.conditions, c.untaggedOf);
  const activeDays = c.figures.activeDays;
  return create(PatternSchema, {
    id: c.splitOf === undefined ? patternId(c.conditions) : patternId(c.conditions, c.splitOf),
    confidence: round(c.confidence, 3),
    sampleSize: BigInt(c.u),
    range: { startDate: c.figures.firstSeen, endDate: c.figures.lastSeen },
    sources: c.row.sources.filter(Boolean),
    mediums: c.row.mediums.filter(Boolean),
    countries: c.row.countries.filter(Boolean),
    deviceTypes: c.row.devices.filter(Boolean),
    referrerHosts: c.row.referrer_hosts.filter(Boolean),
    browsers: c.row.browsers.filter(Boolean),
    suggestedName: name,
    estimatedValue: round(revenue > 0 ? revenue : conversions * revenuePerConversion, 2),
    potentialReach: BigInt(c.u + c.a),
    suggestedCampaign: create(CampaignSchema, {
      name,
      priority: settings.priority,
      rules: parts.map((part) =>
        create(RuleSchema, {
          conditions: ruleConditionsOf(part),
          // Only the campaign's flight: its clicks that lost their tags are the ones while it ran.
          ...(c.flight?.from ? { validFrom: timestampFromDate(new Date(c.flight.from)) } : {}),
          ...(c.flight?.until ? { validUntil: timestampFromDate(new Date(c.flight.until)) } : {}),
        }),
      ),
    }),
    conditions,
    sessions: BigInt(c.u),
    events: BigInt(c.figures.events),
    conversions: BigInt(conversions),
    revenue,
    conversionRate: round(conversionsRate(c), 4),
    baselineConversionRate: round(baselineRate, 4),
    support: round(c.support, 4),
    riskRatio: round(c.riskRatio, 3),
    growth: Number.isFinite(c.growth) ? round(c.growth, 3) : 0,
    timeShape: !Number.isFinite(c.growth)
      ? "new"
      : activeDays <= Math.max(2, settings.rangeDays / 4)
        ? "burst"
        : "steady",
    activeDays,
    attributedSessions: BigInt(c.a),
  });
}

/** Share of the pattern's sessions with a conversion (as the baseline counts the organization's). */
function conversionsRate(c: Candidate): number {
  return c.u > 0 ? c.figures.converting / c.u : 0;
}

function attributeNames(): string[] {
  return patternAttributes.map((a) => a.name);
}

function suggestedName(conditions: Map<string, string>, untaggedOf: string | undefined): string {
  const parts = [...conditions]
    .filter(([name, value]) => !isGeneric(name, value))
    .sort(([x], [y]) => attributeNames().indexOf(x) - attributeNames().indexOf(y))
    .map(([name, value]) => attributeByName(name).describe(value));
  const what = untaggedOf === undefined ? parts.join(", ") : `${untaggedOf} untagged (${parts.join(", ")})`;
  return `Discovered: ${what}`.slice(0, 200);
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
