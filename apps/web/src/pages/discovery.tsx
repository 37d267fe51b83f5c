import type {
  AdoptPatternResponse,
  Anomaly,
  Condition,
  FraudPattern,
  Pattern,
  PreviewCampaignResponse,
} from "@trellis/contracts";
import { useEffect, useRef, useState } from "preact/hooks";
import { anomalyScope, useAnomalies, whatChanged } from "../anomalies.js";
import { campaigns, discovery } from "../api.js";
import { isAbort, type Problem, problemOf } from "../errors.js";
import { formatDecimal, formatInteger, formatMoney, formatPercent } from "../format.js";
import { rangeOf } from "../questions.js";
import { Loading, Panel, ProblemNote, Table } from "../ui.js";
import { useAnswer } from "../use-answer.js";
import { navigate, type ViewState } from "../view-state.js";
import { CampaignPreview, operators } from "./campaigns.js";

/**
 * What discovery finds in the range: patterns in unattributed traffic (each can become a
 * campaign after a preview), anomalies with what changed, and fraud patterns.
 */
export function DiscoveryPage({ view, scopes }: { view: ViewState; scopes: string[] }) {
  const [adopted, setAdopted] = useState(0);
  const patterns = useAnswer(
    (signal) => discovery.discoverPatterns({ range: rangeOf(view) }, { signal }),
    [view.from, view.to, view.timeZone, adopted],
  );
  const [adopting, setAdopting] = useState<{ pattern: Pattern; runId: string } | undefined>();
  const canManage = scopes.includes("campaigns:manage");
  return (
    <>
      <Panel title="Suggested patterns" id="patterns" answer={patterns} isEmpty={(d) => d.patterns.length === 0}>
        {(d) => (
          <>
            <p class="hint">
              Ranked by estimated value. {formatInteger(d.unattributedSessions)} of {formatInteger(d.sessions)} sessions
              in the range have no campaign.
            </p>
            <ol class="patterns">
              {d.patterns.map((p) => (
                <PatternCard
                  key={p.id}
                  pattern={p}
                  currency={view.currency}
                  onAdopt={canManage && view.asOf === 0 ? () => setAdopting({ pattern: p, runId: d.runId }) : undefined}
                />
              ))}
            </ol>
            {!canManage && <p class="hint">Adopting a pattern as a campaign needs the campaigns:manage scope.</p>}
          </>
        )}
      </Panel>
      {adopting && (
        <AdoptDialog
          key={adopting.pattern.id}
          view={view}
          pattern={adopting.pattern}
          runId={adopting.runId}
          onClose={() => setAdopting(undefined)}
          onAdopted={() => setAdopted((n) => n + 1)}
        />
      )}
      <AnomaliesPanel view={view} />
      <FraudPanel view={view} />
    </>
  );
}

export function conditionText(c: Condition): string {
  const operator = operators.find((o) => o.value === c.operator)?.label ?? String(c.operator);
  return `${c.field} ${operator}${c.values.length ? ` ${c.values.map((v) => `"${v}"`).join(", ")}` : ""}`;
}

function PatternCard(props: { pattern: Pattern; currency: string; onAdopt: (() => void) | undefined }) {
  const { pattern: p, currency } = props;
  const facts: [string, string][] = [
    ["Sessions", formatInteger(p.sessions)],
    ["Conversions", formatInteger(p.conversions)],
    ["Revenue", formatMoney(p.revenue, currency)],
    ["Conversion rate", `${formatPercent(p.conversionRate)} (baseline ${formatPercent(p.baselineConversionRate)})`],
    ["Confidence", formatPercent(p.confidence)],
    ["Estimated value", formatMoney(p.estimatedValue, currency)],
    ["Time range", p.range ? `${p.range.startDate} – ${p.range.endDate}` : ""],
    ["Sources", p.sources.join(", ")],
    ["Countries", p.countries.join(", ")],
    ["Devices", p.deviceTypes.join(", ")],
    ["Referrer hosts", p.referrerHosts.join(", ")],
  ];
  const titleId = `pattern-${p.id}`;
  return (
    <li class="panel pattern" data-testid="pattern" data-id={p.id} aria-labelledby={titleId}>
      <h3 id={titleId}>{p.suggestedName}</h3>
      <ul class="conditions" aria-label="Conditions">
        {p.conditions.map((c, i) => (
          <li key={i}>
            <code>{conditionText(c)}</code>
          </li>
        ))}
      </ul>
      <dl class="facts">
        {facts
          .filter(([, value]) => value !== "")
          .map(([label, value]) => (
            <div key={label}>
              <dt>{label}</dt>
              <dd data-fact={label}>{value}</dd>
            </div>
          ))}
      </dl>
      {props.onAdopt && (
        <button type="button" class="primary" onClick={props.onAdopt}>
          Adopt “{p.suggestedName}” as campaign…
        </button>
      )}
    </li>
  );
}

/** The adopt step: the suggested campaign's rules and its preview first, an optional new name, then adopt. */
function AdoptDialog(props: {
  view: ViewState;
  pattern: Pattern;
  runId: string;
  onClose: () => void;
  onAdopted: () => void;
}) {
  const { view, pattern } = props;
  const suggested = pattern.suggestedCampaign;
  const [name, setName] = useState(suggested?.name || pattern.suggestedName);
  const [preview, setPreview] = useState<PreviewCampaignResponse | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  const [state, setState] = useState<"preview" | "adopting" | "adopted">("preview");
  const [result, setResult] = useState<AdoptPatternResponse | undefined>();
  // Keyboard users land on the step they opened, below the list.
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  useEffect(() => {
    if (!suggested) return;
    const controller = new AbortController();
    campaigns
      .previewCampaign({ campaign: suggested, range: rangeOf(view) }, { signal: controller.signal })
      .then(setPreview, (error: unknown) => {
        if (!isAbort(error) && !controller.signal.aborted) setProblem(problemOf(error));
      });
    return () => controller.abort();
  }, [suggested, view.from, view.to, view.timeZone]);
  return (
    <section class="panel editor" id="adopt" aria-labelledby="adopt-title">
      <h2 id="adopt-title" ref={heading} tabIndex={-1}>
        Adopt “{pattern.suggestedName}” as a campaign
      </h2>
      <h3>Rules of the suggested campaign</h3>
      {suggested?.rules.map((rule, r) => (
        <ul key={r} class="conditions" aria-label={`Rule ${r + 1}`} data-testid="adopt-rule">
          {rule.conditions.map((c, i) => (
            <li key={i}>
              <code>{conditionText(c)}</code>
            </li>
          ))}
        </ul>
      ))}
      <div class="preview" aria-live="polite" data-testid="campaign-preview">
        <h3>What it would have matched</h3>
        {problem && <ProblemNote problem={problem} />}
        {!preview && !problem && <Loading />}
        {preview && <CampaignPreview preview={preview} currency={view.currency} />}
      </div>
      {state === "adopted" && result?.campaign ? (
        <p role="status" data-testid="adopted">
          Adopted as campaign <strong>{result.campaign.name}</strong> (ruleset version {String(result.rulesetVersion)}
          ).{" "}
          <button type="button" class="link" onClick={() => navigate({ page: "campaigns" })}>
            Open campaigns
          </button>
        </p>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setState("adopting");
            discovery
              .adoptPattern({ patternId: pattern.id, runId: props.runId, range: rangeOf(view), name: name.trim() })
              .then(
                (answer) => {
                  setResult(answer);
                  setState("adopted");
                  props.onAdopted();
                },
                (error: unknown) => {
                  setState("preview");
                  setProblem(problemOf(error));
                },
              );
          }}
        >
          <div class="row">
            <label>
              Campaign name{" "}
              <input name="adopt-name" value={name} required onInput={(e) => setName(e.currentTarget.value)} />
            </label>
            <button type="submit" class="primary" disabled={!preview || state === "adopting"}>
              Adopt
            </button>
            <button type="button" onClick={props.onClose}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

function AnomaliesPanel({ view }: { view: ViewState }) {
  const answer = useAnomalies(view);
  return (
    <Panel title="Anomalies" id="anomalies" answer={answer} isEmpty={(d) => d.anomalies.length === 0}>
      {(d) => (
        <Table
          caption="Buckets that differ from their usual value, and what changed"
          columns={[
            { label: "When", value: (a: Anomaly) => a.bucket },
            { label: "Where", value: (a) => anomalyScope(a) },
            { label: "Metric", value: (a) => `${a.metric} ${a.direction}` },
            {
              label: "Observed",
              numeric: true,
              value: (a) => <span data-value={a.observed}>{formatDecimal(a.observed)}</span>,
            },
            { label: "Expected", numeric: true, value: (a) => formatDecimal(a.expected) },
            { label: "Score", numeric: true, value: (a) => formatDecimal(a.score) },
            { label: "What changed", value: (a) => whatChanged(a) || "—" },
          ]}
          rows={d.anomalies}
          rowKey={(a, i) => `${a.bucket}:${a.dimension}:${a.value}:${i}`}
        />
      )}
    </Panel>
  );
}

function FraudPanel({ view }: { view: ViewState }) {
  const answer = useAnswer(
    (signal) => discovery.detectFraud({ range: rangeOf(view) }, { signal }),
    [view.from, view.to, view.timeZone],
  );
  return (
    <Panel title="Fraud patterns" id="fraud" answer={answer} isEmpty={(d) => d.patterns.length === 0}>
      {(d) => (
        <Table
          caption="Suspicious traffic found in the range"
          columns={[
            { label: "Kind", value: (f: FraudPattern) => f.kind },
            { label: "Description", value: (f) => f.description },
            {
              label: "Where",
              value: (f) =>
                Object.entries(f.dimensions)
                  .map(([k, v]) => `${k} = ${v}`)
                  .join(", "),
            },
            {
              label: "Events",
              numeric: true,
              value: (f) => <span data-value={String(f.events)}>{formatInteger(f.events)}</span>,
            },
            { label: "Score", numeric: true, value: (f) => formatDecimal(f.score) },
          ]}
          rows={d.patterns}
          rowKey={(f, i) => `${f.kind}:${i}`}
        />
      )}
    </Panel>
  );
}
