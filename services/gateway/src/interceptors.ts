import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { answerInOrgScope, bindOrgScope } from "@trellis/platform";
import type { Authenticated, Authenticator } from "./adapters/warden-client.js";
import { requiredScopeOf, scopeLabel } from "./domain/scopes.js";
import { kRestCall } from "./rest/rest-call.js";

/** The credential of a public request: `Authorization: Bearer …` or `X-API-Key: …`. */
export function credentialFrom(header: Headers): string | undefined {
  const authorization = header.get("authorization");
  if (authorization) {
    const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    return match?.[1]?.trim();
  }
  return header.get("x-api-key")?.trim() || undefined;
}

/** Authenticates a request and checks the scope of the method it calls; returns its context and token. */
export async function authorize(authenticator: Authenticator, header: Headers, method: DescMethod) {
  const credential = credentialFrom(header);
  if (!credential) {
    throw new ConnectError("missing credential: send Authorization: Bearer <API key or JWT>", Code.Unauthenticated);
  }
  const authenticated = await authenticator.authenticate(credential);
  const scope = requiredScopeOf(method);
  if (scope === undefined || (scope !== "any" && !authenticated.context.scopes.includes(scope))) {
    throw new ConnectError(
      scope === undefined ? "method is not available" : `credential lacks the ${scopeLabel(scope)} scope`,
      Code.PermissionDenied,
    );
  }
  return authenticated;
}

/**
 * Refuses a publishable key: it is accepted only by the browser events route
 * (src/rest/publishable-events.ts), where its origins and rate are checked.
 */
export function refusingPublishableKeys(authenticated: Authenticated): Authenticated {
  if (authenticated.publishable)
    throw new ConnectError(
      "a publishable key can only send events with POST /api/v1/events from a browser on one of its origins",
      Code.PermissionDenied,
    );
  return authenticated;
}

/**
 * Public services: authenticate the caller through Warden, check the method's scope, and
 * put the verified context (and its signed token, for internal calls) on the request.
 * Publishable keys are refused (refusingPublishableKeys). A REST call enters the organization's
 * scope in the REST step (rest/rest-call.ts), after its hot window: an answer from there runs
 * nothing that needs the scope, and entering it is most of such an answer's cost.
 */
export function publicAuthInterceptor(authenticator: Authenticator): Interceptor {
  return (next) => async (req) => {
    if (req.service.typeName === "grpc.health.v1.Health") return next(req);
    const { context, token } = refusingPublishableKeys(await authorize(authenticator, req.header, req.method));
    if (req.contextValues.get(kRestCall)) {
      bindOrgScope(req.contextValues, { context, token });
      return next(req);
    }
    return answerInOrgScope(req.contextValues, { context, token }, req.stream, () => next(req));
  };
}
