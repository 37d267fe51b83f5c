import type { ContextValues } from "@connectrpc/connect";
import { bindToScope, kOrgContext, kOrgScope, type OrgScope, runWithOrgContext } from "./org-context.js";
import { bindActiveContext, tagOrganization } from "./telemetry.js";

/**
 * Enters a verified organization scope for one call — the only place that does, for the
 * gateway's public calls, its REST routes and every internal service alike: the call's
 * context values get the context (`kOrgContext`) and the scope (`kOrgScope`), its span the
 * organization, and `run` runs inside the scope, so log lines carry the organization and peer
 * calls forward its token.
 */
export function enterOrgScope<T>(values: ContextValues, scope: OrgScope, run: () => T): T {
  bindOrgScope(values, scope);
  return runWithOrgContext(scope, run);
}

/**
 * The first half of enterOrgScope: the call's context values and span get the verified
 * organization, and nothing runs inside the scope yet. For a call that may be answered
 * without reaching an implementation (the gateway's hot window), whose step enters the scope
 * with enterOrgScope only when it goes on.
 */
export function bindOrgScope(values: ContextValues, scope: OrgScope): void {
  values.set(kOrgContext, scope.context);
  values.set(kOrgScope, scope);
  tagOrganization(scope.context.organizationId);
}

/** A response stream, its messages produced later, each back inside the scope and its trace. */
export function streamInOrgScope<T>(stream: AsyncIterable<T>, scope: OrgScope): AsyncIterable<T> {
  return bindToScope(stream, scope, bindActiveContext());
}

/**
 * An interceptor's answer within the scope: a streamed one has its messages bound to it too.
 * `stream` is the request's: a unary answer is returned as it comes, without another promise.
 */
export function answerInOrgScope<R extends { stream: boolean; message: unknown }>(
  values: ContextValues,
  scope: OrgScope,
  stream: boolean,
  next: () => Promise<R>,
): Promise<R> {
  const answer = enterOrgScope(values, scope, next);
  if (!stream) return answer;
  return answer.then((res) =>
    res.stream ? { ...res, message: streamInOrgScope(res.message as AsyncIterable<unknown>, scope) } : res,
  );
}
