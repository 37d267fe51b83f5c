import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import {
  type ContextSigner,
  ContextTokenError,
  currentRequestScope,
  kOrgScope,
  ORG_CONTEXT_HEADER,
} from "../org-context.js";
import { answerInOrgScope } from "../org-scope.js";

/** Methods that need no org context (health checks). */
const publicServices = new Set(["grpc.health.v1.Health"]);

/**
 * Internal services: every call must carry a valid signed org context token. The verified
 * context goes into the handler's context values and the request scope; nothing else about
 * the organization is ever read from the request.
 */
export function contextAuthInterceptor(signer: ContextSigner): Interceptor {
  return (next) => async (req) => {
    if (publicServices.has(req.service.typeName)) return next(req);
    const token = req.header.get(ORG_CONTEXT_HEADER);
    if (!token) {
      throw new ConnectError(`missing ${ORG_CONTEXT_HEADER} metadata`, Code.Unauthenticated);
    }
    let context: Awaited<ReturnType<ContextSigner["verify"]>>;
    try {
      context = await signer.verify(token);
    } catch (error) {
      const reason = error instanceof ContextTokenError ? error.message : "context token is not valid";
      throw new ConnectError(reason, Code.Unauthenticated, undefined, undefined, error);
    }
    return answerInOrgScope(req.contextValues, { context, token }, req.stream, () => next(req));
  };
}

/**
 * Clients of internal services: forward the signed context token of the scope the call was
 * given (`orgCallOptions`), or else of the current request.
 */
export function forwardContextInterceptor(): Interceptor {
  return (next) => async (req) => {
    const scope = req.contextValues.get(kOrgScope) ?? currentRequestScope();
    if (scope) req.header.set(ORG_CONTEXT_HEADER, scope.token);
    return next(req);
  };
}
