import { createHash } from "node:crypto";
import { type Client, Code, ConnectError } from "@connectrpc/connect";
import { KeyKind, type OrgContext, type WardenService } from "@trellis/contracts";
import type { ContextSigner } from "@trellis/platform";
import { LRUCache } from "lru-cache";

export interface Authenticated {
  context: OrgContext;
  token: string;
  tokenExpiresAt: number;
  /** Set for a publishable key: the only origins its events may come from. */
  publishable?: { allowedOrigins: readonly string[] };
}

export interface AuthCacheOptions {
  maxSeconds: number;
  contextTtlSeconds: number;
  maxEntries?: number;
}

/**
 * Authenticates credentials through Warden and mints the signed context token, reusing both
 * for a short while: the gateway's hot path is then free of a Warden round trip.
 */
export function createAuthenticator(
  warden: Client<typeof WardenService>,
  signer: ContextSigner,
  options: AuthCacheOptions,
) {
  const cache = new LRUCache<string, Authenticated>({ max: options.maxEntries ?? 10_000 });
  const inFlight = new Map<string, Promise<Authenticated>>();

  async function authenticateRemotely(digest: string, credential: string): Promise<Authenticated> {
    let response: Awaited<ReturnType<typeof warden.authenticate>>;
    try {
      response = await warden.authenticate({ credential }, { timeoutMs: 5_000 });
    } catch (error) {
      const connectError = ConnectError.from(error);
      if (connectError.code === Code.Unauthenticated || connectError.code === Code.PermissionDenied) throw connectError;
      throw new ConnectError(
        "authentication is unavailable; try again shortly",
        Code.Unavailable,
        undefined,
        undefined,
        error,
      );
    }
    if (!response.context) throw new ConnectError("authentication returned no context", Code.Internal);
    const token = await signer.mint(response.context);
    const ttlSeconds = Math.min(response.cacheTtlSeconds, options.maxSeconds);
    const entry: Authenticated = {
      context: response.context,
      token,
      tokenExpiresAt: Date.now() + options.contextTtlSeconds * 1000,
      publishable:
        response.keyKind === KeyKind.PUBLISHABLE ? { allowedOrigins: [...response.allowedOrigins] } : undefined,
    };
    if (ttlSeconds > 0) cache.set(digest, entry, { ttl: ttlSeconds * 1000 });
    return entry;
  }

  return {
    async authenticate(credential: string): Promise<Authenticated> {
      const digest = createHash("sha256").update(credential).digest("base64url");
      const cached = cache.get(digest);
      // Keep a margin so a token never expires while a request is on its way.
      if (cached && cached.tokenExpiresAt - Date.now() > 15_000) return cached;
      const pending = inFlight.get(digest);
      if (pending) return pending;
      const promise = authenticateRemotely(digest, credential).finally(() => inFlight.delete(digest));
      inFlight.set(digest, promise);
      return promise;
    },
  };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;
