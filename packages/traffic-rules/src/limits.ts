/** Ceilings every analytics statement runs under, as query-level SETTINGS (never session settings). */
export interface QueryLimits {
  maxExecutionSeconds: number;
  maxRowsToRead: number;
  maxResultRows: number;
  maxMemoryBytes: number;
}

export const defaultQueryLimits: QueryLimits = {
  maxExecutionSeconds: 30,
  maxRowsToRead: 5_000_000_000,
  maxResultRows: 1_000_000,
  maxMemoryBytes: 4 * 1024 * 1024 * 1024,
};

/**
 * Appends the limits as a SETTINGS clause. The caller's remaining deadline (if shorter)
 * becomes max_execution_time, so the engine stops when the caller has stopped waiting.
 */
export function withLimits(
  sql: string,
  limits: QueryLimits,
  deadlineMs?: number,
  extra: Record<string, string | number> = {},
): string {
  const seconds =
    deadlineMs !== undefined
      ? Math.max(1, Math.min(limits.maxExecutionSeconds, Math.floor(deadlineMs / 1000)))
      : limits.maxExecutionSeconds;
  const settings: Record<string, string | number> = {
    max_execution_time: seconds,
    max_rows_to_read: limits.maxRowsToRead,
    max_result_rows: limits.maxResultRows,
    result_overflow_mode: "'throw'",
    max_memory_usage: limits.maxMemoryBytes,
    ...extra,
  };
  return `${sql}\nSETTINGS ${Object.entries(settings)
    .map(([k, v]) => `${k} = ${v}`)
    .join(", ")}`;
}
