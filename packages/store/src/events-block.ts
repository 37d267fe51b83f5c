import { type ClickHouseValue, type EventColumnName, eventColumns } from "./events-table.js";
import { ByteSink, type NativeColumn, type NativeValue, nativeColumn, writeNativeBlock } from "./native.js";

/**
 * The value a column of `analytics_events` takes in a Native block: the stored row's value
 * (see {@link ClickHouseValue}), or a form the encoder takes without parsing text —
 * epoch milliseconds for DateTime64, days since the epoch for Date, a number for UInt64.
 */
export type EventColumnInput<T extends string> =
  | ClickHouseValue<T>
  | (T extends `DateTime64(${string})` | "Date" | "UInt64" ? number : never);

type Columns = (typeof eventColumns)[number];

/**
 * How each column of a row is taken from a source of type `S`: one function per column of
 * `analytics_events`. A column added to the event definition is a type error here until its
 * value is given, so no writer of rows can forget it.
 */
export type EventColumnValues<S> = {
  [C in Columns as C["name"]]: (source: S) => EventColumnInput<C["type"]>;
};

/** Rows of `analytics_events` built column by column and encoded as one Native block. */
export interface EventBlockBuilder<S> {
  /** Appends one row: each column's value taken from `source`. */
  append(source: S): void;
  /** Appends `value` to one column for the rows appended since the last `fill` of it (a value shared by a batch). */
  fillColumn<N extends EventColumnName>(name: N, value: EventColumnInput<Extract<Columns, { name: N }>["type"]>): void;
  readonly rows: number;
  /** The rows as one Native block (a copy), and an empty builder again. */
  finish(): Uint8Array;
}

/**
 * A builder of Native blocks of `analytics_events` rows, its columns being the event
 * definition's, in table order (the same list the migrations render the table from). Columns
 * named in `deferred` are left to `fillColumn` (e.g. an id known only once the batch is read).
 */
export function createEventBlockBuilder<S, const D extends EventColumnName = never>(
  values: Omit<EventColumnValues<S>, D>,
  deferred: readonly D[] = [],
): EventBlockBuilder<S> {
  const block = eventColumns.map((c) => ({ name: c.name, column: nativeColumn(c.type) }));
  const byName = new Map<string, NativeColumn>(block.map((c) => [c.name, c.column]));
  const appenders = eventColumns
    .filter((c) => !(deferred as readonly string[]).includes(c.name))
    .map((c) => {
      const take = (values as unknown as Record<string, (source: S) => NativeValue>)[c.name];
      if (!take) throw new Error(`no value given for the column ${c.name}`);
      return { column: byName.get(c.name) as NativeColumn, take };
    });
  const appendRow = straightLineAppender(appenders);
  const out = new ByteSink(1 << 16);
  let rows = 0;
  return {
    append(source) {
      appendRow(source);
      rows++;
    },
    fillColumn(name, value) {
      const column = byName.get(name) as NativeColumn;
      while (column.rows < rows) column.append(value as NativeValue);
    },
    get rows() {
      return rows;
    },
    finish() {
      writeNativeBlock(block, out);
      const bytes = out.written().slice();
      out.clear();
      for (const { column } of block) column.reset();
      rows = 0;
      return bytes;
    },
  };
}

/**
 * One function that appends a row to every column, written out column by column: each column's
 * call is a call site of its own, which sees one value function and one column only, so the
 * compiler inlines them (a loop over the columns makes one call site see all of them, and
 * every row pays a dispatch per column). Generated once per builder from the column list.
 */
function straightLineAppender<S>(
  appenders: ReadonlyArray<{ column: NativeColumn; take: (source: S) => NativeValue }>,
): (source: S) => void {
  const lines = appenders.map((_, i) => `c${i}.append(t${i}(source));`);
  const bindings = appenders.map((_, i) => `const c${i} = a[${i}].column, t${i} = a[${i}].take;`);
  // Code made from the column list alone (indexes, no names or outside text).
  const make = new Function(
    "a",
    `${bindings.join("\n")}\nreturn function appendRow(source) {\n${lines.join("\n")}\n};`,
  );
  return make(appenders) as (source: S) => void;
}
