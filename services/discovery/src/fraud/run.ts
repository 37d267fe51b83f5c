import { create } from "@bufbuild/protobuf";
import {
  AnswerSource,
  type DetectFraudRequest,
  type DetectFraudResponse,
  DetectFraudResponseSchema,
  type FraudPattern,
  FraudPatternSchema,
  Granularity,
  ResultMetaSchema,
} from "@trellis/contracts";
import { freshnessFor, type ResolvedRange, resolveRange, runCompiled } from "@trellis/traffic-rules";
import { boundedInteger } from "../domain/bounds.js";
import type { DiscoveryDeps, RunRequest } from "../domain/run-deps.js";
import { newRunId } from "../runs/run-store.js";
import {
  compileAutomationAgents,
  compileBots,
  compileClickIdReuse,
  compileFloods,
  compileIpVelocity,
  compileSegments,
  type FraudThresholds,
  listableAgents,
} from "./compile.js";
import { type BotCategory, botCategory } from "./taxonomy.js";

export const fraudDefaults = {
  limit: 50,
  maxLimit: 500,
  clicksPerIp: 20,
  floodClicks: 50,
  minEvents: 20,
  /** A segment whose clicks per address or mean fraud score passes these is reported. */
  segmentClicksPerIp: 5,
  segmentMeanFraud: 40,
  datacenterShare: 0.2,
};

type Num = string | number;
const n = (v: Num | null | undefined) => Number(v ?? 0);
const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;
const pattern = (
  kind: string,
  description: string,
  dimensions: Record<string, string>,
  events: number,
  score: number,
) =>
  create(FraudPatternSchema, {
    kind,
    description,
    dimensions,
    events: BigInt(events),
    score: round(Math.min(100, score)),
  });

/**
 * Fraud as patterns: per-address velocity, floods from one network, segments (source, country,
 * device) with many clicks per address, high mean fraud scores or a large data-centre share,
 * impossible timing, click-id reuse, and automated clients by kind. Each statement is bound to
 * the organization; the run is stored.
 */
export async function detectFraud(
  deps: DiscoveryDeps,
  call: RunRequest,
  request: DetectFraudRequest,
): Promise<DetectFraudResponse> {
  const range = resolveRange(request.range, "range");
  const t: FraudThresholds = {
    clicksPerIp: fraudDefaults.clicksPerIp,
    floodClicks: fraudDefaults.floodClicks,
    minEvents: fraudDefaults.minEvents,
    limit: boundedInteger(request.limit, "limit", 1, fraudDefaults.maxLimit, fraudDefaults.limit),
  };
  return deps.answers.answer(
    call,
    {
      kind: "fraud",
      schema: DetectFraudResponseSchema,
      request: { start: range.startDate, end: range.endDate, tz: range.timeZone, limit: t.limit },
      dataRange: { startDate: range.startDate, endDate: range.endDate },
      freshness: freshnessFor(range.endDate, Granularity.DAY, deps.clock()),
    },
    () => computeFraud(deps, call, range, t),
  );
}

/** The fraud statements of one run, their patterns, and the stored run. */
async function computeFraud(
  deps: DiscoveryDeps,
  call: RunRequest,
  range: ResolvedRange,
  t: FraudThresholds,
): Promise<DetectFraudResponse> {
  const organizationId = call.org.context.organizationId;
  const ctx = { store: deps.store, organizationId, signal: call.signal, deadlineMs: call.deadlineMs };
  const db = deps.store.database;
  let elapsedMs = 0;
  const run = async <T>(name: string, compiled: { sql: string; params: Record<string, unknown> }, settings = {}) => {
    const result = await runCompiled<T>(ctx, name, compiled, settings);
    elapsedMs += result.elapsedMs;
    return result.rows;
  };
  const patterns: FraudPattern[] = [];

  for (const r of await run<Record<string, Num>>(
    "discovery.fraud.velocity",
    compileIpVelocity(range, t, db, organizationId),
  )) {
    patterns.push(
      pattern(
        "ip_velocity",
        `${r.clicks} clicks from one address (${r.network || "unknown network"}) between ${r.first_seen} and ${r.last_seen}`,
        { ip_hash: String(r.address), network: String(r.network), asn: String(r.asn), source: String(r.source) },
        n(r.clicks),
        Math.max(n(r.mean_fraud_score), (100 * n(r.clicks)) / (n(r.clicks) + t.clicksPerIp * 2)),
      ),
    );
  }
  for (const r of await run<Record<string, Num>>(
    "discovery.fraud.floods",
    compileFloods(range, t, db, organizationId),
  )) {
    patterns.push(
      pattern(
        "click_flood",
        `${r.clicks} clicks from ${r.addresses} addresses of ${r.network || `AS${r.asn}`} in the 10 minutes from ${r.window_start}`,
        {
          asn: String(r.asn),
          network: String(r.network),
          window_start: String(r.window_start),
          source: String(r.source),
        },
        n(r.clicks),
        (100 * n(r.clicks)) / (n(r.clicks) + t.floodClicks),
      ),
    );
  }
  const segments = await run<Record<string, Num | null>>(
    "discovery.fraud.segments",
    compileSegments(range, t, db, organizationId),
    { group_by_use_nulls: 1 },
  );
  for (const r of segments) {
    const [dimension, value] = (["source", "country", "device_type"] as const)
      .filter((d) => r[d] !== null)
      .map((d) => [d, String(r[d])] as const)[0] ?? ["", ""];
    if (dimension === "") continue;
    const events = n(r.events ?? 0);
    const clicks = n(r.clicks ?? 0);
    const ips = n(r.unique_ips ?? 0);
    const meanFraud = n(r.mean_fraud_score ?? 0);
    const clicksPerIp = ips > 0 ? clicks / ips : 0;
    const dims = { [dimension]: value, clicks: String(clicks), unique_ips: String(ips) };
    if (clicksPerIp >= fraudDefaults.segmentClicksPerIp || meanFraud >= fraudDefaults.segmentMeanFraud)
      patterns.push(
        pattern(
          "suspicious_segment",
          `${dimension} ${value || "(none)"}: ${round(clicksPerIp)} clicks per address over ${ips} addresses, mean fraud score ${round(meanFraud)}`,
          { ...dims, clicks_per_ip: String(round(clicksPerIp)), mean_fraud_score: String(round(meanFraud)) },
          events,
          Math.max(meanFraud, Math.min(100, clicksPerIp * 10)),
        ),
      );
    const datacenter = n(r.datacenter_events ?? 0) / events;
    if (dimension === "source" && datacenter >= fraudDefaults.datacenterShare)
      patterns.push(
        pattern(
          "datacenter_share",
          `${round(datacenter * 100)} % of source ${value || "(none)"}'s events come from data-centre networks`,
          { source: value, share: String(round(datacenter, 4)) },
          n(r.datacenter_events ?? 0),
          datacenter * 100,
        ),
      );
    const impossible = n(r.impossible_timing_events ?? 0);
    if (dimension === "source" && impossible > 0)
      patterns.push(
        pattern(
          "impossible_timing",
          `${impossible} events of source ${value || "(none)"} came faster than a person can act, or from the future`,
          { source: value },
          impossible,
          (100 * impossible) / events,
        ),
      );
  }
  for (const r of await run<Record<string, Num>>(
    "discovery.fraud.click_ids",
    compileClickIdReuse(range, t, db, organizationId),
  )) {
    patterns.push(
      pattern(
        "click_id_reuse",
        `${r.reused_ids} ${r.click_id_type || "click"} ids used on ${r.clicks} clicks from more than one address`,
        { click_id_type: String(r.click_id_type) },
        n(r.clicks),
        80,
      ),
    );
  }
  const bots = new Map<BotCategory, { events: number; addresses: number; names: Set<string> }>();
  const [found] = await run<{ agents: string[]; count: number; bytes: number }>(
    "discovery.fraud.automation_agents",
    compileAutomationAgents(range, db, organizationId),
  );
  const automationAgents = listableAgents(found);
  for (const r of await run<Record<string, Num | boolean>>(
    "discovery.fraud.bots",
    compileBots(range, t, db, organizationId, automationAgents),
  )) {
    const category = botCategory(String(r.bot_name), String(r.sample_user_agent));
    const entry = bots.get(category) ?? { events: 0, addresses: 0, names: new Set<string>() };
    entry.events += n(r.events as Num);
    entry.addresses += n(r.addresses as Num);
    entry.names.add(String(r.bot_name) || String(r.sample_user_agent).slice(0, 40));
    bots.set(category, entry);
  }
  for (const [category, entry] of bots) {
    const names = [...entry.names].sort().slice(0, 10);
    patterns.push(
      pattern(
        `bot:${category}`,
        `${entry.events} events from ${category.replace("_", " ")} clients (${names.join(", ")})`,
        { category, names: names.join(","), addresses: String(entry.addresses) },
        entry.events,
        category === "automation" || category === "other_bot" ? 90 : 50,
      ),
    );
  }
  patterns.sort((a, b) => b.score - a.score || Number(b.events - a.events) || a.kind.localeCompare(b.kind));

  const runId = newRunId();
  const answer = create(DetectFraudResponseSchema, {
    patterns: patterns.slice(0, t.limit),
    runId,
    meta: create(ResultMetaSchema, { source: AnswerSource.STORE, table: "analytics_events", elapsedMs }),
  });
  await deps.runs.save(organizationId, runId, {
    kind: "fraud",
    range: { startDate: range.startDate, endDate: range.endDate, timeZone: range.timeZone },
    trigger: call.trigger,
    rulesetVersion: 0,
    findings: answer.patterns.length,
    elapsedMs,
    result: answer,
  });
  return answer;
}
