import type http from "node:http";
import type http2 from "node:http2";
import { isIP } from "node:net";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { SpanKind } from "@opentelemetry/api";
import { type Event, type IngestEventsRequest, IngestService, Scope } from "@trellis/contracts";
import {
  DeadlineExceededError,
  echo,
  fieldViolationsOf,
  httpStatusForCode,
  inSpan,
  type Logger,
  runTaggingOrganization,
  toConnectError,
  ValidationError,
} from "@trellis/platform";
import type { Authenticated, Authenticator } from "../adapters/warden-client.js";
import type { TokenBuckets } from "../domain/rate-limit.js";
import { credentialFrom } from "../interceptors.js";
import { exchangeDecodedEvents } from "./events.js";
import type { DirectInvoker } from "./invoke.js";

type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

export const EVENTS_PATH = "/api/v1/events";

/** Browsers cap a beacon's body at 64 KiB; a tracker's batch is far smaller. */
export const MAX_BROWSER_BODY_BYTES = 64 * 1024;

/** Headers of the browser's own request kept on its events: what ingest's bot checks read. */
const OBSERVED_HEADERS = ["accept-language", "sec-ch-ua", "sec-ch-ua-mobile", "sec-ch-ua-platform", "sec-fetch-site"];

/** How long a browser may reuse a preflight answer, seconds. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

export interface PublishableEventsOptions {
  authenticator: Authenticator;
  invoke: DirectInvoker;
  buckets: TokenBuckets;
  logger: Logger;
  timeoutMs: number;
  /** The header a trusted proxy sets to the browser's address; unset: the connection's peer. */
  clientIpHeader?: string;
}

class BrowserEventsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function sendJson(res: Res, status: number, body: unknown, headers: Record<string, string>): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(payload),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(payload);
}

/** The answer to a refused browser request, readable by the page only when its origin is allowed. */
function sendRefusal(res: Res, error: unknown, cors: Record<string, string>): void {
  if (error instanceof BrowserEventsError) {
    sendJson(res, error.status, { error: { code: error.code, message: error.message } }, { ...cors, ...error.headers });
    return;
  }
  const connectError = toConnectError(error);
  const body: Record<string, unknown> = {
    code: (Code[connectError.code] ?? "Unknown").replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase(),
    message: connectError.rawMessage,
  };
  const violations = error instanceof ValidationError ? error.violations : fieldViolationsOf(connectError);
  if (violations.length > 0) body.violations = violations;
  sendJson(res, httpStatusForCode(connectError.code), { error: body }, cors);
}

/** The headers that let a page on `origin` read the answer. */
function corsHeaders(origin: string): Record<string, string> {
  return { "access-control-allow-origin": origin, vary: "Origin" };
}

function originNotAllowed(origin: string | undefined): BrowserEventsError {
  return origin
    ? new BrowserEventsError(
        403,
        "origin_not_allowed",
        `origin ${echo(origin)} is not allowed for this publishable key; add it with trellis keys create --publishable --origin`,
      )
    : new BrowserEventsError(
        403,
        "origin_required",
        "a publishable key is accepted only from a browser page on one of its origins (no Origin header was sent)",
      );
}

/** The browser's address: the trusted proxy's header when one is configured, else the socket's peer. */
export function clientAddress(req: Pick<Req, "headers" | "socket">, header: string | undefined): string {
  const forwarded = header ? req.headers[header] : undefined;
  const candidate =
    typeof forwarded === "string" ? (forwarded.split(",")[0]?.trim() ?? "") : (req.socket?.remoteAddress ?? "");
  const address = candidate.startsWith("::ffff:") && isIP(candidate.slice(7)) === 4 ? candidate.slice(7) : candidate;
  return isIP(address) !== 0 ? address : "";
}

async function readSmallBody(req: Req): Promise<Buffer> {
  if (Number(req.headers["content-length"] ?? 0) > MAX_BROWSER_BODY_BYTES)
    throw new BrowserEventsError(
      413,
      "payload_too_large",
      `a browser batch is at most ${MAX_BROWSER_BODY_BYTES} bytes`,
    );
  const encoding = String(req.headers["content-encoding"] ?? "identity").toLowerCase();
  if (encoding !== "identity")
    throw ValidationError.field("content-encoding", `${echo(encoding)} is not accepted from browsers; send plain JSON`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BROWSER_BODY_BYTES)
      throw new BrowserEventsError(
        413,
        "payload_too_large",
        `a browser batch is at most ${MAX_BROWSER_BODY_BYTES} bytes`,
      );
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * POST /api/v1/events from web pages, with a publishable key (the tracker sends it as
 * `?key=`, which keeps its requests CORS-simple; `X-API-Key` works too): the page's Origin
 * must be one of the key's, each key has a token bucket, and the events get the browser's
 * address, user agent and headers as the gateway saw them (a page cannot know its own IP).
 * Preflights with `?key=` are answered for allowed origins only. Requests with a secret key
 * or JWT pass on to the REST handler unchanged; a secret key in the URL is refused, as URLs
 * end up in logs.
 *
 * Returns a listener that answers the request, or calls `next` when it is not its own.
 */
export function createPublishableEvents(options: PublishableEventsOptions) {
  async function publishableKeyFor(req: Req, url: URL): Promise<Authenticated | undefined> {
    const fromUrl = url.searchParams.get("key");
    if (fromUrl !== null) {
      const authenticated = await options.authenticator.authenticate(fromUrl);
      if (!authenticated.publishable)
        throw new BrowserEventsError(
          403,
          "secret_key_in_url",
          "only a publishable key may be sent in the URL; send other credentials in the Authorization header (and revoke this key: URLs are logged)",
        );
      return authenticated;
    }
    // A credential in a header is looked at here only when a browser sent it.
    if (req.headers.origin === undefined) return undefined;
    const headers = new Headers();
    for (const name of ["authorization", "x-api-key"]) {
      const value = req.headers[name];
      if (typeof value === "string") headers.set(name, value);
    }
    const credential = credentialFrom(headers);
    if (!credential) return undefined;
    const authenticated = await options.authenticator.authenticate(credential);
    return authenticated.publishable ? authenticated : undefined;
  }

  function checkOrigin(key: Authenticated, origin: string | undefined): string {
    if (origin === undefined || !key.publishable?.allowedOrigins.includes(origin)) throw originNotAllowed(origin);
    return origin;
  }

  function preflight(res: Res, key: Authenticated, origin: string | undefined): void {
    const allowed = checkOrigin(key, origin);
    res.writeHead(204, {
      ...corsHeaders(allowed),
      "access-control-allow-methods": "POST",
      "access-control-allow-headers": "content-type, idempotency-key",
      "access-control-max-age": String(PREFLIGHT_MAX_AGE_SECONDS),
    });
    res.end();
  }

  async function ingest(req: Req, res: Res, url: URL, key: Authenticated, signal: AbortSignal): Promise<void> {
    const origin = checkOrigin(key, req.headers.origin);
    const cors = corsHeaders(origin);
    const taken = options.buckets.take(key.context.principal);
    if (!taken.allowed)
      throw new BrowserEventsError(
        429,
        "rate_limited",
        `this publishable key sends more than its rate allows; retry after ${taken.retryAfterSeconds} s`,
        { ...cors, "retry-after": String(taken.retryAfterSeconds) },
      );
    if (!key.context.scopes.includes(Scope.EVENTS_WRITE))
      throw new BrowserEventsError(403, "permission_denied", "credential lacks the events:write scope", cors);
    const raw = await readSmallBody(req);
    const ip = clientAddress(req, options.clientIpHeader);
    const userAgent = typeof req.headers["user-agent"] === "string" ? req.headers["user-agent"] : "";
    const observed: Record<string, string> = {};
    for (const name of OBSERVED_HEADERS) {
      const value = req.headers[name];
      if (typeof value === "string") observed[name] = value;
    }
    const stamp = (event: Event): Event => ({
      ...event,
      ip,
      userAgent: userAgent || event.userAgent,
      headers: { ...event.headers, ...observed },
    });
    const idempotencyKey = req.headers["idempotency-key"];
    const { status, body } = await exchangeDecodedEvents(
      {
        query: url.searchParams,
        raw,
        contentType: String(req.headers["content-type"] ?? ""),
        idempotencyKey: typeof idempotencyKey === "string" ? idempotencyKey : undefined,
      },
      (message) => {
        const request = message as IngestEventsRequest;
        const stamped = { ...request, events: request.events.map(stamp) };
        return options.invoke(IngestService.method.ingestEvents, stamped, key, {
          headers: new Headers(),
          signal,
          timeoutMs: options.timeoutMs,
        }) as Promise<MessageShape<DescMessage>>;
      },
    );
    sendJson(res, status, body, cors);
  }

  return (req: Req, res: Res, next: () => void): void => {
    // Everything else, server-side batches included (no key in the URL, no Origin), goes on at
    // the cost of these comparisons.
    const path = req.url ?? "/";
    if (!path.startsWith(EVENTS_PATH) || (req.method !== "POST" && req.method !== "OPTIONS")) {
      next();
      return;
    }
    const url = new URL(path, "http://gateway");
    if (url.pathname !== EVENTS_PATH || (!url.searchParams.has("key") && req.headers.origin === undefined)) {
      next();
      return;
    }
    const abort = new AbortController();
    const deadline = setTimeout(
      () => abort.abort(new DeadlineExceededError(`no answer within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    res.once("close", () => {
      clearTimeout(deadline);
      if (!res.writableFinished) abort.abort();
    });
    void inSpan(
      `${req.method} ${EVENTS_PATH} (publishable)`,
      { kind: SpanKind.SERVER, attributes: { "http.request.method": req.method, "http.route": EVENTS_PATH } },
      async (span) => {
        // Errors before the origin is known to be allowed are sent without CORS headers.
        let cors: Record<string, string> = {};
        let organizationId: string | undefined;
        try {
          const key = await runTaggingOrganization(span, () => publishableKeyFor(req, url));
          organizationId = key?.context.organizationId;
          if (!key) {
            clearTimeout(deadline);
            if (req.method === "OPTIONS" && req.headers.origin !== undefined)
              throw new BrowserEventsError(
                403,
                "publishable_key_required",
                "a browser sends events with a publishable key in the URL: POST /api/v1/events?key=trkp_…",
              );
            next();
            return;
          }
          if (req.method === "OPTIONS") {
            preflight(res, key, req.headers.origin);
            return;
          }
          if (req.headers.origin !== undefined && key.publishable?.allowedOrigins.includes(req.headers.origin))
            cors = corsHeaders(req.headers.origin);
          await runTaggingOrganization(span, () => ingest(req, res, url, key, abort.signal));
          span.setAttribute("http.response.status_code", res.statusCode);
        } catch (error) {
          const status =
            error instanceof BrowserEventsError ? error.status : httpStatusForCode(toConnectError(error).code);
          span.setAttribute("http.response.status_code", status);
          if (status >= 500)
            options.logger.error(
              { err: error, route: EVENTS_PATH, organization_id: organizationId },
              "browser events failed",
            );
          if (!res.headersSent) sendRefusal(res, error, cors);
        } finally {
          span.end();
        }
      },
    );
  };
}

export type PublishableEvents = ReturnType<typeof createPublishableEvents>;
