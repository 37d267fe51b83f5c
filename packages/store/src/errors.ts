import { DeadlineExceededError } from "@trellis/platform";

/**
 * What a failed statement means, typed here so that no other package reads the engine's
 * error codes: a statement out of time, out of memory, or with too large an answer. Any other
 * failure passes through as the driver's error (with the engine's `code`).
 */

/** The statement ran out of time: the engine's limit, or the caller's deadline first. */
export class StatementTimeoutError extends DeadlineExceededError {}

/** The statement needed more memory than its limit (`max_memory_usage`). */
export class StatementMemoryError extends Error {
  override name = "StatementMemoryError";
}

/** The statement's answer passed its limit in rows or bytes (`max_result_*`, `maxResultBytes`). */
export class ResultTooLargeError extends Error {
  override name = "ResultTooLargeError";
}

/** A value the statement built passed a limit of the engine (e.g. `range()` past its elements a block). */
export class StatementArgumentError extends Error {
  override name = "StatementArgumentError";
}

// ClickHouse's error codes (src/Common/ErrorCodes.cpp).
const TIMEOUT_CODES = new Set(["159", "160", "209"]); // TIMEOUT_EXCEEDED, TOO_SLOW, SOCKET_TIMEOUT
const MEMORY_LIMIT_EXCEEDED = "241";
const TOO_MANY_ROWS_OR_BYTES = "396";
const ARGUMENT_OUT_OF_BOUND = "69";

/** The typed error a failed statement stands for, the original kept as its cause. */
export function typedStatementError(error: unknown): unknown {
  const code = String((error as { code?: unknown } | null)?.code ?? "");
  const options = { cause: error };
  if (TIMEOUT_CODES.has(code)) return new StatementTimeoutError("the statement exceeded its time limit", options);
  if (code === MEMORY_LIMIT_EXCEEDED)
    return new StatementMemoryError("the statement exceeded its memory limit", options);
  if (code === TOO_MANY_ROWS_OR_BYTES)
    return new ResultTooLargeError("the statement's answer exceeded its limit", options);
  if (code === ARGUMENT_OUT_OF_BOUND) {
    return new StatementArgumentError((error as Error).message.split("\n")[0] ?? "argument out of bound", options);
  }
  return error;
}
