import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { parseError } from "@clickhouse/client";
import { formatQueryParams } from "@clickhouse/client-common";
import chdb from "chdb";
import {
  type ConnBaseQueryParams,
  type ConnExecParams,
  type Connection,
  type ConnInsertParams,
  type ConnQueryResult,
  createChdbConnection,
} from "chdb/connection";

/**
 * The embedded engine's connection for `@clickhouse/client`, with **one engine session per
 * statement**.
 *
 * Why: a chDB session keeps the output of a statement that failed after it began writing
 * (a run-time error, a timeout, a memory limit) and hands it to the *next* statement on the
 * same session as the start of that one's result; settings SET on a session also stick to
 * later statements. With every service and organization on one session, one tenant's failing
 * statement broke — or leaked into — another tenant's next answer. A session here lives for
 * exactly one statement and is closed once the engine is done with it, so no output, setting,
 * parameter, error or current database of one statement can reach another. Opening a session
 * on the already-open data directory costs about 0.4 ms (`npm run bench:isolation` reports the
 * paired cost).
 *
 * Parameters are bound by the engine as session parameters (`SET param_x = '…'` on the
 * statement's own session, the form clickhouse-client uses): never spliced into the
 * statement's text. chDB's own binding path serializes every parameterized statement of the
 * process behind one lock (its parameter state is not per connection), so one tenant's slow
 * statement held every other tenant's, and the product binds the organization in all of them.
 *
 * One extra session, the anchor, stays open for the connection's life: the engine shuts
 * down when its last session closes, and must not restart between statements.
 *
 * Two limits hold on every statement here:
 * - `max_result_bytes` in the request's settings: the engine stops after the first block past
 *   it, and an answer longer than it is refused before it is decoded (one block of one huge
 *   value can pass the engine's check);
 * - the abort signal and `requestTimeoutMs`: the caller is answered at its deadline even when
 *   the engine is inside one long block (its `max_execution_time` is checked between
 *   blocks); the statement's session closes when the engine stops.
 */

export interface StatementConnectionOptions {
  /** The engine's data directory. */
  path: string;
  /** The current database of every statement (USE) — e.g. a database that holds nothing. */
  database?: string;
  /** Every statement's deadline, besides its own abort signal. */
  requestTimeoutMs: number;
  /** Engine command-line options (e.g. `--config-file=…`), given to every session it opens. */
  engineArgs?: readonly string[];
}

interface Session {
  queryAsync(sql: string, opts?: { format?: string }): Promise<{ bytes(): Uint8Array }>;
  close(): void;
}

const SessionConstructor = (
  chdb as unknown as { Session: new (path: string, options?: { connectionArgs?: string[] }) => Session }
).Session;

/** Settings the HTTP interface knows and the embedded engine does not (the client sends some). */
const HTTP_ONLY_SETTINGS = new Set([
  "wait_end_of_query",
  "send_progress_in_http_headers",
  "http_headers_progress_interval_ms",
  "enable_http_compression",
]);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A value as a ClickHouse string literal. */
function quote(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/**
 * A statement that passed its deadline or whose caller cancelled it. It carries ClickHouse's
 * TIMEOUT_EXCEEDED code (159), so toConnectError answers DEADLINE_EXCEEDED for either.
 */
export class StatementDeadlineError extends Error {
  readonly code = "159";
  readonly type = "TIMEOUT_EXCEEDED";
}

/** Escapes of the engine's escaped text form (TSV), in which it reads a parameter's text. */
const ESCAPES: Record<string, string> = {
  "\\": "\\\\",
  "\0": "\\0",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};

/**
 * A parameter's text as the engine's binder reads it. A string is the parameter's text
 * itself, escaped as TSV: for a String parameter that is its value, for any other type its
 * literal (`['a', 'b']` for an Array(String)), quotes untouched. Other JS values take the
 * official client's form (arrays, maps, dates, numbers).
 */
function parameterText(value: unknown): string {
  if (typeof value === "string") return value.replace(/[\\\0\b\f\n\r\t]/g, (c) => ESCAPES[c] ?? c);
  return formatQueryParams({ value });
}

/**
 * One SET statement for the statement's settings and parameters, or none. A parameter's
 * text is the one the engine's binder reads, as the official client sends it over HTTP.
 */
function sessionSet(settings: Record<string, unknown> | undefined, params: Record<string, unknown> | undefined) {
  const assignments: string[] = [];
  for (const [name, value] of Object.entries(settings ?? {})) {
    if (value === undefined || HTTP_ONLY_SETTINGS.has(name)) continue;
    if (!NAME.test(name)) throw new Error(`invalid setting name ${JSON.stringify(name.slice(0, 64))}`);
    if (typeof value === "number") assignments.push(`${name} = ${value}`);
    else if (typeof value === "boolean") assignments.push(`${name} = ${value ? 1 : 0}`);
    else assignments.push(`${name} = ${quote(String(value))}`);
  }
  for (const [name, value] of Object.entries(params ?? {})) {
    if (!NAME.test(name)) throw new Error(`invalid parameter name ${JSON.stringify(name.slice(0, 64))}`);
    assignments.push(`param_${name} = ${quote(parameterText(value))}`);
  }
  return assignments.length > 0 ? `SET ${assignments.join(", ")}` : undefined;
}

function engineError(error: unknown): Error {
  if (error instanceof StatementDeadlineError) return error;
  // Already parsed (it carries the engine's code): parsing its message again would lose it.
  if (error instanceof Error && /^\d+$/.test(String((error as { code?: unknown }).code))) return error;
  const message = error instanceof Error ? error.message : String(error);
  const mapped = parseError(message);
  if (mapped !== error && error instanceof Error) (mapped as Error & { cause?: unknown }).cause = error;
  return mapped;
}

/** Rejects when the signal aborts or the deadline passes, whichever comes first. */
function deadline(signal: AbortSignal | undefined, timeoutMs: number): { promise: Promise<never>; clear(): void } {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StatementDeadlineError(`Timeout exceeded: the statement ran past ${timeoutMs} ms`)),
      timeoutMs,
    );
    onAbort = () => reject(new StatementDeadlineError("the statement's deadline passed (the request was cancelled)"));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
  });
  promise.catch(() => {});
  return {
    promise,
    clear() {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener("abort", onAbort);
    },
  };
}

/**
 * Opens the anchor session on `options.path` at once and answers a `@clickhouse/client`
 * connection whose statements each run on a session of their own (see the header of this
 * file). `query`, `command` and body-less `exec` go through that path; inserts, `exec` with a
 * body and `ping` run on a stock chDB connection opened for the call. Calls after `close()`
 * reject, and so does a statement with a setting or parameter name that is not an identifier
 * (before anything runs).
 */
export function createStatementConnection(options: StatementConnectionOptions): Connection<Readable> {
  const sessionOptions = options.engineArgs ? { connectionArgs: [...options.engineArgs] } : undefined;
  const anchor = new SessionConstructor(options.path, sessionOptions);
  let closed = false;
  const use = options.database ? `USE \`${options.database.replace(/`/g, "")}\`` : undefined;

  /**
   * Runs one statement on a session of its own and answers its bytes, or fails at the
   * caller's deadline; the session closes when the engine is done, whichever came first.
   */
  async function run(params: ConnBaseQueryParams): Promise<Buffer> {
    if (closed) throw new Error("the embedded engine connection is closed");
    // default_format is the HTTP interface's "format when the statement names none": here it
    // is the engine's output format option, not a setting.
    const { max_result_bytes: maxResultBytes, default_format: format, ...settings } = params.clickhouse_settings ?? {};
    const set = sessionSet(
      maxResultBytes === undefined ? settings : { ...settings, max_result_bytes: maxResultBytes },
      params.query_params,
    );
    const limit = deadline(params.abort_signal, options.requestTimeoutMs);
    const session = new SessionConstructor(options.path, sessionOptions);
    // One call into the engine: the session's preamble (USE, SET) and the statement, which
    // answers for the whole (the engine answers with the last statement's output). Callers
    // never pass text holding more than one statement (tenant SQL is checked for exactly one).
    const text = [use, set, params.query].filter(Boolean).join(";\n");
    const engine = session.queryAsync(text, format ? { format: String(format) } : {}).then((r) => r.bytes());
    engine.then(
      () => session.close(),
      () => session.close(),
    );
    try {
      const raw = await Promise.race([engine, limit.promise]);
      const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      const max = Number(maxResultBytes ?? 0);
      if (max > 0 && bytes.length > max) {
        throw parseError(
          `Code: 396. DB::Exception: Limit for result exceeded, max bytes: ${max}, current bytes: ${bytes.length}. (TOO_MANY_ROWS_OR_BYTES)`,
        );
      }
      return bytes;
    } catch (error) {
      throw engineError(error);
    } finally {
      limit.clear();
    }
  }

  /** Runs one call of the stock chDB connection on a session of its own (bodies of inserts). */
  async function onOwnSession<T>(
    call: (connection: ReturnType<typeof createChdbConnection>) => Promise<T>,
  ): Promise<T> {
    if (closed) throw new Error("the embedded engine connection is closed");
    const connection = createChdbConnection({ path: options.path });
    try {
      if (use) await connection.command({ query: use });
      return await call(connection);
    } finally {
      await connection.close();
    }
  }

  /** A statement's answer in the shape the client reads: its bytes as a one-chunk stream. */
  async function answer(params: ConnBaseQueryParams): Promise<ConnQueryResult<Readable>> {
    const bytes = await run(params);
    return {
      stream: Readable.from([bytes], { objectMode: false }),
      query_id: params.query_id ?? randomUUID(),
      response_headers: {},
      http_status_code: 200,
    };
  }

  return {
    query: answer,
    async command(params: ConnBaseQueryParams) {
      await run(params);
      return { query_id: params.query_id ?? randomUUID(), response_headers: {}, http_status_code: 200 };
    },
    exec: (params: ConnExecParams<Readable>) =>
      params.values !== undefined ? onOwnSession((c) => c.exec(params)) : answer(params),
    insert: (params: ConnInsertParams<Readable>) => onOwnSession((c) => c.insert(params)),
    ping: () => onOwnSession((c) => c.ping({ select: true })),
    async close() {
      if (closed) return;
      closed = true;
      anchor.close();
    },
  };
}
