import type { ComponentChildren } from "preact";
import type { Problem } from "./errors.js";
import type { Answer } from "./use-answer.js";

/** A panel with its title, showing loading, error and empty states instead of its content. */
export function Panel<T>(props: {
  title: string;
  answer: Answer<T>;
  isEmpty?: (data: T) => boolean;
  children: (data: T) => ComponentChildren;
  class?: string;
  id?: string;
}) {
  const { answer } = props;
  let body: ComponentChildren;
  if (answer.state === "loading") body = <Loading />;
  else if (answer.state === "failed") body = <ProblemNote problem={answer.problem} />;
  else if (props.isEmpty?.(answer.data)) body = <p class="empty">No data for this range and these filters.</p>;
  else body = props.children(answer.data);
  const headingId = props.id ? `${props.id}-title` : undefined;
  return (
    <section
      class={`panel ${props.class ?? ""}`}
      id={props.id}
      aria-labelledby={headingId}
      aria-busy={answer.state === "loading"}
      data-state={answer.state}
    >
      <h2 id={headingId}>{props.title}</h2>
      {body}
    </section>
  );
}

export function Loading() {
  return (
    <p class="loading" role="status">
      Loading…
    </p>
  );
}

export function ProblemNote(props: { problem: Problem }) {
  return (
    <div class="problem" role="alert">
      <p>{props.problem.message}</p>
      {props.problem.violations.length > 0 && (
        <ul>
          {props.problem.violations.map((v) => (
            <li key={v.field}>
              <code>{v.field}</code>: {v.reason}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export interface Column<R> {
  label: string;
  numeric?: boolean;
  value: (row: R) => ComponentChildren;
}

/** A plain data table; `onPick` makes each row a button (click-to-filter). */
export function Table<R>(props: {
  caption: string;
  columns: Column<R>[];
  rows: R[];
  rowKey: (row: R, index: number) => string;
  onPick?: (row: R) => void;
  pickLabel?: (row: R) => string;
}) {
  return (
    <table>
      <caption class="visually-hidden">{props.caption}</caption>
      <thead>
        <tr>
          {props.columns.map((c) => (
            <th key={c.label} scope="col" class={c.numeric ? "num" : undefined}>
              {c.label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row, i) => (
          <tr key={props.rowKey(row, i)}>
            {props.columns.map((c, ci) => (
              <td key={c.label} class={c.numeric ? "num" : undefined}>
                {ci === 0 && props.onPick ? (
                  <button
                    type="button"
                    class="link"
                    onClick={() => props.onPick?.(row)}
                    aria-label={props.pickLabel?.(row)}
                  >
                    {c.value(row)}
                  </button>
                ) : (
                  c.value(row)
                )}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
