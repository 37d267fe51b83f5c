import { createHash } from "node:crypto";
import { create } from "@bufbuild/protobuf";
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
  u_converting_sessions: string | number;
  active_days: string | number;
  /** Unattributed sessions per day over the window before and the range: [days, counts]. */
  daily: [string[], Array<string | number>];
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
  pastDays: number;
  /** Priority of suggested campaigns. */
  priority: number;
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
}

const num = (v: string | number) => Number(v);
const MAX_RATIO = 1000;

/**
 * Sessions that two candidates share, as far as the aggregated groups tell: the group of both
 * conditions when the engine computed it, else the smallest group of one condition of each
 * (an upper bound: every shared session is in each of those groups). A pair the engine pruned
 * holds fewer than the minimum sessions: too few to call two patterns one, so it counts as none.
 */
function overlap(x: Candidate, y: Candidate, rows: Map<string, GroupRow>): number {
  for (const [attribute, value] of x.conditions) {
    const other = y.conditions.get(attribute);
    if (other !== undefined && other !== value) return 0; // one attribute, two values: disjoint
  }
  const union = new Map([...x.conditions, ...y.conditions]);
  if (union.size === Math.max(x.conditions.size, y.conditions.size)) return Math.min(x.u, y.u); // one within the other
  const joined = rows.get(keyOf(union));
  if (joined) return num(joined.u);
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
export function patternId(conditions: Map<string, string>): string {
  return `pat_${createHash("sha256").update(keyOf(conditions)).digest("base64url").slice(0, 16)}`;
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
    const u = num(row.u);
    const a = num(row.a);
    const p = num(row.p);
    const support = u / U;
    if (u < settings.minSessions || support < settings.minSupport) continue;
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
    if (!hasClickId && ((!grew && dispersion < settings.minDispersion) || riskRatio <= 1)) continue;
    const size = u / (u + settings.minSessions);
    const diff = 1 - 1 / Math.max(riskRatio, 1);
    const novelty = Math.max(
      grew ? (Number.isFinite(growth) ? 1 - 1 / Math.max(growth, 1) : 1) : 0,
      1 - 1 / Math.max(dispersion / settings.minDispersion, 1),
    );
    const confidence = size * (1 - (1 - diff) * (1 - novelty) * (hasClickId ? 0.2 : 1));
    candidates.push({ conditions, row, u, a, p, riskRatio, growth, dispersion, support, confidence, hasClickId });
  }

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
  const broad = broadCandidates(candidates);
  candidates.sort(
    (x, y) =>
      Number(broad.has(x)) - Number(broad.has(y)) ||
      y.u * y.confidence - x.u * x.confidence ||
      x.conditions.size - y.conditions.size ||
      precedence(x) - precedence(y) ||
      keyOf(x.conditions).localeCompare(keyOf(y.conditions)),
  );
  const chosen: Candidate[] = [];
  for (const candidate of candidates) {
    const redundant = chosen.some((kept) => overlap(kept, candidate, rows) >= 0.5 * Math.min(kept.u, candidate.u));
    if (!redundant) chosen.push(candidate);
  }

  const patterns = chosen.map((c) => toPattern(c, settings, baselineRate, revenuePerConversion));
  patterns.sort(
    (x, y) => y.estimatedValue - x.estimatedValue || Number(y.sessions - x.sessions) || x.id.localeCompare(y.id),
  );
  return patterns.slice(0, settings.limit);
}

/**
 * Whether a candidate splits into distinct parts: for one more origin attribute, at least two
 * candidates that refine it by a value of that attribute each hold a tenth of it, and together
 * at least half (Adtributor's succinctness weighed against explanatory power: the parts explain
 * as much, and each is one source).
 */
function splits(parent: Candidate, candidates: readonly Candidate[]): boolean {
  const prefix = parent.conditions.get("landing_path_prefix");
  const byAttribute = new Map<string, number[]>();
  for (const child of candidates) {
    if (child.u < 0.1 * parent.u) continue;
    const added = refinedBy(parent, child, prefix);
    if (added === undefined) continue;
    byAttribute.set(added, [...(byAttribute.get(added) ?? []), child.u]);
  }
  return [...byAttribute.values()].some(
    (parts) => parts.length >= 2 && parts.reduce((a, b) => a + b, 0) >= 0.5 * parent.u,
  );
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
 * Candidates that are unions of sources: those that split, and those that are one of them
 * narrowed only by a refiner (country, device, browser) or kept nearly whole (80 %) by one more
 * origin condition (a search engine's referrer and its click id are the same union).
 */
function broadCandidates(candidates: readonly Candidate[]): Set<Candidate> {
  const broad = new Set<Candidate>();
  const bySize = [...candidates].sort((a, b) => a.conditions.size - b.conditions.size);
  for (const c of bySize) {
    if (splits(c, candidates)) {
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
  const ruleConditions: Condition[] = [...conditions];
  // Tagged visits with the same attributes keep the campaign their tags name.
  if (c.a > 0)
    ruleConditions.push(
      create(ConditionSchema, { field: "utm_campaign", operator: MatchOperator.EQUALS, values: [""] }),
    );
  const conversions = Number(c.row.u_conversions);
  const revenue = round(c.row.u_revenue, 2);
  const name = suggestedName(c.conditions);
  const activeDays = Number(c.row.active_days);
  return create(PatternSchema, {
    id: patternId(c.conditions),
    confidence: round(c.confidence, 3),
    sampleSize: BigInt(c.u),
    range: { startDate: c.row.first_seen.slice(0, 10), endDate: c.row.last_seen.slice(0, 10) },
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
      rules: [create(RuleSchema, { conditions: ruleConditions })],
    }),
    conditions,
    sessions: BigInt(c.u),
    events: BigInt(c.row.u_events),
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
  return c.u > 0 ? Number(c.row.u_converting_sessions) / c.u : 0;
}

function attributeNames(): string[] {
  return patternAttributes.map((a) => a.name);
}

function suggestedName(conditions: Map<string, string>): string {
  const parts = [...conditions]
    .filter(([name, value]) => !isGeneric(name, value))
    .sort(([x], [y]) => attributeNames().indexOf(x) - attributeNames().indexOf(y))
    .map(([name, value]) => attributeByName(name).describe(value));
  return `Discovered: ${parts.join(", ")}`.slice(0, 200);
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
