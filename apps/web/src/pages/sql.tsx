import type { RunSqlResponse } from "@trellis/contracts";
import { useRef, useState } from "preact/hooks";
import { analytics } from "../api.js";
import { type Problem, problemOf } from "../errors.js";
import { errorOffset, lineAndColumn } from "../sql-position.js";
import { ProblemNote } from "../ui.js";

const example = `SELECT channel, count() AS events, uniqExact(visitor_id) AS visitors
FROM analytics_events
WHERE event_date >= {from:Date}
GROUP BY channel
ORDER BY events DESC`;

/** Parameters as `name=value` lines. */
function parseParameters(text: string): Record<string, string> {
  const parameters: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const at = line.indexOf("=");
    if (at > 0) parameters[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return parameters;
}

/** The SQL console: the sandboxed statement, its parameters, results and downloads. */
export function SqlPage({ scopes }: { scopes: string[] }) {
  const [sql, setSql] = useState(example);
  const [parameters, setParameters] = useState(
    `from=${new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10)}`,
  );
  const [result, setResult] = useState<RunSqlResponse | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  const [busy, setBusy] = useState(false);
  const [errorAt, setErrorAt] = useState<number | undefined>();
  const editor = useRef<HTMLTextAreaElement>(null);
  if (!scopes.includes("sql:run")) return <p class="hint">The SQL console needs a key with the sql:run scope.</p>;
  const run = () => {
    setBusy(true);
    analytics
      .runSql({ sql, parameters: parseParameters(parameters), maxRows: 1000 })
      .then(
        (r) => {
          setResult(r);
          setProblem(undefined);
          setErrorAt(undefined);
        },
        (error: unknown) => {
          setResult(undefined);
          const found = problemOf(error);
          setProblem(found);
          // Put the caret where the sandbox's parser stopped, and say where that is.
          const offset = found.violations
            .filter((v) => v.field === "sql")
            .map((v) => errorOffset(sql, v.reason))
            .find((o) => o !== undefined);
          setErrorAt(offset);
          if (offset !== undefined && editor.current) {
            editor.current.focus();
            editor.current.setSelectionRange(offset, Math.min(sql.length, offset + 1));
          }
        },
      )
      .finally(() => setBusy(false));
  };
  return (
    <>
      <form
        class="panel sql"
        onSubmit={(e) => {
          e.preventDefault();
          run();
        }}
      >
        <label for="sql">Statement (Ctrl+Enter runs it)</label>
        <textarea
          ref={editor}
          id="sql"
          spellcheck={false}
          rows={8}
          value={sql}
          onInput={(e) => setSql(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              run();
            }
          }}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? "sql-problem" : undefined}
        />
        <label for="sql-parameters">Parameters (name=value, one a line; bind them as {"{name:Type}"})</label>
        <textarea
          id="sql-parameters"
          rows={3}
          value={parameters}
          onInput={(e) => setParameters(e.currentTarget.value)}
        />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Running…" : "Run"}
        </button>
        <div id="sql-problem">
          {errorAt !== undefined && <p class="field-problem">At {lineAndColumn(sql, errorAt)} of the statement:</p>}
          {problem && <ProblemNote problem={problem} />}
        </div>
      </form>
      {result && <SqlResult result={result} />}
    </>
  );
}

function download(name: string, type: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1_000);
}

const csvCell = (value: unknown) => {
  const text =
    value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
};

function SqlResult({ result }: { result: RunSqlResponse }) {
  const names = result.columns.map((c) => c.name);
  return (
    <section class="panel" aria-labelledby="sql-result-title">
      <h2 id="sql-result-title">
        {result.rows.length} rows <small>({result.meta?.elapsedMs.toFixed(0)} ms)</small>
      </h2>
      <details>
        <summary>Statement that ran</summary>
        <pre>
          <code>{result.normalizedSql}</code>
        </pre>
      </details>
      <div class="row">
        <button
          type="button"
          onClick={() =>
            download(
              "result.csv",
              "text/csv",
              [names.map(csvCell).join(","), ...result.rows.map((r) => names.map((n) => csvCell(r[n])).join(","))].join(
                "\n",
              ),
            )
          }
        >
          Download CSV
        </button>
        <button
          type="button"
          onClick={() =>
            download("result.ndjson", "application/x-ndjson", result.rows.map((r) => JSON.stringify(r)).join("\n"))
          }
        >
          Download NDJSON
        </button>
      </div>
      <div class="scroll">
        <table data-testid="sql-result">
          <thead>
            <tr>
              {result.columns.map((c) => (
                <th key={c.name} scope="col">
                  {c.name} <small>{c.type}</small>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {result.rows.map((row, i) => (
              <tr key={i}>
                {names.map((n) => (
                  <td key={n}>{csvCell(row[n])}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
