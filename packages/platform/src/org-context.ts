import { AsyncLocalStorage } from "node:async_hooks";
import { create } from "@bufbuild/protobuf";
import { type ContextValues, createContextKey, createContextValues } from "@connectrpc/connect";
import { type OrgContext, OrgContextSchema, Scope } from "@trellis/contracts";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { LRUCache } from "lru-cache";

export type { OrgContext };
export { Scope };

/** Metadata header that carries the signed org context between services. */
export const ORG_CONTEXT_HEADER = "trellis-org-context";
export const CONTEXT_ISSUER = "trellis-gateway";
export const CONTEXT_AUDIENCE = "trellis-internal";

/** The verified org context of the current RPC, set only by the auth interceptors. */
export const kOrgContext = createContextKey<OrgContext | undefined>(undefined, {
  description: "verified organization context",
});

/** A verified organization context and the signed token it arrived in (or was minted as). */
export interface OrgScope {
  context: OrgContext;
  /** Forwarded to peers as the call's `trellis-org-context` metadata. */
  token: string;
}
type RequestScope = OrgScope;

/**
 * The verified scope of a handler call, for calls it makes to peers on the organization's
 * behalf: adapters take it as an argument and put it in the call's context values, where the
 * forwarding interceptor reads it (see `orgCallOptions`).
 */
export const kOrgScope = createContextKey<OrgScope | undefined>(undefined, {
  description: "verified organization scope (context and token)",
});

const requestScope = new AsyncLocalStorage<RequestScope>();

/** Runs `fn` with a verified context that outgoing calls forward and log lines carry. */
export function runWithOrgContext<T>(scope: RequestScope, fn: () => T): T {
  return requestScope.run(scope, fn);
}

export function currentRequestScope(): RequestScope | undefined {
  return requestScope.getStore();
}

export function currentOrganizationId(): string | undefined {
  return requestScope.getStore()?.context.organizationId;
}

export class ContextTokenError extends Error {
  override name = "ContextTokenError";
}

export interface ContextTokenOptions {
  secret: string;
  ttlSeconds?: number;
  audience?: string;
  issuer?: string;
}

/** Mints and verifies the short-lived signed tokens that carry an org context. */
export function createContextSigner(options: ContextTokenOptions) {
  const key = new TextEncoder().encode(options.secret);
  const ttlSeconds = options.ttlSeconds ?? 60;
  // A token is checked once: every later hop of the same request (and the request's retries)
  // reuse the verified context until the token expires.
  const verified = new LRUCache<string, { context: OrgContext; expiresAt: number }>({ max: 10_000 });
  const audience = options.audience ?? CONTEXT_AUDIENCE;
  const issuer = options.issuer ?? CONTEXT_ISSUER;

  return {
    async mint(context: OrgContext): Promise<string> {
      return new SignJWT({
        org: context.organizationId,
        org_name: context.organizationName,
        scp: context.scopes.map((s) => Scope[s]),
        ret: context.retentionDays,
      })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setSubject(context.principal)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(key);
    },

    async verify(token: string): Promise<OrgContext> {
      const known = verified.get(token);
      if (known && known.expiresAt > Date.now()) return known.context;
      try {
        const { payload } = await jwtVerify(token, key, {
          algorithms: ["HS256"],
          audience,
          issuer,
          requiredClaims: ["exp", "sub", "org"],
        });
        const org = payload.org;
        if (typeof org !== "string" || org === "") throw new ContextTokenError("token has no organization");
        const scopes = Array.isArray(payload.scp) ? payload.scp : [];
        const context = create(OrgContextSchema, {
          organizationId: org,
          organizationName: typeof payload.org_name === "string" ? payload.org_name : "",
          principal: payload.sub ?? "",
          retentionDays: typeof payload.ret === "number" ? payload.ret : 0,
          scopes: scopes
            .map((name) => Scope[name as keyof typeof Scope])
            .filter((s): s is Scope => typeof s === "number" && s !== Scope.UNSPECIFIED),
        });
        verified.set(token, { context, expiresAt: (payload.exp ?? 0) * 1000 });
        return context;
      } catch (error) {
        if (error instanceof ContextTokenError) throw error;
        if (error instanceof joseErrors.JWTExpired)
          throw new ContextTokenError("context token expired", { cause: error });
        if (error instanceof joseErrors.JWTClaimValidationFailed)
          throw new ContextTokenError(`context token claim "${error.claim}" is invalid`, { cause: error });
        throw new ContextTokenError("context token is not valid", { cause: error });
      }
    },
  };
}

export type ContextSigner = ReturnType<typeof createContextSigner>;

/** The verified org context of a handler call; only the auth interceptors put it there. */
export function requireOrgContext(values: { get<T>(key: { id: symbol; defaultValue: T }): T }): OrgContext {
  const context = values.get(kOrgContext);
  if (!context) throw new MissingOrgContextError("no verified organization context on this call");
  return context;
}

/** The verified scope (context and signed token) of a handler call. */
export function requireOrgScope(values: { get<T>(key: { id: symbol; defaultValue: T }): T }): OrgScope {
  const scope = values.get(kOrgScope);
  if (!scope) throw new MissingOrgContextError("no verified organization scope on this call");
  return scope;
}

/**
 * Call options that carry `scope` to a peer: the forwarding interceptor sends its token.
 * An adapter that calls a peer for an organization takes the scope as a parameter and
 * passes these options, so a call without an organization does not compile.
 */
export function orgCallOptions(scope: OrgScope): { contextValues: ContextValues } {
  return { contextValues: createContextValues().set(kOrgScope, scope) };
}

export class MissingOrgContextError extends Error {
  override name = "MissingOrgContextError";
}

/**
 * A response stream's messages are produced after the interceptor returned, outside the
 * request's async context: each step runs back inside the scope so peers still get the token.
 */
export function bindToScope<T>(
  iterable: AsyncIterable<T>,
  scope: RequestScope,
  wrap: <R>(fn: () => R) => R = (fn) => fn(),
): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const iterator = requestScope.run(scope, () => wrap(() => iterable[Symbol.asyncIterator]()));
      return {
        next: (...args: [] | [undefined]) => requestScope.run(scope, () => wrap(() => iterator.next(...args))),
        return: (value?: unknown) =>
          requestScope.run(scope, () =>
            wrap(() => iterator.return?.(value) ?? Promise.resolve({ done: true as const, value: undefined })),
          ),
      };
    },
  };
}
