import { create, type DescMessage } from "@bufbuild/protobuf";
import { Code, type ContextValues, createContextValues } from "@connectrpc/connect";
import { type Span, SpanKind } from "@opentelemetry/api";
import {
  DeadlineExceededError,
  type DirectCall,
  type DirectServer,
  inSpan,
  type Logger,
  type RequestListener,
  runTaggingOrganization,
  spansRecorded,
  toConnectError,
} from "@trellis/platform";
import type { RestRequest } from "./body.js";
import { restStatusOf, sendError } from "./errors.js";
import { IncomingHeaders } from "./headers.js";
import { pipeLines, type RestResponse, sendJson, sendJsonText } from "./respond.js";
import { kRestCall, type RestCall, type RestReply } from "./rest-call.js";
import type { RestRoute } from "./route.js";
import { createRouter } from "./router.js";
import { pathAndQueryOf } from "./target.js";

export interface RestOptions {
  routes: readonly RestRoute[];
  /**
   * The gateway's own services behind its server interceptors, ending with the REST step
   * (rest-call.ts): a REST call goes through the same authentication, scope check,
   * organization scope, tracing, logging and error mapping as a Connect or gRPC call.
   */
  server: DirectServer;
  logger: Logger;
  /** Deadline of a call, in milliseconds; downloads get ten times it. */
  timeoutMs: number;
  /** Answers for paths outside /api (health, static pages); 404 when it returns false. */
  other?: (req: RestRequest, res: RestResponse) => boolean;
}

/** Headers a REST call passes to the RPC it maps to. */
const passedHeaders = ["authorization", "x-api-key", "cache-control", "idempotency-key"];

/** Request messages of streaming calls: the REST step builds the one message from the body. */
async function* noMessages(): AsyncIterable<never> {}

/** The signal of a REST call until the REST step replaces it with the request's end. */
const beforeTheStep = new AbortController().signal;

/** The call a REST request makes on the gateway's direct server. */
function directCall<M>(
  route: RestRoute,
  header: Headers,
  timeoutMs: number,
  contextValues: ContextValues,
  message: M,
): DirectCall<M> {
  return {
    method: route.rpc,
    header,
    // The REST step puts the request's end on the request as it reaches for the
    // implementation; nothing before it makes a call that a caller's leaving cancels.
    signal: beforeTheStep,
    timeoutMs,
    contextValues,
    message,
  };
}

const emptyRequests = new WeakMap<RestRoute, unknown>();

/**
 * What a unary REST call enters the interceptors with: its RPC's empty request, made once per
 * route and never changed. The REST step reads the body after authentication and hands the
 * implementation the message `parse` builds from it.
 */
function emptyRequestOf(route: RestRoute): unknown {
  let message = emptyRequests.get(route);
  if (message === undefined) {
    message = Object.freeze(create(route.rpc.input as DescMessage));
    emptyRequests.set(route, message);
  }
  return message;
}

/**
 * A REST request on its way through the server's interceptors (see RestCall). What most
 * calls never use is made on first use: the query's parameters, and the request's end — its
 * deadline, or a caller that leaves before the answer is complete, which every call made for
 * the request inherits — with what is left of the deadline counted from the request's
 * arrival; an answer from the hot window sets no timer and no listener.
 */
class EdgeCall implements RestCall {
  readonly #res: RestResponse;
  readonly #deadlineMs: number;
  readonly #arrivedAt = performance.now();
  #query: URLSearchParams | undefined;
  #ended: AbortController | undefined;

  constructor(
    readonly route: RestRoute,
    readonly path: Record<string, string>,
    readonly pathname: string,
    readonly search: string,
    readonly req: RestRequest,
    res: RestResponse,
    deadlineMs: number,
  ) {
    this.#res = res;
    this.#deadlineMs = deadlineMs;
  }

  get query(): URLSearchParams {
    this.#query ??= new URLSearchParams(this.search);
    return this.#query;
  }

  get signal(): AbortSignal {
    if (this.#ended) return this.#ended.signal;
    const ended = new AbortController();
    this.#ended = ended;
    const res = this.#res;
    if (res.destroyed) {
      // The caller left before anything needed the signal.
      ended.abort();
      return ended.signal;
    }
    const deadlineMs = this.#deadlineMs;
    const left = Math.max(0, deadlineMs - (performance.now() - this.#arrivedAt));
    const deadline = setTimeout(
      () => ended.abort(new DeadlineExceededError(`no answer within ${deadlineMs} ms`)),
      left,
    );
    res.once("close", () => {
      clearTimeout(deadline);
      if (!res.writableFinished) ended.abort();
    });
    return ended.signal;
  }
}

/**
 * Makes the call on the direct server and sends its answer. `span` is the request's span
 * when spans are recorded; without, nothing is made for one.
 */
async function serve(
  options: RestOptions,
  call: EdgeCall,
  res: RestResponse,
  deadlineMs: number,
  span: Span | undefined,
): Promise<void> {
  const { route, req } = call;
  const contextValues = createContextValues();
  contextValues.set(kRestCall, call);
  const header = new IncomingHeaders(req.headers, passedHeaders);
  try {
    if (route.download) {
      const direct = directCall(route, header, deadlineMs, contextValues, noMessages());
      const answer = await (span
        ? runTaggingOrganization(span, () => options.server.stream(direct))
        : options.server.stream(direct));
      const contentType = answer.header.get("content-type") ?? "application/octet-stream";
      const lines = answer.message as unknown as AsyncIterable<string | Uint8Array>;
      await (span
        ? runTaggingOrganization(span, () => pipeLines(res, contentType, lines))
        : pipeLines(res, contentType, lines));
      span?.setAttribute("http.response.status_code", 200);
      return;
    }
    const direct = directCall(route, header, deadlineMs, contextValues, emptyRequestOf(route));
    const answer = await (span
      ? runTaggingOrganization(span, () => options.server.unary(direct))
      : options.server.unary(direct));
    const reply = answer.message as unknown as RestReply;
    span?.setAttribute("http.response.status_code", reply.status);
    sendJsonText(res, reply.status, reply.payload);
  } catch (error) {
    span?.setAttribute("http.response.status_code", restStatusOf(error));
    // A streamed answer failing before its first line never passed the logging
    // interceptor (it logs a stream when the stream starts), so it is logged here.
    if (route.download && toConnectError(error).code === Code.Internal)
      options.logger.error({ err: error, route: route.path }, "REST download failed");
    if (!res.headersSent) sendError(res, error);
  } finally {
    span?.end();
  }
}

/**
 * REST+JSON under /api/v1: the edge. It matches the route, starts the request's deadline and
 * span, and makes the call on the gateway's direct server with the credential in the
 * headers; everything after — authentication, reading the body, the hot window, the RPC —
 * happens inside the server's interceptors, and this edge sends what they answer.
 */
export function createRestHandler(options: RestOptions): RequestListener {
  const match = createRouter(options.routes);
  return (req, res) => {
    const [pathname, search] = pathAndQueryOf(req.url ?? "/");
    if (!pathname.startsWith("/api/")) {
      if (options.other?.(req, res)) return;
      sendJson(res, 404, { error: { code: "not_found", message: `no route for ${pathname}` } });
      return;
    }
    const matched = match(req.method ?? "GET", pathname);
    if (!matched.route) {
      if (matched.allowed.length > 0) {
        sendJson(
          res,
          405,
          { error: { code: "method_not_allowed", message: `use ${matched.allowed.join(" or ")}` } },
          { allow: matched.allowed.join(", ") },
        );
      } else {
        sendJson(res, 404, { error: { code: "not_found", message: `no route for ${pathname}` } });
      }
      return;
    }
    const { route, path } = matched;
    const deadlineMs = route.download ? options.timeoutMs * 10 : options.timeoutMs;
    const call = new EdgeCall(route, path, pathname, search, req, res, deadlineMs);
    if (!spansRecorded()) {
      void serve(options, call, res, deadlineMs, undefined);
      return;
    }
    void inSpan(
      `${route.method} ${route.path}`,
      { kind: SpanKind.SERVER, attributes: { "http.request.method": route.method, "http.route": route.path } },
      (span) => serve(options, call, res, deadlineMs, span),
    );
  };
}
