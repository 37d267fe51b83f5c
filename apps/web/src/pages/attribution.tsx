import {
  AttributionModel,
  type CompareAttributionModelsResponse,
  CreditDimension,
  type GetClickAttributionResponse,
  JourneyKey,
} from "@trellis/contracts";
import { useMemo, useState } from "preact/hooks";
import { analytics } from "../api.js";
import { useCampaignNames } from "../campaign-names.js";
import { Chart } from "../chart.js";
import { type Problem, problemOf } from "../errors.js";
import { formatDecimal, formatMoney, formatPercent } from "../format.js";
import { rangeOf } from "../questions.js";
import { Panel, ProblemNote, Table } from "../ui.js";
import { useAnswer } from "../use-answer.js";
import type { ViewState } from "../view-state.js";

export const modelNames: Record<number, { short: string; label: string }> = {
  [AttributionModel.FIRST_TOUCH]: { short: "first_touch", label: "First touch" },
  [AttributionModel.LAST_TOUCH]: { short: "last_touch", label: "Last touch" },
  [AttributionModel.LAST_NON_DIRECT]: { short: "last_non_direct", label: "Last non-direct" },
  [AttributionModel.LINEAR]: { short: "linear", label: "Linear" },
  [AttributionModel.TIME_DECAY]: { short: "time_decay", label: "Time decay" },
  [AttributionModel.POSITION_BASED]: { short: "position_based", label: "Position based" },
  [AttributionModel.MARKOV]: { short: "markov", label: "Markov" },
  [AttributionModel.SHAPLEY]: { short: "shapley", label: "Shapley" },
};

const noNames = new Map<string, string>();

/** The fraud score past which touches are weighted down when the toggle is on. */
const FRAUD_THRESHOLD = 50;

interface Settings {
  creditBy: CreditDimension;
  lookbackDays: number;
  journeyKey: JourneyKey;
  fraudWeighting: boolean;
}

/** Every model side by side, where they disagree, and one click's journey. */
export function AttributionPage({ view }: { view: ViewState; scopes: string[] }) {
  const [settings, setSettings] = useState<Settings>({
    creditBy: CreditDimension.CHANNEL,
    lookbackDays: 30,
    journeyKey: JourneyKey.VISITOR,
    fraudWeighting: false,
  });
  const names = useCampaignNames(view.asOf);
  const answer = useAnswer(
    (signal) =>
      analytics.compareAttributionModels(
        {
          range: rangeOf(view),
          settings: {
            creditBy: settings.creditBy,
            lookbackDays: settings.lookbackDays,
            journeyKey: settings.journeyKey,
            fraudThreshold: settings.fraudWeighting ? FRAUD_THRESHOLD : 0,
          },
          asOfRulesetVersion: BigInt(view.asOf),
          excludeNone: false,
        },
        { signal },
      ),
    [view.from, view.to, view.timeZone, view.asOf, JSON.stringify(settings)],
  );
  return (
    <>
      <fieldset class="settings">
        <legend>Model settings</legend>
        <label>
          Credit by{" "}
          <select
            name="credit-by"
            value={settings.creditBy}
            onChange={(e) => setSettings({ ...settings, creditBy: Number(e.currentTarget.value) })}
          >
            <option value={CreditDimension.CHANNEL}>Channel</option>
            <option value={CreditDimension.CAMPAIGN}>Campaign</option>
          </select>
        </label>
        <label>
          Lookback (days){" "}
          <input
            type="number"
            min={1}
            max={365}
            value={settings.lookbackDays}
            onChange={(e) => setSettings({ ...settings, lookbackDays: Number(e.currentTarget.value) || 30 })}
          />
        </label>
        <label>
          Journey{" "}
          <select
            value={settings.journeyKey}
            onChange={(e) => setSettings({ ...settings, journeyKey: Number(e.currentTarget.value) })}
          >
            <option value={JourneyKey.VISITOR}>Per visitor</option>
            <option value={JourneyKey.SESSION}>Per session</option>
          </select>
        </label>
        <label class="check">
          <input
            type="checkbox"
            checked={settings.fraudWeighting}
            onChange={(e) => setSettings({ ...settings, fraudWeighting: e.currentTarget.checked })}
          />{" "}
          Weight down touches with fraud score over {FRAUD_THRESHOLD}
        </label>
      </fieldset>
      <Panel
        title="Credit by model"
        id="models"
        answer={answer}
        isEmpty={(d) => d.models.every((m) => m.credits.length === 0)}
      >
        {(d) => (
          <ModelComparison
            answer={d}
            currency={view.currency}
            fraudWeighting={settings.fraudWeighting}
            names={settings.creditBy === CreditDimension.CAMPAIGN ? names : noNames}
          />
        )}
      </Panel>
      <ClickJourney view={view} />
    </>
  );
}

interface KeyRow {
  key: string;
  byModel: Map<number, { conversions: number; share: number; revenue: number; removed: number }>;
  spread: number;
}

function ModelComparison(props: {
  answer: CompareAttributionModelsResponse;
  currency: string;
  fraudWeighting: boolean;
  /** Campaign names by id when credit goes to campaigns; empty when it goes to channels. */
  names: Map<string, string>;
}) {
  const { answer } = props;
  const models = answer.models.map((m) => m.model);
  const rows = useMemo(() => {
    const byKey = new Map<string, KeyRow>();
    for (const model of answer.models) {
      for (const credit of model.credits) {
        const row = byKey.get(credit.key) ?? { key: credit.key, byModel: new Map(), spread: 0 };
        row.byModel.set(model.model, {
          conversions: credit.conversions,
          share: credit.share,
          revenue: credit.revenue,
          removed: credit.fraudRemovedConversions,
        });
        byKey.set(credit.key, row);
      }
    }
    for (const row of byKey.values()) {
      const shares = models.map((m) => row.byModel.get(m)?.share ?? 0);
      row.spread = Math.max(...shares) - Math.min(...shares);
    }
    return [...byKey.values()].sort((a, b) => b.spread - a.spread);
  }, [answer, models]);
  const chart = useMemo(
    () => ({
      x: models.map((_, i) => i),
      categories: models.map((m) => modelNames[m]?.label ?? String(m)),
      series: rows
        .slice(0, 8)
        .map((r) => ({ label: r.key || "(none)", values: models.map((m) => r.byModel.get(m)?.share ?? 0) })),
    }),
    [rows, models],
  );
  const removed = answer.models.map((m) => ({
    model: m.model,
    conversions: m.credits.reduce((sum, c) => sum + c.fraudRemovedConversions, 0),
    revenue: m.credits.reduce((sum, c) => sum + c.fraudRemovedRevenue, 0),
  }));
  return (
    <>
      <p>
        {formatDecimal(answer.totalConversions)} conversions worth {formatMoney(answer.totalRevenue, props.currency)}{" "}
        over {String(answer.distinctPaths)} distinct paths.
      </p>
      <Chart
        summary="Share of credit each key gets under each model"
        x={chart.x}
        categories={chart.categories}
        series={chart.series}
        format={(n) => formatPercent(n)}
        height={260}
      />
      <h3>Where the models disagree most</h3>
      <Table
        caption="Conversions credited to each key by each model, the keys the models disagree on most first"
        columns={[
          {
            label: "Key",
            value: (r: KeyRow) => (
              <span data-key={r.key || "(none)"}>{props.names.get(r.key) ?? (r.key || "(none)")}</span>
            ),
          },
          ...models.map((m) => ({
            label: modelNames[m]?.label ?? String(m),
            numeric: true,
            value: (r: KeyRow) => {
              const credit = r.byModel.get(m);
              return (
                <span data-model={modelNames[m]?.short} data-value={credit?.conversions ?? 0}>
                  {formatDecimal(credit?.conversions ?? 0)}
                </span>
              );
            },
          })),
          { label: "Spread of share", numeric: true, value: (r: KeyRow) => formatPercent(r.spread) },
        ]}
        rows={rows}
        rowKey={(r) => r.key}
      />
      {props.fraudWeighting && (
        <div id="fraud-removed">
          <h3>What fraud weighting removed</h3>
          <Table
            caption="Conversions and revenue fraud weighting removed, per model"
            columns={[
              { label: "Model", value: (r: (typeof removed)[number]) => modelNames[r.model]?.label ?? String(r.model) },
              {
                label: "Conversions removed",
                numeric: true,
                value: (r) => <span data-value={r.conversions}>{formatDecimal(r.conversions)}</span>,
              },
              { label: "Revenue removed", numeric: true, value: (r) => formatMoney(r.revenue, props.currency) },
            ]}
            rows={removed}
            rowKey={(r) => String(r.model)}
          />
        </div>
      )}
    </>
  );
}

/** A click's journey: every touch before its conversion and each model's credit for it. */
function ClickJourney({ view }: { view: ViewState }) {
  const [clickId, setClickId] = useState("");
  const [result, setResult] = useState<GetClickAttributionResponse | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  const [busy, setBusy] = useState(false);
  const shorts = Object.values(modelNames);
  return (
    <section class="panel" id="journey" aria-labelledby="journey-title">
      <h2 id="journey-title">A click's journey</h2>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          analytics
            .getClickAttribution({
              clickId: clickId.trim(),
              includeJourney: true,
              asOfRulesetVersion: BigInt(view.asOf),
            })
            .then(
              (r) => {
                setResult(r);
                setProblem(undefined);
              },
              (error: unknown) => {
                setResult(undefined);
                setProblem(problemOf(error));
              },
            )
            .finally(() => setBusy(false));
        }}
      >
        <label for="click-id">Click id</label>
        <input id="click-id" value={clickId} required onInput={(e) => setClickId(e.currentTarget.value)} />
        <button type="submit" disabled={busy}>
          Show journey
        </button>
      </form>
      {problem && <ProblemNote problem={problem} />}
      {result && result.journey.length === 0 && <p class="empty">No journey found for this click.</p>}
      {result && result.journey.length > 0 && (
        <Table
          caption="Touches of the journey with each model's credit"
          columns={[
            {
              label: "Time",
              value: (t: GetClickAttributionResponse["journey"][number]) =>
                t.time ? new Date(Number(t.time.seconds) * 1000).toLocaleString() : "",
            },
            { label: "Channel", value: (t) => t.channel || "(none)" },
            { label: "Source", value: (t) => t.source },
            { label: "Campaign", value: (t) => t.campaignId },
            ...shorts.map((m) => ({
              label: m.label,
              numeric: true,
              value: (t: GetClickAttributionResponse["journey"][number]) => (
                <span data-model={m.short} data-value={t.credit[m.short] ?? 0}>
                  {formatDecimal(t.credit[m.short] ?? 0)}
                </span>
              ),
            })),
          ]}
          rows={result.journey}
          rowKey={(t) => t.eventId}
        />
      )}
      {result?.conversion && (
        <p>
          Converted: {result.conversion.name} worth{" "}
          {formatMoney(result.conversion.value, result.conversion.currency || view.currency)}
        </p>
      )}
    </section>
  );
}
