import type { Store } from "@trellis/store";
import { defaultQueryLimits, type QueryLimits, withLimits } from "./limits.js";

/** What a statement runs with: the store, the verified organization, cancellation, deadline, limits. */
export interface StatementContext {
  store: Store;
  organizationId: string;
  signal?: AbortSignal;
  /** Time the caller still waits, in milliseconds. */
  deadlineMs?: number;
  limits?: QueryLimits;
}

/**
 * Runs a compiled statement under the request's limits and deadline, scoped to the context's
 * organization (the store binds it and tags the log line and span with it).
 */
export function runCompiled<T>(
  ctx: StatementContext,
  name: string,
  compiled: { sql: string; params: Record<string, unknown> },
  extraSettings: Record<string, string | number> = {},
) {
  return ctx.store.query<T>({
    name,
    sql: withLimits(compiled.sql, ctx.limits ?? defaultQueryLimits, ctx.deadlineMs, extraSettings),
    params: compiled.params,
    organizationId: ctx.organizationId,
    signal: ctx.signal,
  });
}
