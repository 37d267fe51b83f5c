import { Code, ConnectError } from "@connectrpc/connect";
import { type FieldViolation, FieldViolationsSchema } from "@trellis/contracts";

/** What went wrong with a call, in words for the page, and the fields the API named. */
export interface Problem {
  code: Code | undefined;
  message: string;
  violations: FieldViolation[];
}

export function problemOf(error: unknown): Problem {
  if (error instanceof ConnectError) {
    const violations = error.findDetails(FieldViolationsSchema).flatMap((d) => d.violations);
    return { code: error.code, message: describe(error), violations };
  }
  return { code: undefined, message: error instanceof Error ? error.message : String(error), violations: [] };
}

function describe(error: ConnectError): string {
  switch (error.code) {
    case Code.Unauthenticated:
      return `Not signed in: ${error.rawMessage}`;
    case Code.PermissionDenied:
      return `Not allowed: ${error.rawMessage}`;
    case Code.ResourceExhausted:
      return `Over a limit: ${error.rawMessage}`;
    case Code.DeadlineExceeded:
      return `Took too long: ${error.rawMessage}`;
    case Code.Unavailable:
      return `The warehouse is unavailable: ${error.rawMessage}`;
    default:
      return error.rawMessage;
  }
}

export const isAbort = (error: unknown): boolean =>
  (error instanceof ConnectError && error.code === Code.Canceled) ||
  (error instanceof DOMException && error.name === "AbortError");
