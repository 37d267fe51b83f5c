import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Campaign, type CampaignSchema, MatchOperator, type PreviewCampaignResponse } from "@trellis/contracts";
import { useEffect, useMemo, useState } from "preact/hooks";
import { analytics, campaigns } from "../api.js";
import { Chart } from "../chart.js";
import { isAbort, type Problem, problemOf } from "../errors.js";
import { formatInteger, formatMoney } from "../format.js";
import { rangeOf } from "../questions.js";
import { Panel, ProblemNote, Table } from "../ui.js";
import { useAnswer } from "../use-answer.js";
import { navigate, type ViewState } from "../view-state.js";

/** The fields of the rule language (as the API documents them); `param:<name>` reads any query parameter. */
export const ruleFields = [
  "source",
  "medium",
  "channel",
  "utm_source",
  "utm_medium",
  "utm_campaign",
  "utm_term",
  "utm_content",
  "utm_id",
  "referrer",
  "referrer_host",
  "referrer_path",
  "referrer_class",
  "landing_url",
  "landing_host",
  "landing_path",
  "click_id_type",
  "country",
  "region",
  "city",
  "device_type",
  "browser",
  "os",
  "event_type",
  "param:",
];

export const operators: { value: MatchOperator; label: string }[] = [
  { value: MatchOperator.EQUALS, label: "equals" },
  { value: MatchOperator.NOT_EQUALS, label: "does not equal" },
  { value: MatchOperator.IN, label: "is one of" },
  { value: MatchOperator.CONTAINS, label: "contains" },
  { value: MatchOperator.STARTS_WITH, label: "starts with" },
  { value: MatchOperator.REGEX, label: "matches regex" },
  { value: MatchOperator.EXISTS, label: "exists" },
];

interface DraftCondition {
  field: string;
  operator: MatchOperator;
  /** One value a line. */
  values: string;
}
interface DraftRule {
  conditions: DraftCondition[];
  validFrom: string;
  validUntil: string;
}
interface Draft {
  id: string;
  name: string;
  priority: number;
  rules: DraftRule[];
}

const emptyCondition = (): DraftCondition => ({ field: "utm_campaign", operator: MatchOperator.EQUALS, values: "" });
const emptyDraft = (): Draft => ({
  id: "",
  name: "",
  priority: 0,
  rules: [{ conditions: [emptyCondition()], validFrom: "", validUntil: "" }],
});

/** The draft as the API's Campaign message: exactly what preview and save send. */
function campaignOf(draft: Draft): MessageInitShape<typeof CampaignSchema> {
  return {
    id: draft.id,
    name: draft.name,
    priority: draft.priority,
    rules: draft.rules.map((r) => ({
      conditions: r.conditions.map((c) => ({
        field: c.field,
        operator: c.operator,
        values:
          c.operator === MatchOperator.EXISTS
            ? []
            : c.values
                .split("\n")
                .map((v) => v.trim())
                .filter((v) => v !== ""),
      })),
      ...(r.validFrom ? { validFrom: timestampFromDate(new Date(r.validFrom)) } : {}),
      ...(r.validUntil ? { validUntil: timestampFromDate(new Date(r.validUntil)) } : {}),
    })),
  };
}

function draftOf(campaign: Campaign): Draft {
  // A datetime-local input holds the browser's local wall-clock time, as campaignOf reads it back.
  const local = (seconds: bigint | undefined) => {
    if (seconds === undefined) return "";
    const instant = new Date(Number(seconds) * 1000);
    return new Date(instant.getTime() - instant.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  };
  return {
    id: campaign.id,
    name: campaign.name,
    priority: campaign.priority,
    rules: campaign.rules.map((r) => ({
      conditions: r.conditions.map((c) => ({ field: c.field, operator: c.operator, values: c.values.join("\n") })),
      validFrom: local(r.validFrom?.seconds),
      validUntil: local(r.validUntil?.seconds),
    })),
  };
}

/** Campaigns, their performance, the rule editor with a live preview, and ruleset versions. */
export function CampaignsPage({ view, scopes }: { view: ViewState; scopes: string[] }) {
  const [changes, setChanges] = useState(0);
  const [draft, setDraft] = useState<Draft | undefined>();
  const list = useAnswer(
    async (signal) => {
      const [listed, performance] = await Promise.all([
        campaigns.listCampaigns({ asOfRulesetVersion: BigInt(view.asOf) }, { signal }),
        analytics.getCampaignPerformance({ range: rangeOf(view), asOfRulesetVersion: BigInt(view.asOf) }, { signal }),
      ]);
      return { listed, performance };
    },
    [view.from, view.to, view.timeZone, view.asOf, changes],
  );
  const canManage = scopes.includes("campaigns:manage");
  return (
    <>
      <Panel title="Campaigns" id="campaign-list" answer={list} isEmpty={(d) => d.listed.campaigns.length === 0}>
        {(d) => {
          const totals = new Map<string, { clicks: number; conversions: number; revenue: number }>();
          for (const row of d.performance.rows) {
            const t = totals.get(row.campaignId) ?? { clicks: 0, conversions: 0, revenue: 0 };
            t.clicks += Number(row.clicks);
            t.conversions += Number(row.conversions);
            t.revenue += row.revenue;
            totals.set(row.campaignId, t);
          }
          return (
            <Table
              caption="Campaigns with their traffic in the range"
              columns={[
                { label: "Campaign", value: (c: Campaign) => c.name },
                { label: "Id", value: (c) => <code>{c.id}</code> },
                { label: "Priority", numeric: true, value: (c) => String(c.priority) },
                {
                  label: "Clicks",
                  numeric: true,
                  value: (c) => (
                    <span data-value={totals.get(c.id)?.clicks ?? 0}>
                      {formatInteger(totals.get(c.id)?.clicks ?? 0)}
                    </span>
                  ),
                },
                {
                  label: "Conversions",
                  numeric: true,
                  value: (c) => (
                    <span data-value={totals.get(c.id)?.conversions ?? 0}>
                      {formatInteger(totals.get(c.id)?.conversions ?? 0)}
                    </span>
                  ),
                },
                {
                  label: "Revenue",
                  numeric: true,
                  value: (c) => formatMoney(totals.get(c.id)?.revenue ?? 0, view.currency),
                },
              ]}
              rows={d.listed.campaigns}
              rowKey={(c) => c.id}
              pickLabel={(c) => `Edit campaign ${c.name}`}
              {...(canManage && view.asOf === 0 ? { onPick: (c: Campaign) => setDraft(draftOf(c)) } : {})}
            />
          );
        }}
      </Panel>
      {canManage ? (
        draft ? (
          <CampaignEditor
            view={view}
            draft={draft}
            onChange={setDraft}
            onDone={() => {
              setDraft(undefined);
              setChanges((n) => n + 1);
            }}
          />
        ) : (
          <button type="button" class="primary" onClick={() => setDraft(emptyDraft())} disabled={view.asOf !== 0}>
            New campaign
          </button>
        )
      ) : (
        <p class="hint">Creating and editing campaigns needs a key with the campaigns:manage scope.</p>
      )}
      <RulesetVersions view={view} changes={changes} />
    </>
  );
}

/** The API's reason for a field of the draft, or for any part of it (its values, its fields) unless `exact`. */
function violationFor(problem: Problem | undefined, field: string, exact = false): string | undefined {
  return problem?.violations.find(
    (v) => v.field === field || (!exact && (v.field.startsWith(`${field}.`) || v.field.startsWith(`${field}[`))),
  )?.reason;
}

function CampaignEditor(props: { view: ViewState; draft: Draft; onChange: (d: Draft) => void; onDone: () => void }) {
  const { draft, view } = props;
  const [preview, setPreview] = useState<PreviewCampaignResponse | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  const [saveProblem, setSaveProblem] = useState<Problem | undefined>();
  const [saving, setSaving] = useState(false);
  const message = useMemo(() => campaignOf(draft), [draft]);
  // The preview reruns a moment after the last edit; the API validates the draft as it would on save.
  useEffect(() => {
    const controller = new AbortController();
    const timer = setTimeout(() => {
      campaigns.previewCampaign({ campaign: message, range: rangeOf(view) }, { signal: controller.signal }).then(
        (answer) => {
          setPreview(answer);
          setProblem(undefined);
        },
        (error: unknown) => {
          if (isAbort(error) || controller.signal.aborted) return;
          setPreview(undefined);
          setProblem(problemOf(error));
        },
      );
    }, 300);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [message, view.from, view.to, view.timeZone]);
  const update = (change: (d: Draft) => void) => {
    const next: Draft = structuredClone(draft);
    change(next);
    props.onChange(next);
  };
  const editRule = (r: number, change: (rule: DraftRule) => void) =>
    update((d) => {
      const rule = d.rules[r];
      if (rule) change(rule);
    });
  const editCondition = (r: number, i: number, change: (condition: DraftCondition) => void) =>
    editRule(r, (rule) => {
      const condition = rule.conditions[i];
      if (condition) change(condition);
    });
  return (
    <section class="panel editor" aria-labelledby="editor-title">
      <h2 id="editor-title">{draft.id ? `Edit ${draft.name}` : "New campaign"}</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setSaving(true);
          const call = draft.id
            ? campaigns.updateCampaign({ campaign: message })
            : campaigns.createCampaign({ campaign: message });
          call.then(
            () => {
              setSaving(false);
              props.onDone();
            },
            (error: unknown) => {
              setSaving(false);
              setSaveProblem(problemOf(error));
            },
          );
        }}
      >
        <div class="row">
          <label>
            Name{" "}
            <input
              name="campaign-name"
              value={draft.name}
              required
              onInput={(e) => update((d) => (d.name = e.currentTarget.value))}
              aria-invalid={violationFor(problem, "campaign.name") ? true : undefined}
            />
          </label>
          <label>
            Priority{" "}
            <input
              type="number"
              value={draft.priority}
              onInput={(e) => update((d) => (d.priority = Number(e.currentTarget.value) || 0))}
            />
          </label>
        </div>
        <FieldNote reason={violationFor(problem, "campaign.name")} />
        {draft.rules.map((rule, r) => (
          <fieldset key={r} class="rule">
            <legend>Rule {r + 1} (all conditions must hold; any rule matches)</legend>
            {rule.conditions.map((c, i) => {
              const at = `campaign.rules[${r}].conditions[${i}]`;
              return (
                <div key={i} class="condition">
                  <label>
                    Field{" "}
                    <input
                      list="rule-fields"
                      value={c.field}
                      onInput={(e) => editCondition(r, i, (c) => (c.field = e.currentTarget.value))}
                    />
                  </label>
                  <label>
                    Operator{" "}
                    <select
                      value={c.operator}
                      onChange={(e) => editCondition(r, i, (c) => (c.operator = Number(e.currentTarget.value)))}
                    >
                      {operators.map((o) => (
                        <option key={o.value} value={o.value}>
                          {o.label}
                        </option>
                      ))}
                    </select>
                  </label>
                  {c.operator !== MatchOperator.EXISTS && (
                    <label>
                      Values (one a line){" "}
                      <textarea
                        rows={Math.min(4, c.values.split("\n").length)}
                        value={c.values}
                        onInput={(e) => editCondition(r, i, (c) => (c.values = e.currentTarget.value))}
                      />
                    </label>
                  )}
                  <button
                    type="button"
                    aria-label={`Remove condition ${i + 1} of rule ${r + 1}`}
                    onClick={() => editRule(r, (rule) => rule.conditions.splice(i, 1))}
                  >
                    Remove
                  </button>
                  <FieldNote reason={violationFor(problem, at)} />
                </div>
              );
            })}
            <FieldNote reason={violationFor(problem, `campaign.rules[${r}].conditions`, true)} />
            <div class="row">
              <button type="button" onClick={() => editRule(r, (rule) => rule.conditions.push(emptyCondition()))}>
                Add condition
              </button>
              <label>
                Valid from (local time){" "}
                <input
                  type="datetime-local"
                  value={rule.validFrom}
                  onInput={(e) => editRule(r, (rule) => (rule.validFrom = e.currentTarget.value))}
                />
              </label>
              <label>
                until{" "}
                <input
                  type="datetime-local"
                  value={rule.validUntil}
                  onInput={(e) => editRule(r, (rule) => (rule.validUntil = e.currentTarget.value))}
                />
              </label>
              <button type="button" onClick={() => update((d) => d.rules.splice(r, 1))}>
                Remove rule
              </button>
            </div>
            <FieldNote reason={violationFor(problem, `campaign.rules[${r}].valid_until`)} />
          </fieldset>
        ))}
        <datalist id="rule-fields">
          {ruleFields.map((f) => (
            <option key={f} value={f} />
          ))}
        </datalist>
        <FieldNote reason={violationFor(problem, "campaign.rules", true)} />
        <div class="row">
          <button
            type="button"
            onClick={() =>
              update((d) => d.rules.push({ conditions: [emptyCondition()], validFrom: "", validUntil: "" }))
            }
          >
            Add rule
          </button>
          <button type="submit" class="primary" disabled={saving || problem !== undefined}>
            {draft.id ? "Save changes" : "Create campaign"}
          </button>
          <button type="button" onClick={props.onDone}>
            Cancel
          </button>
        </div>
        {saveProblem && <ProblemNote problem={saveProblem} />}
      </form>
      <div class="preview" aria-live="polite" data-testid="campaign-preview">
        <h3>What this draft would have matched</h3>
        {problem && <ProblemNote problem={problem} />}
        {preview && <CampaignPreview preview={preview} currency={view.currency} />}
      </div>
    </section>
  );
}

/** What a campaign would have matched, day by day (the editor's live preview, and discovery's adopt step). */
export function CampaignPreview({ preview, currency }: { preview: PreviewCampaignResponse; currency: string }) {
  const chart = useMemo(() => {
    const days = preview.days;
    return {
      x: days.map((d) => Date.parse(`${d.date}T00:00:00Z`) / 1000),
      series: [
        { label: "Matched events", values: days.map((d) => Number(d.events)), bars: true },
        { label: "Previously unattributed", values: days.map((d) => Number(d.previouslyUnattributedEvents)) },
      ],
    };
  }, [preview]);
  return (
    <>
      <p>
        <span data-testid="preview-events" data-value={String(preview.events)}>
          {formatInteger(preview.events)}
        </span>{" "}
        events, {formatInteger(preview.conversions)} conversions worth {formatMoney(preview.revenue, currency)};{" "}
        {formatInteger(preview.previouslyUnattributedEvents)} of the events had no campaign before.
      </p>
      {preview.days.length > 0 && (
        <Chart summary="Events the draft matches, day by day" x={chart.x} series={chart.series} height={180} />
      )}
    </>
  );
}

function FieldNote({ reason }: { reason: string | undefined }) {
  return reason ? <p class="field-problem">{reason}</p> : null;
}

function RulesetVersions({ view, changes }: { view: ViewState; changes: number }) {
  const answer = useAnswer((signal) => campaigns.listRulesetVersions({}, { signal }), [changes]);
  return (
    <Panel title="Ruleset versions" id="versions" answer={answer} isEmpty={(d) => d.versions.length === 0}>
      {(d) => (
        <Table
          caption="Every change to the campaign rules, newest first"
          columns={[
            { label: "Version", value: (v: (typeof d.versions)[number]) => String(v.version) },
            {
              label: "When",
              value: (v) => (v.createdAt ? new Date(Number(v.createdAt.seconds) * 1000).toLocaleString() : ""),
            },
            { label: "Who", value: (v) => v.principal },
            { label: "Change", value: (v) => v.change },
            {
              label: "View",
              value: (v) =>
                Number(v.version) === view.asOf ? (
                  "shown"
                ) : (
                  <button type="button" onClick={() => navigate({ asOf: Number(v.version) })}>
                    View as of {String(v.version)}
                  </button>
                ),
            },
          ]}
          rows={[...d.versions].reverse()}
          rowKey={(v) => String(v.version)}
        />
      )}
    </Panel>
  );
}
