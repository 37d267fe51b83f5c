import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { FieldViolationSchema, FieldViolationsSchema } from "@trellis/contracts";

/** A domain error with a stable code; mapped to a Connect code only at the handler edge. */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** How much of a caller's value an error message repeats. */
export const ECHO_MAX_CHARS = 64;

/**
 * A caller's text as an error may repeat it: its first 64 characters, then "…". Every error
 * that repeats what a caller sent goes through here (or `echo`), so a value of any size makes
 * an error of bounded size.
 */
export function clip(value: string, max = ECHO_MAX_CHARS): string {
  if (value.length <= max) return value;
  // Never end on the first half of a surrogate pair.
  const code = value.charCodeAt(max - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
  return `${value.slice(0, end)}…`;
}

/** A caller's value quoted in an error message, bounded as `clip` bounds it: "abc", "aaaa…". */
export function echo(value: unknown): string {
  return `"${clip(String(value))}"`;
}

export interface FieldViolation {
  field: string;
  reason: string;
}

/**
 * Bad input (INVALID_ARGUMENT, HTTP 400): one violation per field, each carried to Connect
 * callers as a FieldViolations detail and to REST callers as `violations`.
 */
export class ValidationError extends DomainError {
  readonly code = "invalid_argument";
  constructor(readonly violations: FieldViolation[]) {
    super(violations.map((v) => `${v.field}: ${v.reason}`).join("; "));
  }
  /** One violation: `field` (a request path such as `range.start_date`) and why. */
  static field(field: string, reason: string): ValidationError {
    return new ValidationError([{ field, reason }]);
  }
}

/** What the request names does not exist (NOT_FOUND, HTTP 404). */
export class NotFoundError extends DomainError {
  readonly code = "not_found";
}

/** What the request would create exists already (ALREADY_EXISTS, HTTP 409). */
export class AlreadyExistsError extends DomainError {
  readonly code = "already_exists";
}

/** The request is well formed, but what it acts on is in a state that does not allow it. */
export class FailedPreconditionError extends DomainError {
  readonly code = "failed_precondition";
}

/** The caller could not be authenticated (UNAUTHENTICATED, HTTP 401). */
export class UnauthenticatedError extends DomainError {
  readonly code = "unauthenticated";
}

/** A valid caller that may not do this (PERMISSION_DENIED, HTTP 403). */
export class PermissionDeniedError extends DomainError {
  readonly code = "permission_denied";
}

/**
 * Too much at once (RESOURCE_EXHAUSTED, HTTP 429): the caller should retry after
 * `retryAfterSeconds`, which toConnectError passes on as `retry-after` metadata.
 */
export class ResourceExhaustedError extends DomainError {
  readonly code = "resource_exhausted";
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** A dependency cannot do the work now; retrying later may succeed (UNAVAILABLE, HTTP 503). */
export class UnavailableError extends DomainError {
  readonly code = "unavailable";
}

/** The work did not finish within the caller's deadline (DEADLINE_EXCEEDED, HTTP 504). */
export class DeadlineExceededError extends DomainError {
  readonly code = "deadline_exceeded";
}

/** A method or option this version does not implement (UNIMPLEMENTED, HTTP 501). */
export class NotImplementedError extends DomainError {
  readonly code = "unimplemented";
}

const codeByDomainCode: Record<string, Code> = {
  invalid_argument: Code.InvalidArgument,
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  failed_precondition: Code.FailedPrecondition,
  unauthenticated: Code.Unauthenticated,
  permission_denied: Code.PermissionDenied,
  resource_exhausted: Code.ResourceExhausted,
  unavailable: Code.Unavailable,
  deadline_exceeded: Code.DeadlineExceeded,
  unimplemented: Code.Unimplemented,
};

/**
 * Maps any thrown value to a ConnectError. ConnectErrors from peers keep their code; domain
 * errors map by their code (a ValidationError carries its violations as a FieldViolations
 * detail, a ResourceExhaustedError its `retry-after`); an error whose `code` is a ClickHouse
 * time-out (159, 160, 209) is DeadlineExceeded; a MissingOrgContextError is Unauthenticated;
 * an AbortError is Canceled; everything else is Internal "internal error" with the original
 * kept as cause (never in the message).
 */
export function toConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) return error;
  if (error instanceof DomainError) {
    const details =
      error instanceof ValidationError
        ? [
            {
              desc: FieldViolationsSchema,
              value: create(FieldViolationsSchema, {
                violations: error.violations.map((v) => create(FieldViolationSchema, v)),
              }),
            },
          ]
        : undefined;
    const connectError = new ConnectError(
      error.message,
      codeByDomainCode[error.code] ?? Code.Internal,
      undefined,
      details,
      error,
    );
    if (error instanceof ResourceExhaustedError) {
      connectError.metadata.set("retry-after", String(error.retryAfterSeconds));
    }
    return connectError;
  }
  if (error instanceof Error && error.name === "MissingOrgContextError") {
    return new ConnectError(error.message, Code.Unauthenticated, undefined, undefined, error);
  }
  if (error instanceof Error && error.name === "AbortError") {
    return new ConnectError("request was cancelled", Code.Canceled, undefined, undefined, error);
  }
  return new ConnectError("internal error", Code.Internal, undefined, undefined, error);
}

/** HTTP status for a Connect code, as the Connect protocol specifies. */
export function httpStatusForCode(code: Code): number {
  switch (code) {
    case Code.Canceled:
      return 499;
    case Code.InvalidArgument:
    case Code.OutOfRange:
      return 400;
    case Code.DeadlineExceeded:
      return 504;
    case Code.NotFound:
      return 404;
    case Code.AlreadyExists:
    case Code.Aborted:
      return 409;
    case Code.PermissionDenied:
      return 403;
    case Code.ResourceExhausted:
      return 429;
    case Code.FailedPrecondition:
      return 412;
    case Code.Unimplemented:
      return 501;
    case Code.Unavailable:
      return 503;
    case Code.Unauthenticated:
      return 401;
    default:
      return 500;
  }
}

/** Field violations carried by an INVALID_ARGUMENT error, if any. */
export function fieldViolationsOf(error: ConnectError): FieldViolation[] {
  return error
    .findDetails(FieldViolationsSchema)
    .flatMap((d) => d.violations.map((v) => ({ field: v.field, reason: v.reason })));
}
