import type { Anomaly, GetTrafficResponse, TrafficTotals } from "@trellis/contracts";
import { useEffect, useMemo, useState } from "preact/hooks";
import { useAnomalies, whatChanged } from "../anomalies.js";
import { analytics } from "../api.js";
import { useCampaignNames } from "../campaign-names.js";
import { Chart, type ChartMarker } from "../chart.js";
import { isAbort, type Problem, problemOf } from "../errors.js";
import { change, formatInteger, formatMoney, formatPercent } from "../format.js";
import { cellNumber, cellText, filtersOf, granularityFor, rangeOf } from "../questions.js";
import { Panel, ProblemNote, Table } from "../ui.js";
import { useAnswer } from "../use-answer.js";
import { navigate, previousPeriod, type ViewState } from "../view-state.js";

interface PageProps {
  view: ViewState;
  scopes: string[];
}

/** Performance mark set once, when every panel of the first screen first shows its data. */
export const FIRST_SCREEN_MARK = "trellis:first-screen";

/** Marks the moment nothing on the first screen is loading any more (read by the dashboard benchmark). */
function useFirstScreenMark() {
  useEffect(() => {
    if (performance.getEntriesByName(FIRST_SCREEN_MARK).length > 0) return;
    const main = document.getElementById("main");
    if (!main) return;
    const loading = () => main.querySelector('[aria-busy="true"], [data-state="loading"]') !== null;
    const observer = new MutationObserver(() => {
      if (loading()) return;
      performance.mark(FIRST_SCREEN_MARK);
      observer.disconnect();
    });
    observer.observe(main, { subtree: true, attributes: true, attributeFilter: ["aria-busy", "data-state"] });
    return () => observer.disconnect();
  }, []);
}

/** The first screen: KPIs against the previous period, traffic, breakdowns, live, quality. */
export function OverviewPage({ view }: PageProps) {
  useFirstScreenMark();
  const question = [view.from, view.to, view.timeZone, JSON.stringify(view.filters), view.asOf];
  const traffic = useAnswer(async (signal) => {
    const common = { filters: filtersOf(view), asOfRulesetVersion: BigInt(view.asOf) };
    const [current, previous] = await Promise.all([
      analytics.getTraffic({ ...common, range: rangeOf(view), groupBy: granularityFor(view) }, { signal }),
      analytics.getTraffic({ ...common, range: { ...rangeOf(view), ...previousRange(view) } }, { signal }),
    ]);
    return { current, previous };
  }, question);
  const anomalies = useAnomalies(view);
  return (
    <>
      <FilterChips view={view} />
      <KpiTiles answer={traffic} currency={view.currency} />
      <div class="grid two">
        <Panel
          title="Traffic over time"
          id="traffic"
          class="wide"
          answer={traffic}
          isEmpty={(d) => d.current.points.length === 0}
        >
          {(d) => <TrafficChart traffic={d.current} anomalies={anomalies.data?.anomalies ?? []} />}
        </Panel>
        <LiveCard />
      </div>
      <div class="grid three">
        {breakdowns.map((b) => (
          <Breakdown key={b.dimension} view={view} {...b} />
        ))}
        <QualityPanel view={view} />
      </div>
    </>
  );
}

function previousRange(view: ViewState) {
  const previous = previousPeriod(view.from, view.to);
  return { startDate: previous.from, endDate: previous.to };
}

function FilterChips({ view }: { view: ViewState }) {
  if (view.filters.length === 0) return null;
  return (
    <ul class="chips" aria-label="Filters">
      {view.filters.map((f, i) => (
        <li key={`${f.field}:${f.value}`}>
          <button
            type="button"
            data-testid="filter-chip"
            aria-label={`Remove filter ${f.field} is ${f.value}`}
            onClick={() => navigate({ filters: view.filters.filter((_, j) => j !== i) })}
          >
            {f.field} is <strong>{f.value || "(none)"}</strong> ×
          </button>
        </li>
      ))}
    </ul>
  );
}

const kpis: { name: string; label: string; value: (t: TrafficTotals) => number; money?: boolean; share?: boolean }[] = [
  { name: "visitors", label: "Visitors", value: (t) => Number(t.visitors) },
  { name: "sessions", label: "Sessions", value: (t) => Number(t.sessions) },
  { name: "conversions", label: "Conversions", value: (t) => Number(t.conversions) },
  { name: "revenue", label: "Revenue", value: (t) => t.revenue, money: true },
  {
    name: "conversion-rate",
    label: "Conversion rate",
    value: (t) => (Number(t.sessions) > 0 ? Number(t.conversions) / Number(t.sessions) : 0),
    share: true,
  },
];

function KpiTiles(props: {
  answer: ReturnType<typeof useAnswer<{ current: GetTrafficResponse; previous: GetTrafficResponse }>>;
  currency: string;
}) {
  const { answer } = props;
  return (
    <section class="tiles" aria-label="Key figures" aria-busy={answer.state === "loading"}>
      {answer.state === "failed" && <ProblemNote problem={answer.problem} />}
      {kpis.map((k) => {
        const current = answer.data?.current.totals;
        const previous = answer.data?.previous.totals;
        const value = current ? k.value(current) : undefined;
        const before = previous ? k.value(previous) : 0;
        const delta = value === undefined ? undefined : change(value, before);
        return (
          <div
            class="tile"
            key={k.name}
            data-testid={`kpi-${k.name}`}
            data-state={answer.state}
            data-value={value === undefined ? undefined : String(value)}
          >
            <div class="tile-label">{k.label}</div>
            <div class="tile-value">
              {value === undefined
                ? "…"
                : k.money
                  ? formatMoney(value, props.currency)
                  : k.share
                    ? formatPercent(value)
                    : formatInteger(value)}
            </div>
            <div class="tile-change">
              {delta === undefined ? (value === undefined ? "" : "new") : `${delta} vs previous period`}
            </div>
          </div>
        );
      })}
    </section>
  );
}

/** "2026-04-01T00:00:00" or "2026-04-01 00:00:00" (the request's zone) as seconds on a UTC axis. */
function bucketSeconds(bucket: string): number {
  const text = bucket.replace(" ", "T");
  return (
    Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(text) ? text : `${text.length === 10 ? `${text}T00:00:00` : text}Z`) / 1000
  );
}

/**
 * Visitors, sessions and conversions over time. Anomalies of all traffic (found by discovery,
 * arriving after the traffic) are marked on the chart and listed under it with what changed;
 * those of single values are counted, with the way to the Discovery page.
 */
function TrafficChart({ traffic, anomalies }: { traffic: GetTrafficResponse; anomalies: Anomaly[] }) {
  const overall = useMemo(() => anomalies.filter((a) => a.dimension === ""), [anomalies]);
  const markers = useMemo<ChartMarker[]>(
    () => overall.map((a) => ({ x: bucketSeconds(a.bucket), label: `${a.metric} ${a.direction}` })),
    [overall],
  );
  const chart = useMemo(() => {
    const points = [...traffic.points].sort((a, b) => a.bucket.localeCompare(b.bucket));
    return {
      x: points.map((p) => bucketSeconds(p.bucket)),
      series: [
        { label: "Visitors", values: points.map((p) => Number(p.visitors)) },
        { label: "Sessions", values: points.map((p) => Number(p.sessions)) },
        { label: "Conversions", values: points.map((p) => Number(p.conversions)) },
      ],
    };
  }, [traffic]);
  return (
    <>
      <Chart
        summary={`Visitors, sessions and conversions over ${chart.x.length} time buckets${markers.length ? `, ${markers.length} marked as anomalies` : ""}`}
        x={chart.x}
        series={chart.series}
        markers={markers}
      />
      {overall.length > 0 && (
        <ul class="anomalies" aria-label="Anomalies">
          {overall.map((a) => (
            <li key={a.bucket} data-testid="anomaly-marker" data-bucket={a.bucket}>
              <strong>{a.bucket}</strong>: {a.metric} {a.direction} ({formatInteger(Math.round(a.observed))} vs{" "}
              {formatInteger(Math.round(a.expected))} expected){whatChanged(a) ? ` — ${whatChanged(a)}` : ""}
            </li>
          ))}
        </ul>
      )}
      {anomalies.length > overall.length && (
        <p class="hint">
          <a
            href={`/discovery${window.location.search}`}
            onClick={(event) => {
              event.preventDefault();
              navigate({ page: "discovery" });
            }}
          >
            {formatInteger(anomalies.length - overall.length)} more anomalies in single sources, countries or devices
          </a>
        </p>
      )}
    </>
  );
}

const breakdowns = [
  { dimension: "channel", title: "Channels" },
  { dimension: "source", title: "Sources" },
  { dimension: "campaign_id", title: "Campaigns" },
  { dimension: "landing_path", title: "Landing pages" },
  { dimension: "country", title: "Countries" },
  { dimension: "device_type", title: "Devices" },
];

/** Top values of one dimension; a click on one filters the whole page by it. */
function Breakdown(props: { view: ViewState; dimension: string; title: string }) {
  const { view, dimension } = props;
  const names = useCampaignNames(view.asOf);
  const answer = useAnswer(
    (signal) =>
      analytics.runReport(
        {
          dimensions: [dimension],
          metrics: ["visitors", "conversions", "revenue"],
          filters: filtersOf(view),
          range: rangeOf(view),
          orderBy: [{ field: "visitors", direction: 2 }],
          limit: 10,
          asOfRulesetVersion: BigInt(view.asOf),
        },
        { signal },
      ),
    [dimension, view.from, view.to, view.timeZone, JSON.stringify(view.filters), view.asOf],
  );
  return (
    <Panel title={props.title} id={`breakdown-${dimension}`} answer={answer} isEmpty={(d) => d.rows.length === 0}>
      {(d) => (
        <Table
          caption={`${props.title} by visitors`}
          columns={[
            {
              label: props.title,
              value: (r) => {
                const key = cellText(r, dimension) || "(none)";
                return <span data-key={key}>{(dimension === "campaign_id" && names.get(key)) || key}</span>;
              },
            },
            {
              label: "Visitors",
              numeric: true,
              value: (r) => (
                <span data-value={cellNumber(r, "visitors")}>{formatInteger(cellNumber(r, "visitors"))}</span>
              ),
            },
            { label: "Conversions", numeric: true, value: (r) => formatInteger(cellNumber(r, "conversions")) },
            { label: "Revenue", numeric: true, value: (r) => formatMoney(cellNumber(r, "revenue"), view.currency) },
          ]}
          rows={d.rows}
          rowKey={(r) => cellText(r, dimension)}
          pickLabel={(r) => `Filter by ${dimension} ${cellText(r, dimension) || "(none)"}`}
          onPick={(r) => {
            const value = cellText(r, dimension);
            if (!view.filters.some((f) => f.field === dimension && f.value === value)) {
              navigate({ filters: [...view.filters, { field: dimension, value }] });
            }
          }}
        />
      )}
    </Panel>
  );
}

function QualityPanel({ view }: { view: ViewState }) {
  const answer = useAnswer(
    (signal) =>
      analytics.runReport(
        {
          metrics: ["events", "bot_events", "average_fraud_score"],
          filters: filtersOf(view),
          range: rangeOf(view),
          asOfRulesetVersion: BigInt(view.asOf),
        },
        { signal },
      ),
    [view.from, view.to, view.timeZone, JSON.stringify(view.filters), view.asOf],
  );
  return (
    <Panel title="Bots and fraud" id="quality" answer={answer} isEmpty={(d) => d.rows.length === 0}>
      {(d) => {
        const row = d.rows[0] ?? {};
        const events = cellNumber(row, "events");
        const bots = cellNumber(row, "bot_events");
        return (
          <dl class="facts">
            <dt>Bot share of events</dt>
            <dd data-testid="bot-share" data-value={events > 0 ? bots / events : 0}>
              {formatPercent(events > 0 ? bots / events : 0)} ({formatInteger(bots)} of {formatInteger(events)})
            </dd>
            <dt>Average fraud score (0–100)</dt>
            <dd data-testid="fraud-score">{cellNumber(row, "average_fraud_score").toFixed(1)}</dd>
          </dl>
        );
      }}
    </Panel>
  );
}

const LIVE_MINUTES = 30;

/** Visitors and events of the last half hour, pushed by the WatchRealtime stream every second. */
function LiveCard() {
  const [totals, setTotals] = useState<Record<string, number> | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  useEffect(() => {
    const controller = new AbortController();
    (async () => {
      for (;;) {
        try {
          for await (const message of analytics.watchRealtime(
            { lastMinutes: LIVE_MINUTES, metrics: ["visitors", "events"], intervalSeconds: 1 },
            { signal: controller.signal },
          )) {
            setProblem(undefined);
            setTotals({ ...message.snapshot?.totals });
          }
        } catch (error) {
          if (controller.signal.aborted || isAbort(error)) return;
          setProblem(problemOf(error));
        }
        // The stream ended (a server restart, a proxy): reconnect after a pause.
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        if (controller.signal.aborted) return;
      }
    })().catch(() => undefined);
    return () => controller.abort();
  }, []);
  return (
    <section
      class="panel live"
      aria-labelledby="live-title"
      data-state={problem ? "failed" : totals ? "ready" : "loading"}
    >
      <h2 id="live-title">
        Live <span class="dot" aria-hidden="true" /> <small>last {LIVE_MINUTES} minutes</small>
      </h2>
      {problem && <ProblemNote problem={problem} />}
      <dl class="facts" aria-live="polite">
        <dt>Visitors</dt>
        <dd data-testid="live-visitors" data-value={totals?.visitors ?? ""}>
          {totals ? formatInteger(totals.visitors ?? 0) : "…"}
        </dd>
        <dt>Events</dt>
        <dd data-testid="live-events" data-value={totals?.events ?? ""}>
          {totals ? formatInteger(totals.events ?? 0) : "…"}
        </dd>
      </dl>
    </section>
  );
}
