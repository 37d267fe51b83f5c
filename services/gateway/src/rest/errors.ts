import { Code } from "@connectrpc/connect";
import { fieldViolationsOf, httpStatusForCode, toConnectError } from "@trellis/platform";
import { BodyTooLargeError } from "./body.js";
import { type RestResponse, sendJson } from "./respond.js";

/** The HTTP status a REST caller gets for an error: the Connect code's, 413 for an oversized body. */
export function restStatusOf(error: unknown): number {
  const connectError = toConnectError(error);
  if (connectError.cause instanceof BodyTooLargeError) return 413;
  return httpStatusForCode(connectError.code);
}

/**
 * A failed REST call's answer: `{"error": {"code", "message", "violations"?}}` with the
 * Connect code in snake case, the field violations of an INVALID_ARGUMENT, and
 * `Retry-After` when the refusal names one.
 */
export function sendError(res: RestResponse, error: unknown): void {
  const connectError = toConnectError(error);
  if (connectError.cause instanceof BodyTooLargeError) {
    sendJson(res, 413, { error: { code: "payload_too_large", message: connectError.rawMessage } });
    return;
  }
  const code = Code[connectError.code] ?? "Unknown";
  const body: Record<string, unknown> = {
    code: code.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase(),
    message: connectError.rawMessage,
  };
  const violations = fieldViolationsOf(connectError);
  if (violations.length > 0) body.violations = violations;
  const headers: Record<string, string> = {};
  const retryAfter = connectError.metadata.get("retry-after");
  if (retryAfter) headers["retry-after"] = retryAfter;
  sendJson(res, httpStatusForCode(connectError.code), { error: body }, headers);
}
