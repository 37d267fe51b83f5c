import { CohortMetric, type GetCohortsResponse, Granularity, JourneyKey } from "@trellis/contracts";
import { useState } from "preact/hooks";
import { analytics } from "../api.js";
import { Chart } from "../chart.js";
import { formatInteger, formatMoney, formatPercent } from "../format.js";
import { rangeOf } from "../questions.js";
import { Panel, Table } from "../ui.js";
import { useAnswer } from "../use-answer.js";
import type { ViewState } from "../view-state.js";

/** Funnel builder with drop-off, and the cohorts heat map. */
export function FunnelsPage({ view }: { view: ViewState; scopes: string[] }) {
  return (
    <>
      <FunnelBuilder view={view} />
      <Cohorts view={view} />
    </>
  );
}

function FunnelBuilder({ view }: { view: ViewState }) {
  const [steps, setSteps] = useState(["pageview", "click", "conversion"]);
  const [windowHours, setWindowHours] = useState(24);
  const [journeyKey, setJourneyKey] = useState(JourneyKey.VISITOR);
  const answer = useAnswer(
    (signal) =>
      analytics.getFunnel(
        {
          range: rangeOf(view),
          steps: steps.filter((s) => s.trim() !== "").map((name) => ({ name: name.trim() })),
          windowSeconds: windowHours * 3600,
          journeyKey,
        },
        { signal },
      ),
    [view.from, view.to, view.timeZone, steps.join("\n"), windowHours, journeyKey],
  );
  return (
    <section class="panel" aria-labelledby="funnel-title">
      <h2 id="funnel-title">Funnel</h2>
      <fieldset class="settings">
        <legend>Steps (an event type — click, pageview, conversion, custom — or a conversion name)</legend>
        <ol class="steps">
          {steps.map((step, i) => (
            <li key={i}>
              <label>
                <span class="visually-hidden">Step {i + 1}</span>
                <input
                  value={step}
                  onChange={(e) => setSteps(steps.map((s, j) => (j === i ? e.currentTarget.value : s)))}
                />
              </label>
              <button
                type="button"
                aria-label={`Remove step ${i + 1}`}
                disabled={steps.length <= 2}
                onClick={() => setSteps(steps.filter((_, j) => j !== i))}
              >
                Remove
              </button>
            </li>
          ))}
        </ol>
        <button type="button" onClick={() => setSteps([...steps, "conversion"])}>
          Add step
        </button>
        <label>
          Window (hours){" "}
          <input
            type="number"
            min={1}
            max={2160}
            value={windowHours}
            onChange={(e) => setWindowHours(Number(e.currentTarget.value) || 24)}
          />
        </label>
        <label>
          Count{" "}
          <select value={journeyKey} onChange={(e) => setJourneyKey(Number(e.currentTarget.value))}>
            <option value={JourneyKey.VISITOR}>per visitor</option>
            <option value={JourneyKey.SESSION}>per session</option>
          </select>
        </label>
      </fieldset>
      <Panel title="Drop-off" id="funnel" answer={answer} isEmpty={(d) => d.steps.length === 0}>
        {(d) => (
          <>
            <Chart
              summary={`Funnel of ${d.steps.length} steps`}
              x={d.steps.map((_, i) => i)}
              categories={d.steps.map((s) => s.name)}
              series={[{ label: "Reached", values: d.steps.map((s) => Number(s.count)), bars: true }]}
            />
            <Table
              caption="Funnel steps"
              columns={[
                { label: "Step", value: (s: (typeof d.steps)[number]) => s.name },
                {
                  label: "Reached",
                  numeric: true,
                  value: (s) => <span data-value={String(s.count)}>{formatInteger(s.count)}</span>,
                },
                { label: "From previous", numeric: true, value: (s) => formatPercent(s.conversionFromPrevious) },
                { label: "From first", numeric: true, value: (s) => formatPercent(s.conversionFromFirst) },
                { label: "Dropped", numeric: true, value: (s) => formatInteger(s.dropOff) },
              ]}
              rows={d.steps}
              rowKey={(s) => s.name}
            />
          </>
        )}
      </Panel>
    </section>
  );
}

function Cohorts({ view }: { view: ViewState }) {
  const [cohortType, setCohortType] = useState(Granularity.WEEK);
  const [metric, setMetric] = useState(CohortMetric.RETENTION);
  const answer = useAnswer(
    (signal) => analytics.getCohorts({ range: rangeOf(view), cohortType, metric, periods: 8 }, { signal }),
    [view.from, view.to, view.timeZone, cohortType, metric],
  );
  return (
    <section class="panel" aria-labelledby="cohorts-title">
      <h2 id="cohorts-title">Cohorts</h2>
      <fieldset class="settings">
        <legend class="visually-hidden">Cohort settings</legend>
        <label>
          Cohorts by{" "}
          <select value={cohortType} onChange={(e) => setCohortType(Number(e.currentTarget.value))}>
            <option value={Granularity.WEEK}>week</option>
            <option value={Granularity.MONTH}>month</option>
          </select>
        </label>
        <label>
          Show{" "}
          <select value={metric} onChange={(e) => setMetric(Number(e.currentTarget.value))}>
            <option value={CohortMetric.RETENTION}>retention</option>
            <option value={CohortMetric.REVENUE}>revenue</option>
          </select>
        </label>
      </fieldset>
      <Panel title="Heat map" id="cohorts" answer={answer} isEmpty={(d) => d.cohorts.length === 0}>
        {(d) => <HeatMap answer={d} revenue={metric === CohortMetric.REVENUE} currency={view.currency} />}
      </Panel>
    </section>
  );
}

function HeatMap(props: { answer: GetCohortsResponse; revenue: boolean; currency: string }) {
  const periods = Math.max(...props.answer.cohorts.map((c) => c.values.length), 0);
  const max = Math.max(...props.answer.cohorts.flatMap((c) => (props.revenue ? c.values : c.retention)), 0);
  return (
    <table class="heat">
      <caption class="visually-hidden">Cohorts by period since their start</caption>
      <thead>
        <tr>
          <th scope="col">Cohort</th>
          <th scope="col" class="num">
            Size
          </th>
          {Array.from({ length: periods }, (_, p) => (
            <th key={p} scope="col" class="num">
              +{p}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.answer.cohorts.map((c) => (
          <tr key={c.cohort}>
            <th scope="row">{c.cohort}</th>
            <td class="num" data-value={String(c.size)}>
              {formatInteger(c.size)}
            </td>
            {Array.from({ length: periods }, (_, p) => {
              const value = (props.revenue ? c.values[p] : c.retention[p]) ?? 0;
              const level = max > 0 ? Math.min(9, Math.floor((value / max) * 10)) : 0;
              return (
                <td key={p} class={`num heat-${level}`}>
                  {props.revenue ? formatMoney(value, props.currency) : formatPercent(value)}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
