import { LANDING_ORDER_SQL, landingFactColumns, SESSION_KEY_HASH_SQL } from "@trellis/store";
import { type BoundSql, type ResolvedRange, rangeParams, resolveRuleField } from "@trellis/traffic-rules";
import { attributeSets, patternAttributes, UNDERSTOOD_PARAMS } from "./attributes.js";

/** Channels whose traffic no campaign would be made of: unpaid search and social, the site itself. */
export const UNCAMPAIGNED_CHANNELS = ["organic_search", "organic_social", "internal"];

export interface PatternSettings {
  /** Fewest unattributed sessions a group must hold to be returned (support pruning in the engine). */
  minSessions: number;
  /** Sessions with a fraud score at or above this are fraud, never a pattern. */
  fraudScoreMax: number;
  /**
   * The groups' per-day series in an aggregation pass of its own (see {@link compilePatterns}):
   * faster for a large organization, slower for a small one.
   */
  separateSeries?: boolean;
  /**
   * Where the sessions are read from: the raw events (every event of the window, grouped by
   * session), or the store's landing sessions (`landing_sessions`, one row per session and UTC
   * day, kept by ingest), which hold the same facts in about a third as many rows.
   */
  source: "events" | "landing_sessions";
}

/**
 * Events in the range and the window before it from which the statement takes the separate
 * series's shape. Measured on the 10M benchmark dataset's ten organizations, each shape's
 * statement alone (four runs each, alternating; medians): 4.24M events 3.0 s against 4.3 s in
 * one pass; 1.15M 1.43 against 1.71 s; from 0.29M to 0.94M within a tenth of a second either way
 * (0.74M 1.53 against 1.35 s, 0.52M 0.87 against 1.16 s); an earlier round measured 100–200k
 * events at 0.46–0.57 s against 0.35–0.46 s — every further CTE and pass costs about 0.1 s
 * however few its rows.
 */
export const SEPARATE_SERIES_FROM_EVENTS = 1_000_000;

/**
 * Where a ruleset's patterns read their sessions: the landing sessions when they hold every fact
 * its rules test (a query parameter, or a column the landing row keeps), else the events (a rule
 * on the full landing URL, which the landing sessions leave out).
 */
export function sessionSourceFor(ruleFields: readonly string[]): PatternSettings["source"] {
  const held = ruleFields.every((name) => {
    const resolved = resolveRuleField(name);
    return resolved !== undefined && (resolved.paramName !== undefined || isLandingFact(resolved.field.sql));
  });
  return held ? "landing_sessions" : "events";
}

function isLandingFact(column: string): boolean {
  return (landingFactColumns as readonly string[]).includes(column);
}

/** Each attribute set, and the empty one (the totals), as a mask: bit i for the i-th pattern attribute. */
export function groupingSetMasks(): number[] {
  const bit = new Map(patternAttributes.map((attribute, i) => [attribute.name, 1 << i]));
  return [0, ...attributeSets().map((set) => set.reduce((mask, name) => mask | (bit.get(name) ?? 0), 0))];
}

/** The comparison window before the range: as long as the range, at most 90 days. */
export function pastWindow(range: ResolvedRange): { startDate: string; days: number } {
  const days = Math.min(range.days, 90);
  const start = new Date(`${range.startDate}T00:00:00Z`);
  start.setUTCDate(start.getUTCDate() - days);
  return { startDate: start.toISOString().slice(0, 10), days };
}

/**
 * One statement: the organization's landing sessions of the range and of the window before it,
 * each in a class — 1 unattributed (human, low fraud, a channel campaigns are made of, no
 * effective campaign), 2 attributed, 3 unattributed in the window before — aggregated by the
 * engine over every attribute set at once (GROUPING SETS), keeping only groups with enough
 * unattributed or attributed sessions (support pruning in HAVING), and the groups of a page and
 * a referrer with any attributed session (whose pages other campaigns hold). The row whose
 * attributes are all NULL is the totals. Cost follows the distinct attribute combinations, not
 * the events.
 *
 * A group's daily figures come back as (day offsets from the window's first day, sessions,
 * events, conversions, revenue, converting sessions): `withDays` turns the offsets into dates.
 *
 * One GROUPING SETS pass for every aggregate: split into four passes over a materialized fold
 * (counts, tagged campaigns, daily series, top values, each re-folded by its own keys) it
 * measured 27 % faster for an organization of 4.3M events but 1.7–1.9× slower for one of 430k
 * — each pass costs about 0.35 s however few its rows.
 *
 * With `separateSeries`, no GROUPING SETS and no per-group map of days: the sessions folded per
 * day are kept (a materialized CTE) with a 64-bit code for each attribute's value, and folded
 * across days once more (another); every folded row is then taken once per attribute set, its
 * group told by the set and a hash of the codes of the set's values — keys of fixed size that the
 * engine groups far faster than the values themselves. Two sums per group decide the support
 * pruning first (a third CTE, the groups kept); the figures — top values, campaigns' maps and
 * spans, the costly part — are then aggregated for the kept groups alone, and beside them, in a
 * pass of its own, each kept group's sessions by day, gathered in order. Measured on the 10M
 * benchmark dataset's largest organization (the statement alone, alternating with the grouping
 * sets it replaced in a one-off driver, 14 pairs): shorter in 13, by 2–22 % (median about 5 %),
 * and as much less CPU; through the API the difference was inside the machine's drift. The groups and the series come back as rows of
 * their own ({@link SeparateSeriesRow}), which {@link joinSeries} joins by set and hash. The
 * same groups and figures (tested); the top values, which the engine's topK approximates from
 * the order rows reach it in, can differ between the shapes among near ties.
 */
export function compilePatterns(
  effective: BoundSql,
  range: ResolvedRange,
  settings: PatternSettings,
  database: string,
  organizationId: string,
): BoundSql {
  const past = pastWindow(range);
  const attributeList = patternAttributes.map((a) => `a_${a.name}`).join(", ");
  const sets = attributeSets()
    .map((set) => `(${set.map((name) => `a_${name}`).join(", ")})`)
    .join(",\n    ");
  const pagesByReferrer = patternAttributes
    .map((a) =>
      a.name === "referrer_host" || a.name === "landing_path" ? `isNotNull(a_${a.name})` : `isNull(a_${a.name})`,
    )
    .join(" AND ");
  // The set of a page and a referrer alone, as the series pass tells sets (a bit per attribute).
  const pagesByReferrerMask = patternAttributes.reduce(
    (mask, a, i) => (a.name === "referrer_host" || a.name === "landing_path" ? mask | (1 << i) : mask),
    0,
  );
  // A row's group in the set `grouping_set` (a bit per attribute): the hash of the codes of the
  // set's values (0 for an attribute outside the set).
  const groupKeyOfSet = `cityHash64(${patternAttributes.map((a, i) => `if(bitTest(grouping_set, ${i}), h_${a.name}, 0)`).join(", ")})`;
  // Each attribute's value's code, from the landing facts.
  const attributeCodes = patternAttributes.map((a) => `cityHash64(${a.sql}) AS h_${a.name}`).join(",\n    ");
  const attributeColumns = patternAttributes.map((a) => `${a.sql} AS a_${a.name}`).join(",\n    ");
  const foldKeys = `landing_campaign, l_referrer_host, l_unknown_param, l_click_id_type, other_clid, l_landing_path,
    l_country, l_device_type, l_browser, l_source, l_medium`;
  const scopedEvents = `scoped AS (
  -- The organization's events of the range and the window before it. Sessions are told apart
  -- by a 64-bit hash of their key: the engine groups and joins fixed-size keys far faster than
  -- strings; a collision is improbable (about one in 20 million with 1.4M sessions in the
  -- window) and would merge two sessions' counts, nothing more.
  SELECT ${SESSION_KEY_HASH_SQL} AS session_key, event_time,
    ${LANDING_ORDER_SQL} AS landing_order,
    event_type, conversion_value, referrer_host,
    landing_path, click_id_type, country, device_type, browser, source, medium, channel,
    is_bot, fraud_score, query_params, ${effective.sql} AS effective
  FROM ${database}.analytics_events
  WHERE organization_id = {organization_id:String}
    AND event_date BETWEEN {past_scan_start:Date} AND {scan_end:Date}
    AND event_time >= toDateTime64({past_start:String}, 3, {tz:String})
    AND event_time < toDateTime64({end_exclusive:String}, 3, {tz:String})
)`;
  // The landing event's columns the fold reads (beside its effective campaign).
  const landingColumns = [
    "referrer_host",
    "landing_path",
    "click_id_type",
    "country",
    "device_type",
    "browser",
    "source",
    "medium",
    "channel",
  ];
  // From the events, each session's landing event is found in two steps: the session's figures
  // and the order key of its first event (time, then the event id's hash: one event even when
  // several share a millisecond) from fixed-size columns alone, then that one event's facts by a
  // join on the key. Taking the facts with one argMin per column instead carries every column of
  // every event through the aggregation: twice the time on 10M events. ANY: one row per key of
  // either side, so a stored duplicate of the landing event is counted once.
  const landingJoin =
    settings.source === "events"
      ? `        SELECT s.started AS started, l.effective AS effective, ${landingColumns.map((c) => `l.${c} AS ${c}`).join(", ")},
          mapKeys(l.query_params) AS param_names, mapValues(l.query_params) AS param_values,
          s.bot AS bot, s.fraud AS fraud, s.events AS events, s.conversions AS conversions, s.revenue AS revenue
        FROM scoped AS l
        ANY INNER JOIN (
          SELECT
            session_key,
            min(landing_order) AS landing_order,
            min(event_time) AS started,
            max(is_bot) AS bot,
            max(fraud_score) AS fraud,
            count() AS events,
            countIf(event_type = 'conversion') AS conversions,
            sumIf(conversion_value, event_type = 'conversion') AS revenue
          FROM scoped
          GROUP BY session_key
        ) AS s ON l.landing_order = s.landing_order
`
      : landingSessionsJoin(effective.sql, database, landingColumns);
  // The CTEs before the statement's own: the scoped events, when the sessions are made from them.
  const ctes = settings.source === "events" ? `WITH ${scopedEvents}` : "";
  // Sessions alike in every fact the groups read, one row a day (class, day, landing
  // attributes, descriptive values): for an organization of 4.3M events, 218k rows for 900k
  // sessions.
  const sessionDays = `    SELECT class, toDate(started, {tz:String}) AS day, ${foldKeys},
      count() AS day_n,
      sum(events) AS day_events,
      sum(conversions) AS day_conversions,
      sum(revenue) AS day_revenue,
      countIf(conversions > 0) AS day_converting,
      min(started) AS day_first_started,
      max(started) AS day_last_started
    FROM (
      SELECT *,
        multiIf(
          bot OR fraud >= {fraud_max:UInt8}, 0,
          started < toDateTime64({start:String}, 3, {tz:String}), if(landing_campaign = '' AND NOT has({uncampaigned:Array(String)}, l_channel), 3, 0),
          landing_campaign != '', 2,
          has({uncampaigned:Array(String)}, l_channel), 0,
          1) AS class
      FROM (
        -- Each session: its figures and its landing event's facts (see landingJoin).
        SELECT
          started,
          effective AS landing_campaign,
          referrer_host AS l_referrer_host,
          landing_path AS l_landing_path,
          click_id_type AS l_click_id_type,
          -- The landing's query parameter the product does not understand, as "name=value"
          -- (its name is what precedes the first "="), and an unknown *clid parameter's name:
          -- read once per session, from the landing event's parameters only. Of several, the
          -- one with the shortest value: a source or campaign id is short (ref=podcast,
          -- mc_cid=…), while a long opaque token (over 40 characters) names a visitor or a
          -- click, never a source. Most landings have none: the parameters are only looked
          -- through then, and filtered and sorted where there is one.
          arrayExists((k, v) -> length(v) <= 40 AND NOT has({understood_params:Array(String)}, k)
            AND NOT endsWith(lower(k), 'clid'), param_names, param_values) AS has_unknown,
          if(has_unknown,
            arraySort(p -> (length(p.2), p.1), arrayFilter(p -> length(p.2) <= 40
              AND NOT has({understood_params:Array(String)}, p.1) AND NOT endsWith(lower(p.1), 'clid'),
              arrayZip(param_names, param_values)))[1],
            ('', '')) AS unknown,
          if(unknown.1 = '', '', concat(unknown.1, '=', unknown.2)) AS l_unknown_param,
          arrayFirst(k -> endsWith(lower(k), 'clid'), param_names) AS other_clid,
          country AS l_country,
          device_type AS l_device_type,
          browser AS l_browser,
          source AS l_source,
          medium AS l_medium,
          channel AS l_channel,
          bot,
          fraud,
          events,
          conversions,
          revenue
        FROM (
${landingJoin}        )
      )
    )
    WHERE class > 0
    GROUP BY class, day, ${foldKeys}`;
  const summary = `  sumIf(n, class = 1) AS u,
  sumIf(n, class = 2) AS a,
  sumIf(n, class = 3) AS p,
  sumIf(g_events, class = 1) AS u_events,
  sumIf(g_conversions, class = 1) AS u_conversions,
  toFloat64(sumIf(g_revenue, class = 1)) AS u_revenue,
  sumIf(converting, class IN (1, 2)) AS converting_sessions,
  -- The attributed sessions by campaign: a group whose tagged sessions are one campaign's holds
  -- that campaign's clicks that lost their tags.
  sumMapIf([landing_campaign], [n], class = 2) AS attributed_by_campaign,
  -- The local days the tagged sessions span (a campaign's flight), as days and as the instants
  -- their local midnights start and the day after the last ends.
  toString(minIf(first_day, class = 2)) AS t_first_day,
  toString(maxIf(last_day, class = 2)) AS t_last_day,
  toUnixTimestamp(toDateTime(minIf(first_day, class = 2), {tz:String})) AS t_from,
  toUnixTimestamp(toDateTime(maxIf(last_day, class = 2) + 1, {tz:String})) AS t_until,
  -- Each campaign's own span of tagged days in the group, as the instants its first local day
  -- starts and its last ends: successive campaigns on one page (a newsletter's issues featuring
  -- the same article) each hold the group in their own days.
  minMapIf([landing_campaign], [day_start], class = 2) AS campaign_from,
  maxMapIf([landing_campaign], [day_end], class = 2) AS campaign_until,
  sumIf(converting, class = 1) AS u_converting_sessions,
  toString(minIf(first_started, class = 1)) AS first_seen,
  toString(maxIf(last_started, class = 1)) AS last_seen,
  topKWeightedIf(3)(l_source, n, class = 1) AS sources,
  topKWeightedIf(3)(l_medium, n, class = 1) AS mediums,
  topKWeightedIf(3)(l_country, n, class = 1) AS countries,
  topKWeightedIf(3)(l_device_type, n, class = 1) AS devices,
  topKWeightedIf(3)(l_browser, n, class = 1) AS browsers,
  topKWeightedIf(3)(l_referrer_host, n, class = 1) AS referrer_hosts`;
  const groupingSets = `GROUP BY GROUPING SETS (
    (),
    ${sets}
)`;
  const having = `HAVING u >= {min_sessions:UInt64} OR a >= {min_sessions:UInt64}
  -- A page from a referrer with any tagged session, however few: which pages another
  -- campaign's clicks reach from a mail client (a lifecycle mail's own page), to leave out of
  -- a newsletter issue's visits from that mail client elsewhere, exactly.
  OR (a > 0 AND ${pagesByReferrer})
  OR (${patternAttributes.map((a) => `isNull(a_${a.name})`).join(" AND ")})`;
  // A group's days, for the one-pass statement: days for the unattributed classes only (the
  // attributed are read for their first and last day), and the figures besides sessions for the
  // range only (the window before is read for its sessions): 0 on the days of class 3.
  const dayArrays = `    groupArrayIf(toUInt32(day - toDate({past_start_date:String})), class != 2) AS per_day,
    groupArrayIf(day_n, class != 2) AS per_day_n,
    groupArrayIf(if(class = 1, day_events, 0), class != 2) AS per_day_events,
    groupArrayIf(if(class = 1, day_conversions, 0), class != 2) AS per_day_conversions,
    groupArrayIf(if(class = 1, day_revenue, 0), class != 2) AS per_day_revenue,
    groupArrayIf(if(class = 1, day_converting, 0), class != 2) AS per_day_converting,
`;
  // The sessions alike across their days, before the grouping sets: exact, and the grouping
  // sets then read far fewer rows than there are sessions (50k rows for the 900k sessions above).
  const acrossDaysFigures = `sum(day_n) AS n,
    sum(day_events) AS g_events,
    sum(day_conversions) AS g_conversions,
    sum(day_revenue) AS g_revenue,
    sum(day_converting) AS converting,
    min(day_first_started) AS first_started,
    max(day_last_started) AS last_started,
    min(day) AS first_day,
    max(day) AS last_day,
    toUInt32(toUnixTimestamp(toDateTime(first_day, {tz:String}))) AS day_start,
    toUInt32(toUnixTimestamp(toDateTime(last_day + 1, {tz:String}))) AS day_end`;
  const sql = settings.separateSeries
    ? `${ctes ? `${ctes},` : "WITH"}
-- The sessions alike in every fact the groups read, one row a day, with a 64-bit code for each
-- attribute's value (the hash of its text): a group is told by its set and its values' codes.
session_days AS MATERIALIZED (
  SELECT *,
    ${attributeCodes}
  FROM (
${sessionDays}
  )
),
-- The same sessions folded across their days (a fifth as many rows), with their attributes.
across_days AS MATERIALIZED (
  SELECT class, ${foldKeys},
    ${acrossDaysFigures},
    ${patternAttributes.map((a) => `any(h_${a.name}) AS h_${a.name}`).join(", ")},
    ${patternAttributes.map((a) => `${a.sql} AS v_${a.name}`).join(",\n    ")}
  FROM session_days
  GROUP BY class, ${foldKeys}
),
-- The groups the support pruning keeps, counted first with two sums each, so that the costly
-- figures (top values, campaigns' maps, spans) are aggregated for those groups alone — a few
-- thousand where the attribute sets hold a long tail of hundreds of thousands.
kept AS MATERIALIZED (
  SELECT grouping_set, group_hash
  FROM (
    SELECT class, n, arrayJoin({grouping_sets:Array(UInt64)}) AS grouping_set, ${groupKeyOfSet} AS group_hash
    FROM across_days
  )
  GROUP BY grouping_set, group_hash
  HAVING sumIf(n, class = 1) >= {min_sessions:UInt64} OR sumIf(n, class = 2) >= {min_sessions:UInt64}
    -- A page from a referrer with any tagged session, however few (see the one pass's HAVING).
    OR (sumIf(n, class = 2) > 0 AND grouping_set = ${pagesByReferrerMask})
    OR grouping_set = 0
)
-- The groups and their series as rows of their own, each row's figures as one JSON text, which
-- the process joins by the group's key (set and codes' hash): the two aggregations run side by
-- side, where as the two sides of a join one waited for the other.
SELECT concat(toString(grouping_set), ':', toString(group_hash)) AS key, 'group' AS kind,
  formatRowNoNewline('JSONEachRow', * EXCEPT (grouping_set, group_hash)) AS row
FROM (
  SELECT grouping_set, group_hash,
    -- The set's attributes' values; NULL for the others, as GROUPING SETS answer them.
    ${patternAttributes.map((a, i) => `if(bitTest(grouping_set, ${i}), any(v_${a.name}), NULL) AS a_${a.name}`).join(",\n    ")},
${summary}
  FROM (
    SELECT *, arrayJoin({grouping_sets:Array(UInt64)}) AS grouping_set, ${groupKeyOfSet} AS group_hash
    FROM across_days
  )
  WHERE (grouping_set, group_hash) IN (SELECT grouping_set, group_hash FROM kept)
  GROUP BY grouping_set, group_hash
)
UNION ALL
-- Per day over the window before and the range: sessions, and (the range's only, for a pattern
-- counted within a campaign's flight) events, conversions, revenue, converting sessions; each
-- kept group's days in order, as offsets from the window's first — each folded day once per
-- attribute set (the empty set too: the totals), told by the set and its codes' hash, keys of
-- fixed size that the engine groups far faster than the values themselves; in place of a
-- per-group map that grows with the days of every group, pruned or not. Only the groups kept,
-- so the answer carries no series of a group it leaves out (an organization with a long tail of
-- pages would have hundreds of thousands).
SELECT concat(toString(grouping_set), ':', toString(group_hash)) AS key, 'series' AS kind,
  formatRowNoNewline('JSONEachRow', daily, active_days) AS row
FROM (
  SELECT grouping_set, group_hash,
    arraySort(groupArray(tuple(d, n, e, c, r, v))) AS days,
    tuple(arrayMap(x -> x.1, days), arrayMap(x -> x.2, days), arrayMap(x -> x.3, days),
      arrayMap(x -> x.4, days), arrayMap(x -> x.5, days), arrayMap(x -> x.6, days)) AS daily,
    -- The range's days with an unattributed session.
    countIf(d >= {past_days:UInt32}) AS active_days
  FROM (
    SELECT grouping_set, group_hash, d,
      sum(day_n) AS n,
      sumIf(day_events, class = 1) AS e,
      sumIf(day_conversions, class = 1) AS c,
      sumIf(day_revenue, class = 1) AS r,
      sumIf(day_converting, class = 1) AS v
    FROM (
      SELECT class, day_n, day_events, day_conversions, day_revenue, day_converting,
        toUInt32(day - toDate({past_start_date:String})) AS d,
        arrayJoin({grouping_sets:Array(UInt64)}) AS grouping_set,
        ${groupKeyOfSet} AS group_hash
      FROM session_days
      -- The days with an unattributed session, or one of the window before.
      WHERE class != 2
    )
    WHERE (grouping_set, group_hash) IN (SELECT grouping_set, group_hash FROM kept)
    GROUP BY grouping_set, group_hash, d
  )
  GROUP BY grouping_set, group_hash
)`
    : `${ctes}
SELECT
  ${attributeList},
${summary},
  -- Per day over the window before and the range, summed from the folded rows' days: sessions,
  -- and (the range's only, for a pattern counted within a campaign's flight) events,
  -- conversions, revenue, converting sessions. Days as offsets from the window's first: as
  -- dates they were three times the bytes of the answer.
  sumMap(per_day, per_day_n, per_day_events, per_day_conversions, per_day_revenue, per_day_converting) AS daily,
  -- The range's days with an unattributed session (the window before holds only class 3, the
  -- range only class 1).
  arrayCount(i -> i >= {past_days:UInt32}, daily.1) AS active_days
FROM (
  -- Sessions alike across their days folded into one weighted row, their days kept as arrays.
  SELECT class, ${foldKeys},
    ${acrossDaysFigures},
${dayArrays}    ${attributeColumns}
  FROM (
${sessionDays}
  )
  GROUP BY class, ${foldKeys}
)
${groupingSets}
${having}`;
  return {
    sql,
    params: {
      ...effective.params,
      ...rangeParams(range),
      organization_id: organizationId,
      past_start: `${past.startDate} 00:00:00`,
      past_start_date: past.startDate,
      past_days: past.days,
      past_scan_start: pastScanStartOf(range),
      understood_params: UNDERSTOOD_PARAMS,
      uncampaigned: UNCAMPAIGNED_CHANNELS,
      fraud_max: settings.fraudScoreMax,
      min_sessions: settings.minSessions,
      grouping_sets: groupingSetMasks(),
    },
  };
}

/**
 * The sessions from the store's landing sessions (`landing_sessions`, see migration 15 of
 * `@trellis/store`): one row per session and UTC day, several while an insert's rows are not yet
 * merged with an earlier one's. A session of one row is that row: its figures, and its landing
 * event's facts. A session of several rows has its figures summed over them and its landing facts
 * from the row holding its first event (the least order key): only those sessions are grouped and
 * joined back to their rows, so the join's table holds the few sessions that cross a UTC
 * midnight or an insert, not every session (measured on the 10M benchmark dataset, the sessions
 * folded per day: 0.70–0.88 s against 0.95–1.15 s joining every session, a quarter less CPU).
 * The landing row's columns are named as the events' are, so the ruleset's effective campaign
 * reads them unchanged (`event_time` is the landing's time; `query_params` made from the two
 * arrays only when a rule reads it). A session belongs to the window it starts in, with all its
 * events of the scanned days.
 */
function landingSessionsJoin(effectiveSql: string, database: string, columns: string[]): string {
  const scan = `FROM ${database}.landing_sessions
          WHERE organization_id = {organization_id:String}
            AND day BETWEEN {past_scan_start:Date} AND {scan_end:Date}`;
  const landingRow = `SELECT session_key, landing_order, started AS row_started, is_bot AS row_bot, fraud_score AS row_fraud,
            events AS row_events, conversions AS row_conversions, revenue AS row_revenue,
            ${landingFactColumns.map((c) => `landing.${c} AS ${c}`).join(", ")},
            landing.param_names AS param_names, landing.param_values AS param_values,
            mapFromArrays(param_names, param_values) AS query_params,
            started AS event_time,
            ${effectiveSql} AS effective
          ${scan}`;
  const figures = `min(landing_order) AS landing_order,
            min(started) AS started,
            max(is_bot) AS bot,
            max(fraud_score) AS fraud,
            sum(events) AS events,
            sum(conversions) AS conversions,
            sum(revenue) AS revenue`;
  const inWindow = `started >= toDateTime64({past_start:String}, 3, {tz:String})
            AND started < toDateTime64({end_exclusive:String}, 3, {tz:String})`;
  return `        SELECT s.landing_order != 0 AS several,
          if(several, s.started, l.row_started) AS started, l.effective AS effective,
          ${columns.map((c) => `l.${c} AS ${c}`).join(", ")}, l.param_names AS param_names, l.param_values AS param_values,
          if(several, s.bot, l.row_bot) AS bot,
          if(several, s.fraud, l.row_fraud) AS fraud,
          if(several, s.events, l.row_events) AS events,
          if(several, s.conversions, l.row_conversions) AS conversions,
          if(several, s.revenue, l.row_revenue) AS revenue
        FROM (
          ${landingRow}
        ) AS l
        ANY LEFT JOIN (
          SELECT session_key, ${figures}
          ${scan}
          GROUP BY session_key
          HAVING count() > 1
        ) AS s ON l.session_key = s.session_key
        WHERE (NOT several OR l.landing_order = s.landing_order) AND ${inWindow}
`;
}

/**
 * The organization's events in the range and the window before it (UTC days, from the daily
 * totals rollup: a few rows a day), which decide the statement's shape.
 */
export function compileWindowEvents(range: ResolvedRange, database: string, organizationId: string): BoundSql {
  return {
    sql: `SELECT sum(events) AS events
FROM ${database}.events_daily_totals
WHERE organization_id = {organization_id:String} AND day BETWEEN {past_scan_start:Date} AND {scan_end:Date}`,
    params: {
      ...rangeParams(range),
      organization_id: organizationId,
      past_scan_start: pastScanStartOf(range),
    },
  };
}

/** The first UTC day whose events can fall in the window before the range, in any zone. */
function pastScanStartOf(range: ResolvedRange): string {
  const start = new Date(`${pastWindow(range).startDate}T00:00:00Z`);
  start.setUTCDate(start.getUTCDate() - 1);
  return start.toISOString().slice(0, 10);
}

/**
 * The settings the statement needs besides its SQL: NULL for attributes a grouping set leaves
 * out; 64-bit counts as JSON numbers (far below 2^53; quoted, the answer's daily arrays were a
 * quarter larger).
 */
export const patternQuerySettings = {
  group_by_use_nulls: 1,
  output_format_json_quote_64bit_integers: 0,
  // A landing session without a match in the sessions of several rows reads 0 there, not NULL.
  join_use_nulls: 0,
};

/**
 * The settings of a statement of either shape: the separate series's sessions' days are kept
 * once for both its passes (`enable_materialized_cte`, ClickHouse 26.3 and later; without it
 * the engine computes a CTE once per reader). Only that shape carries the setting, so an engine
 * that does not know it is never given it.
 */
export function patternSettingsFor(separateSeries: boolean): Record<string, number> {
  return separateSeries ? { ...patternQuerySettings, enable_materialized_cte: 1 } : patternQuerySettings;
}

/** Whether the engine keeps a CTE once for all its readers (`AS MATERIALIZED`): one row, `known` 0 or 1. */
export const materializedCteSupport: BoundSql = {
  sql: "SELECT count() AS known FROM system.settings WHERE name = 'enable_materialized_cte'",
  params: {},
};

/** A row of the separate-series statement: a group's figures or its series, as JSON text, under the group's key. */
export interface SeparateSeriesRow {
  key: string;
  kind: "group" | "series";
  row: string;
}

/**
 * The groups of the separate-series statement with their series joined: each group's `daily`
 * and `active_days` from the series row of its key — the one-pass statement's rows.
 */
export function joinSeries<Row>(rows: readonly SeparateSeriesRow[]): Row[] {
  const series = new Map<string, { daily: unknown; active_days: number }>();
  for (const row of rows) if (row.kind === "series") series.set(row.key, JSON.parse(row.row));
  const groups: Row[] = [];
  for (const row of rows) {
    if (row.kind !== "group") continue;
    const group = JSON.parse(row.row) as Record<string, unknown>;
    const days = series.get(row.key);
    // A group without a series row (none of its sessions unattributed): no day, as the one pass answers it.
    group.daily = days?.daily ?? [[], [], [], [], [], []];
    group.active_days = days?.active_days ?? 0;
    groups.push(group as Row);
  }
  return groups;
}

/** A group's daily figures with dates for the offsets the statement answers, from the window's first day. */
export function withDays<Row extends { daily: [Array<string | number>, ...unknown[]] }>(
  rows: Row[],
  windowStartDate: string,
): Row[] {
  const first = Date.parse(`${windowStartDate}T00:00:00Z`);
  const dates = new Map<number, string>();
  const dateOf = (offset: number) => {
    let date = dates.get(offset);
    if (date === undefined) {
      date = new Date(first + offset * 86_400_000).toISOString().slice(0, 10);
      dates.set(offset, date);
    }
    return date;
  };
  for (const row of rows) row.daily[0] = row.daily[0].map((offset) => dateOf(Number(offset)));
  return rows;
}
