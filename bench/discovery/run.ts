// Discovery's quality and speed on generated traffic, in one run:
// - masked-UTM recovery: the UTM parameters of a random 20 % of each tagged campaign's sessions
//   are stripped before ingest (everything else kept); each campaign's masked sessions are scored
//   against the best suggested campaign of 100 at the default settings (precision, recall, F1;
//   a suggestion's time window counts), and the top-10 suggestions against any real group (a
//   masked campaign or a planted pattern) — and, as "genuine", against the union of all of them
//   (a suggestion made of campaign traffic that no observable splits into its campaigns); the
//   top 10 with steady sources kept (min_growth=1) are scored apart;
// - planted patterns (the generator's ground truth) at the default settings: recall and precision
//   (against one real group, and genuine as above);
// - anomalies: a spike and a drop planted per organization (the day's top country tripled one
//   day, removed another), found or not, false alarms on the other days (days inside one of the
//   generator's planted patterns or fraud bursts counted apart: their extra traffic is real), and
//   whether the first contributor names the planted country;
// - speed: each method through the gateway, uncached, beside the raw aggregation statements it sends
//   (ratio), and the cached answer's time.
// BENCH_END (an ISO instant) fixes the end of the generated traffic, so that two commits are
// scored on the same data (the masks, a hash of the seed and the session id, then match too).
import { createHash } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Campaign, CampaignSchema, DateRangeSchema } from "@trellis/contracts";
import { rollupRebuild, rollups } from "@trellis/store";
import { compileCampaignMatch, resolveRange, SESSION_KEY_SQL, validateCampaign } from "@trellis/traffic-rules";
import { createAccounts, createWardenRepository } from "@trellis/warden";
import { patternDefaults } from "../../services/discovery/src/patterns/run.js";
import { benchGenerator, seedMerged, startBenchEngine } from "../lib/engine.js";
import { percentile, progress, report } from "../lib/report.js";
import { rawStatements } from "./raw.js";

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const ORGANIZATIONS = Number(process.env.BENCH_ORGANIZATIONS ?? 10);
const SCORED_ORGANIZATIONS = Number(process.env.BENCH_SCORED_ORGANIZATIONS ?? 5);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const DAYS = 120;
const QUALITY_DAYS = 30;
const SPEED_DAYS = 90;
const MASKED_SHARE = 0.2;
const SEED = 21;
const VERBOSE = process.env.BENCH_VERBOSE === "1";

const DAY = 86_400_000;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

interface MaskedSession {
  organizationId: string;
  campaign: string;
  sessionId: string;
  startMs: number;
  /** "<click id parameter> <landing path>" when the session is an ad click with a click id, else "". */
  clickKey: string;
}

/** Click ids an ad platform adds to every click, tagged or not (auto-tagging). */
const AUTO_CLICK_IDS = ["gclid", "fbclid"];

/** "<click id parameter> <landing path>" of an ad click's URL (it carries gclid or fbclid), else "". */
function clickKeyOf(url: string): string {
  const parsed = new URL(url);
  const param = AUTO_CLICK_IDS.find((p) => parsed.searchParams.has(p));
  return param ? `${param} ${parsed.pathname}` : "";
}

/** Whether a session's UTMs are stripped: a hash of its id, so the choice is random but repeatable. */
function masked(sessionId: string): boolean {
  return createHash("sha256").update(`${SEED}:${sessionId}`).digest().readUInt32BE(0) / 2 ** 32 < MASKED_SHARE;
}

function stripUtms(url: string): { url: string; campaign: string } {
  const at = url.indexOf("?");
  if (at < 0) return { url, campaign: "" };
  const params = new URLSearchParams(url.slice(at + 1));
  const campaign = params.get("utm_campaign") ?? "";
  if (campaign === "") return { url, campaign: "" };
  for (const name of [...params.keys()]) if (name.startsWith("utm_")) params.delete(name);
  const rest = params.toString();
  return { url: rest ? `${url.slice(0, at)}?${rest}` : url.slice(0, at), campaign };
}

const engine = await startBenchEngine("trellis-bench-discovery-");
const { config, embedded } = engine;
const store = embedded.store;
const db = store.database;

try {
  const { end, generator } = benchGenerator({ seed: SEED, organizations: ORGANIZATIONS, events: EVENTS, days: DAYS });
  const accounts = createAccounts({ repository: createWardenRepository(store) });
  const keys = new Map<string, string>();
  for (const org of generator.organizations) {
    await accounts.createOrganization({ id: org.id, name: org.name });
    keys.set(org.id, (await accounts.createApiKey({ organizationId: org.id, name: "bench", scopes: [] })).credential);
  }
  // The generator's traffic with the UTMs of 20 % of each tagged session stripped (the landing
  // events carry them; the choice is by session, so a session is masked whole).
  const maskedSessions = new Map<string, MaskedSession>();
  // Ad clicks that never had UTMs (auto-tagging: a gclid or fbclid only), by organization, click id and path.
  const autoTagged = new Map<string, Array<{ sessionId: string; startMs: number }>>();
  const maskingGenerator = {
    ...generator,
    *batches(size: number) {
      for (const batch of generator.batches(size)) {
        yield batch.map((event) => {
          if (event.type === "click" && !event.url.includes("utm_") && clickKeyOf(event.url) !== "") {
            const path = `${event.organizationId} ${clickKeyOf(event.url)}`;
            const list = autoTagged.get(path) ?? [];
            list.push({ sessionId: event.sessionId, startMs: event.time.getTime() });
            autoTagged.set(path, list);
          }
          if (!event.url.includes("utm_campaign=") || !masked(event.sessionId)) return event;
          const { url, campaign } = stripUtms(event.url);
          if (!maskedSessions.has(event.sessionId))
            maskedSessions.set(event.sessionId, {
              organizationId: event.organizationId,
              campaign,
              sessionId: event.sessionId,
              startMs: event.time.getTime(),
              clickKey: clickKeyOf(event.url),
            });
          return { ...event, url };
        });
      }
    },
  } as typeof generator;
  progress(`seeding ${EVENTS.toLocaleString("en")} events of ${ORGANIZATIONS} organizations over ${DAYS} days`);
  await seedMerged(store, maskingGenerator, { seed: SEED, events: EVENTS, ipHashKey: config.ingest.ipHashKey });
  const truth = generator.groundTruth();

  const endDate = isoDate(end.getTime());
  const qualityStart = isoDate(end.getTime() - (QUALITY_DAYS - 1) * DAY);
  const qualityStartMs = Date.parse(`${qualityStart}T00:00:00Z`);
  const scored = generator.organizations.slice(0, SCORED_ORGANIZATIONS).map((o) => o.id);

  async function api<T>(org: string, path: string): Promise<{ ms: number; body: T }> {
    const started = performance.now();
    const response = await fetch(`${embedded.url}${path}`, { headers: { authorization: `Bearer ${keys.get(org)}` } });
    const body = (await response.json()) as T;
    if (response.status !== 200) throw new Error(`${path} answered ${response.status}: ${JSON.stringify(body)}`);
    return { ms: performance.now() - started, body };
  }

  /** The unattributed human landing sessions (under no campaigns) a campaign's rules match in the range. */
  async function matchedSessions(org: string, campaign: Campaign): Promise<Set<string>> {
    const checked = validateCampaign(campaign);
    const match = compileCampaignMatch({ rules: checked.rules }, "m");
    const { rows } = await store.query<{ s: string }>({
      name: "bench.matched",
      sql: `SELECT session_key AS s FROM (
  SELECT ${SESSION_KEY_SQL} AS session_key, argMin(${match.sql}, event_time) AS m, argMin(campaign_id, event_time) AS c, max(is_bot) AS b
  FROM ${db}.analytics_events
  WHERE organization_id = {org:String} AND event_time >= toDateTime64({start:String}, 3, 'UTC')
  GROUP BY session_key
) WHERE m AND c = '' AND NOT b`,
      params: { ...match.params, org, start: `${qualityStart} 00:00:00` },
      organizationId: org,
    });
    return new Set(rows.map((r) => r.s));
  }

  /** The landing sessions of a planted pattern in the range (its referrer, path and parameter, in its window). */
  async function plantedSessions(org: string, p: (typeof truth.organizations)[number]["patterns"][number]) {
    const [name, value] = p.queryParameter ? p.queryParameter.split("=") : ["", ""];
    const { rows } = await store.query<{ s: string }>({
      name: "bench.planted",
      sql: `SELECT session_key AS s FROM (
  SELECT ${SESSION_KEY_SQL} AS session_key, min(event_time) AS t, argMin(referrer_host, event_time) AS r,
    argMin(landing_path, event_time) AS lp, argMin(query_params, event_time) AS q, argMin(campaign_id, event_time) AS c, max(is_bot) AS b
  FROM ${db}.analytics_events WHERE organization_id = {org:String} AND event_time >= toDateTime64({start:String}, 3, 'UTC')
  GROUP BY session_key
) WHERE r = {referrer:String} AND lp = {path:String} AND ({name:String} = '' OR q[{name:String}] = {value:String})
  AND t BETWEEN parseDateTime64BestEffort({from:String}, 3) AND parseDateTime64BestEffort({to:String}, 3) AND c = '' AND NOT b`,
      params: {
        org,
        start: `${qualityStart} 00:00:00`,
        referrer: p.referrerHost,
        path: p.landingPath,
        name,
        value: value ?? "",
        from: p.start,
        to: p.end,
      },
      organizationId: org,
    });
    return new Set(rows.map((r) => r.s));
  }

  const score = (found: Set<string>, group: Set<string>) => {
    let both = 0;
    for (const s of found) if (group.has(s)) both++;
    const precision = found.size > 0 ? both / found.size : 0;
    const recall = group.size > 0 ? both / group.size : 0;
    return { precision, recall, f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0 };
  };

  interface PatternJson {
    id: string;
    suggested_name: string;
    sessions: string;
    suggested_campaign: unknown;
  }
  type RuleJson = {
    conditions: Array<{ field: string; operator: string; values?: string[] }>;
    valid_from?: string;
    valid_until?: string;
  };
  const OPERATORS: Record<string, number> = {
    MATCH_OPERATOR_EQUALS: 1,
    MATCH_OPERATOR_NOT_EQUALS: 2,
    MATCH_OPERATOR_IN: 3,
    MATCH_OPERATOR_CONTAINS: 4,
    MATCH_OPERATOR_STARTS_WITH: 5,
    MATCH_OPERATOR_REGEX: 6,
    MATCH_OPERATOR_EXISTS: 7,
  };
  // The suggested campaign as the campaign API would take it, time windows included.
  const campaignOf = (p: PatternJson) =>
    create(CampaignSchema, {
      ...(p.suggested_campaign as object),
      rules: (p.suggested_campaign as { rules: RuleJson[] }).rules.map((r) => ({
        conditions: r.conditions.map((c) => ({
          field: c.field,
          operator: Number(OPERATORS[c.operator]),
          values: c.values ?? [],
        })),
        ...(r.valid_from ? { validFrom: timestampFromDate(new Date(r.valid_from)) } : {}),
        ...(r.valid_until ? { validUntil: timestampFromDate(new Date(r.valid_until)) } : {}),
      })),
    });

  const quality: Array<Record<string, string | number>> = [];
  const totals = {
    masked: 0,
    recovered: 0,
    top10: 0,
    top10Precise: 0,
    planted: 0,
    plantedFound: 0,
    returned: 0,
    returnedReal: 0,
    top10Genuine: 0,
    steadyTop10: 0,
    steadyTop10Precise: 0,
    returnedGenuine: 0,
  };
  for (const org of scored) {
    progress(`scoring ${org}`);
    // A campaign's sessions without UTMs: its masked ones, and the auto-tagged ad clicks (a gclid
    // or fbclid only, never any UTM) of the same platform on the landing pages its masked clicks
    // reached — the same campaign's clicks, told apart from the rest by nothing else either.
    const maskedGroups = new Map<string, Set<string>>();
    const clickKeys = new Map<string, Set<string>>();
    for (const m of maskedSessions.values()) {
      if (m.organizationId !== org || m.startMs < qualityStartMs) continue;
      const group = maskedGroups.get(m.campaign) ?? new Set<string>();
      group.add(m.sessionId);
      maskedGroups.set(m.campaign, group);
      if (m.clickKey) clickKeys.set(m.campaign, new Set([...(clickKeys.get(m.campaign) ?? []), m.clickKey]));
    }
    for (const [campaign, paths] of clickKeys)
      for (const path of paths)
        for (const a of autoTagged.get(`${org} ${path}`) ?? [])
          if (a.startMs >= qualityStartMs) maskedGroups.get(campaign)?.add(a.sessionId);
    // Campaigns with too few masked sessions for any pattern (fewer than the minimum) are not scored.
    for (const [campaign, group] of maskedGroups)
      if (group.size < patternDefaults.minSessions) maskedGroups.delete(campaign);
    const orgTruth = truth.organizations.find((o) => o.organizationId === org);
    const planted = new Map<string, Set<string>>();
    for (const p of orgTruth?.patterns ?? []) {
      const sessions = await plantedSessions(org, p);
      if (sessions.size >= patternDefaults.minSessions) planted.set(p.id, sessions);
    }
    const realGroups = [...maskedGroups.values(), ...planted.values()];
    // Every session a campaign brought: a suggestion made of them is a genuine finding even when
    // it spans several campaigns nothing observable tells apart (a paid-social network's
    // campaigns drawn at random over the same pages, a newsletter's issues and lifecycle mails).
    const campaignSessions = new Set(realGroups.flatMap((g) => [...g]));
    const genuine = (found: Set<string>) => score(found, campaignSessions).precision >= 0.8;

    // A long list at the default settings: a campaign's untagged clicks need no growth (their
    // tagged twins are the evidence). The same list with steady sources kept (min_growth=1) is
    // scored for its top 10 apart.
    const all = await api<{ patterns: PatternJson[] }>(
      org,
      `/api/v1/discovery/patterns?start_date=${qualityStart}&end_date=${endDate}&limit=100`,
    );
    const steady = await api<{ patterns: PatternJson[] }>(
      org,
      `/api/v1/discovery/patterns?start_date=${qualityStart}&end_date=${endDate}&limit=10&min_growth=1`,
    );
    const steadyMatched = await Promise.all(steady.body.patterns.map((p) => matchedSessions(org, campaignOf(p))));
    const matched = await Promise.all(all.body.patterns.map((p) => matchedSessions(org, campaignOf(p))));
    let recovered = 0;
    for (const [campaign, group] of maskedGroups) {
      const scores = matched.map((found) => score(found, group));
      const best = Math.max(0, ...scores.map((s) => s.f1));
      if (best >= 0.8) recovered++;
      if (VERBOSE) {
        const at = scores.findIndex((s) => s.f1 === best);
        const s = scores[at];
        progress(
          `  masked ${campaign} (${group.size}): best F1 ${best.toFixed(2)} (p ${s?.precision.toFixed(2)} r ${s?.recall.toFixed(2)}) by #${at} ${all.body.patterns[at]?.suggested_name} matching ${matched[at]?.size}`,
        );
      }
    }
    if (VERBOSE)
      for (const [id, group] of planted) {
        const p = orgTruth?.patterns.find((x) => x.id === id);
        progress(
          `  planted ${p?.kind} ${p?.referrerHost} ${p?.landingPath} ${p?.queryParameter} (${group.size} sessions, ${p?.start} … ${p?.end})`,
        );
      }
    const top10 = matched.slice(0, 10);
    const precise = top10.filter((found) => realGroups.some((g) => score(found, g).precision >= 0.8)).length;
    const top10Genuine = top10.filter(genuine).length;
    const steadyPrecise = steadyMatched.filter((found) =>
      realGroups.some((g) => score(found, g).precision >= 0.8),
    ).length;

    // Planted patterns at the default settings.
    const defaults = await api<{ patterns: PatternJson[] }>(
      org,
      `/api/v1/discovery/patterns?start_date=${qualityStart}&end_date=${endDate}`,
    );
    const defaultMatched = await Promise.all(defaults.body.patterns.map((p) => matchedSessions(org, campaignOf(p))));
    let plantedFound = 0;
    for (const [, group] of planted) if (defaultMatched.some((found) => score(found, group).f1 >= 0.8)) plantedFound++;
    const returnedReal = defaultMatched.filter((found) =>
      realGroups.some((g) => score(found, g).precision >= 0.8),
    ).length;
    const returnedGenuine = defaultMatched.filter(genuine).length;
    if (VERBOSE)
      defaults.body.patterns.forEach((p, i) => {
        const best = Math.max(0, ...realGroups.map((g) => score(defaultMatched[i] ?? new Set(), g).precision));
        progress(
          `  default #${i} ${p.suggested_name} (${p.sessions} sessions, matching ${defaultMatched[i]?.size}): best precision ${best.toFixed(2)}`,
        );
      });

    totals.masked += maskedGroups.size;
    totals.recovered += recovered;
    totals.top10 += top10.length;
    totals.top10Precise += precise;
    totals.planted += planted.size;
    totals.plantedFound += plantedFound;
    totals.returned += defaultMatched.length;
    totals.returnedReal += returnedReal;
    totals.top10Genuine += top10Genuine;
    totals.steadyTop10 += steadyMatched.length;
    totals.steadyTop10Precise += steadyPrecise;
    totals.returnedGenuine += returnedGenuine;
    quality.push({
      organization: org,
      masked_campaigns: maskedGroups.size,
      recovered_f1_08: recovered,
      top10_precise: `${precise}/${top10.length}`,
      steady_top10_precise: `${steadyPrecise}/${steadyMatched.length}`,
      planted: planted.size,
      planted_found: plantedFound,
      default_patterns: defaultMatched.length,
      default_real: returnedReal,
      default_genuine: returnedGenuine,
    });
  }

  // Anomalies: plant a spike (the top country's traffic tripled) and a drop (removed) per organization.
  const anomalyRows: Array<Record<string, string | number>> = [];
  let plantedAnomalies = 0;
  let foundAnomalies = 0;
  let namedFirst = 0;
  let falseAlarms = 0;
  let alarmsInPlanted = 0;
  let alarmsInBursts = 0;
  // The generated traffic stops at its end, in the middle of that day: the last day whose
  // traffic is whole is the one before (with BENCH_END in the past, the product would judge the
  // cut day as complete — a drop of the generator's making).
  const lastCompleteDate = isoDate(end.getTime() - DAY);
  const spikeDay = isoDate(qualityStartMs + 10 * DAY);
  const dropDay = isoDate(qualityStartMs + 20 * DAY);
  for (const org of scored) {
    // Each day's own top country: the spike day's may be a planted pattern's country, small on
    // the drop day.
    const topCountry = async (day: string) => {
      const { rows } = await store.query<{ country: string }>({
        name: "bench.top_country",
        sql: `SELECT country FROM ${db}.analytics_events WHERE organization_id = {org:String} AND event_date = {day:Date} AND NOT is_bot
GROUP BY country ORDER BY count() DESC LIMIT 1`,
        params: { org, day },
        organizationId: org,
      });
      return rows[0]?.country ?? "";
    };
    const country = await topCountry(spikeDay);
    const dropCountry = await topCountry(dropDay);
    for (const copy of ["a", "b"])
      await store.command({
        name: "bench.plant_spike",
        sql: `INSERT INTO ${db}.analytics_events SELECT * REPLACE (concat(event_id, '~', {copy:String}) AS event_id,
  if(session_id = '', '', concat(session_id, '~', {copy:String})) AS session_id)
FROM ${db}.analytics_events WHERE organization_id = {org:String} AND event_date = {day:Date} AND country = {country:String}`,
        params: { org, day: spikeDay, country, copy },
        organizationId: org,
      });
    await store.command({
      name: "bench.plant_drop",
      sql: `DELETE FROM ${db}.analytics_events WHERE organization_id = {org:String} AND event_date = {day:Date} AND country = {country:String}`,
      params: { org, day: dropDay, country: dropCountry },
      organizationId: org,
    });
    // The rollups of that day made again from the events, as the product's own deletions do.
    for (const spec of rollups) {
      const { remove, refill } = rollupRebuild(store.target, spec);
      for (const sql of [remove, refill])
        await store.command({
          name: "bench.rebuild_rollup",
          sql,
          params: { org, dates: [dropDay] },
          organizationId: org,
        });
    }
    const found = await api<{
      anomalies: Array<{
        bucket: string;
        dimension: string;
        direction: string;
        contributors: Array<{ value: string }>;
      }>;
    }>(
      org,
      `/api/v1/discovery/anomalies?start_date=${qualityStart}&end_date=${lastCompleteDate}&metric=sessions&group_by=day&dimensions=country`,
    );
    const overall = found.body.anomalies.filter((a) => a.dimension === "");
    const spike = overall.find((a) => a.bucket === spikeDay && a.direction === "spike");
    const drop = overall.find((a) => a.bucket === dropDay && a.direction === "drop");
    // Days inside one of the generator's planted patterns (a podcast, newsletter, partner or
    // influencer burst) hold real extra traffic: an alarm there is found, not false.
    const plantedDays = (truth.organizations.find((o) => o.organizationId === org)?.patterns ?? []).map((p) => ({
      from: p.start.slice(0, 10),
      to: p.end.slice(0, 10),
    }));
    const inPlanted = (day: string) => plantedDays.some((w) => day >= w.from && day <= w.to);
    // So do the generator's fraud bursts (paid clicks from a few hosting-network addresses, each a
    // session the crawler checks do not remove): on the larger organizations they double a day.
    const burstDays = (truth.organizations.find((o) => o.organizationId === org)?.fraudBursts ?? []).map((b) => ({
      from: b.start.slice(0, 10),
      to: b.end.slice(0, 10),
    }));
    const inBurst = (day: string) => burstDays.some((w) => day >= w.from && day <= w.to);
    const unplanned = overall.filter((a) => a.bucket !== spikeDay && a.bucket !== dropDay);
    const inPlantedPatterns = unplanned.filter((a) => inPlanted(a.bucket)).length;
    const inFraudBursts = unplanned.filter((a) => !inPlanted(a.bucket) && inBurst(a.bucket)).length;
    const others = unplanned.length - inPlantedPatterns - inFraudBursts;
    plantedAnomalies += 2;
    foundAnomalies += (spike ? 1 : 0) + (drop ? 1 : 0);
    const namedRight =
      (spike?.contributors[0]?.value === country ? 1 : 0) + (drop?.contributors[0]?.value === dropCountry ? 1 : 0);
    namedFirst += namedRight;
    falseAlarms += others;
    alarmsInPlanted += inPlantedPatterns;
    alarmsInBursts += inFraudBursts;
    anomalyRows.push({
      organization: org,
      countries: country === dropCountry ? country : `${country} / ${dropCountry}`,
      spike_found: spike ? "yes" : "no",
      drop_found: drop ? "yes" : "no",
      named_first: namedRight,
      false_alarms: others,
      in_planted_patterns: inPlantedPatterns,
      in_fraud_bursts: inFraudBursts,
    });
  }

  // Speed: the largest organization over 90 days, each method through the gateway beside its raw statements.
  const largest = generator.organizations[0]?.id ?? "";
  const speedStart = isoDate(end.getTime() - (SPEED_DAYS - 1) * DAY);
  const range = resolveRange(create(DateRangeSchema, { startDate: speedStart, endDate, timeZone: "UTC" }), "range");
  const raw = await rawStatements(store, range, largest);
  const q = `start_date=${speedStart}&end_date=${endDate}`;
  // Answers are cached (same request, data and ruleset: the stored answer): each timed call
  // differs from every other by a setting that leaves the statement as it is (limit, or a
  // threshold moved by a thousandth), so every one of them is computed; the cached answer's time
  // is measured apart.
  const methods: Array<{ name: string; path: string; uncached: (i: number) => string; raw: () => Promise<number> }> = [
    {
      name: "patterns",
      path: `/api/v1/discovery/patterns?${q}`,
      uncached: (i) => `/api/v1/discovery/patterns?${q}&limit=${30 + i}`,
      raw: raw.patterns,
    },
    {
      name: "anomalies",
      path: `/api/v1/discovery/anomalies?${q}&group_by=day`,
      uncached: (i) => `/api/v1/discovery/anomalies?${q}&group_by=day&threshold=${(4 + (i + 1) / 1000).toFixed(3)}`,
      raw: raw.anomalies,
    },
    {
      name: "fraud",
      path: `/api/v1/discovery/fraud?${q}`,
      uncached: (i) => `/api/v1/discovery/fraud?${q}&limit=${60 + i}`,
      raw: raw.fraud,
    },
  ];
  const speed: Array<Record<string, string | number>> = [];
  for (const method of methods) {
    await api(largest, method.path);
    await method.raw();
    const apiTimes: number[] = [];
    const rawTimes: number[] = [];
    const cachedTimes: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      rawTimes.push(await method.raw());
      apiTimes.push((await api(largest, method.uncached(i))).ms);
      cachedTimes.push((await api(largest, method.path)).ms);
    }
    const apiP50 = percentile(apiTimes, 50);
    const rawP50 = percentile(rawTimes, 50);
    const cachedP50 = percentile(cachedTimes, 50);
    speed.push({
      method: method.name,
      days: SPEED_DAYS,
      api_p50_ms: apiP50,
      raw_p50_ms: rawP50,
      ratio: apiP50 / rawP50,
      cached_p50_ms: cachedP50,
    });
    progress(
      `  ${method.name}: api ${apiP50.toFixed(0)} ms, raw ${rawP50.toFixed(0)} ms, cached ${cachedP50.toFixed(1)} ms`,
    );
  }
  const { rows: sizeRows } = await store.query<{ n: string }>({
    name: "bench.largest",
    sql: `SELECT count() AS n FROM ${db}.analytics_events WHERE organization_id = {org:String}`,
    params: { org: largest },
    organizationId: largest,
  });

  const summary = {
    masked_campaigns: totals.masked,
    masked_recovered_share: totals.masked ? totals.recovered / totals.masked : 0,
    top10_precise_share: totals.top10 ? totals.top10Precise / totals.top10 : 0,
    top10_genuine_share: totals.top10 ? totals.top10Genuine / totals.top10 : 0,
    steady_top10_precise_share: totals.steadyTop10 ? totals.steadyTop10Precise / totals.steadyTop10 : 0,
    planted_patterns: totals.planted,
    planted_recall: totals.planted ? totals.plantedFound / totals.planted : 0,
    default_precision: totals.returned ? totals.returnedReal / totals.returned : 0,
    default_genuine_share: totals.returned ? totals.returnedGenuine / totals.returned : 0,
    anomaly_recall: plantedAnomalies ? foundAnomalies / plantedAnomalies : 0,
    anomaly_named_first: foundAnomalies ? namedFirst / foundAnomalies : 0,
    false_alarms_per_org_month: falseAlarms / scored.length,
    planted_pattern_alarms_per_org_month: alarmsInPlanted / scored.length,
    fraud_burst_alarms_per_org_month: alarmsInBursts / scored.length,
  };
  process.stdout.write("\nquality per organization (last 30 days)\n");
  report("discovery-quality", quality, {});
  process.stdout.write("\nanomalies planted per organization\n");
  report("discovery-anomalies", anomalyRows, {});
  process.stdout.write("\nsummary\n");
  report(
    "discovery",
    [
      ...Object.entries(summary).map(([k, v]) => ({ figure: k, value: v })),
      ...speed.map((s) => ({
        figure: `speed ${s.method}`,
        value: `${(s.api_p50_ms as number).toFixed(0)} ms vs raw ${(s.raw_p50_ms as number).toFixed(0)} ms (×${(s.ratio as number).toFixed(2)}); cached ${(s.cached_p50_ms as number).toFixed(1)} ms`,
      })),
    ],
    {
      events: EVENTS,
      organizations: ORGANIZATIONS,
      scored_organizations: scored,
      days: DAYS,
      quality_days: QUALITY_DAYS,
      masked_share: MASKED_SHARE,
      largest,
      largest_events: Number(sizeRows[0]?.n ?? 0),
      speed,
      quality,
      anomalies: anomalyRows,
      summary,
    },
  );
} finally {
  await engine.close();
}
