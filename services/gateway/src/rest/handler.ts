import { create, type DescMessage } from "@bufbuild/protobuf";
import { Code, type ContextValues, createContextValues } from "@connectrpc/connect";
import { SpanKind } from "@opentelemetry/api";
import {
  DeadlineExceededError,
  type DirectCall,
  type DirectServer,
  inSpan,
  type Logger,
  type RequestListener,
  runTaggingOrganization,
  toConnectError,
} from "@trellis/platform";
import type { RestRequest } from "./body.js";
import { restStatusOf, sendError } from "./errors.js";
import { pipeLines, type RestResponse, sendJson, sendJsonText } from "./respond.js";
import { kRestCall, type RestCall, type RestReply } from "./rest-call.js";
import type { RestRoute } from "./route.js";
import { createRouter } from "./router.js";

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

function headersOf(req: RestRequest): Headers {
  const headers = new Headers();
  for (const name of passedHeaders) {
    const value = req.headers[name];
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  return headers;
}

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
 * The request's end as a signal: its deadline, or a caller that leaves before the answer is
 * complete; every call made for the request inherits it. Made on first use, with what is left
 * of the deadline counted from the request's arrival: nothing before the REST step holds it,
 * and an answer from the hot window never needs one, so such an answer sets no timer and no
 * listener.
 */
function requestEnd(res: RestResponse, deadlineMs: number): RestCall["end"] {
  const arrivedAt = performance.now();
  let controller: AbortController | undefined;
  return {
    get signal() {
      if (controller) return controller.signal;
      const ended = new AbortController();
      controller = ended;
      if (res.destroyed) {
        // The caller left before anything needed the signal.
        ended.abort();
        return ended.signal;
      }
      const left = Math.max(0, deadlineMs - (performance.now() - arrivedAt));
      const deadline = setTimeout(
        () => ended.abort(new DeadlineExceededError(`no answer within ${deadlineMs} ms`)),
        left,
      );
      res.once("close", () => {
        clearTimeout(deadline);
        if (!res.writableFinished) ended.abort();
      });
      return ended.signal;
    },
  };
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
    const url = new URL(req.url ?? "/", "http://gateway");
    if (!url.pathname.startsWith("/api/")) {
      if (options.other?.(req, res)) return;
      sendJson(res, 404, { error: { code: "not_found", message: `no route for ${url.pathname}` } });
      return;
    }
    const matched = match(req.method ?? "GET", url.pathname);
    if (!matched.route) {
      if (matched.allowed.length > 0) {
        sendJson(
          res,
          405,
          { error: { code: "method_not_allowed", message: `use ${matched.allowed.join(" or ")}` } },
          { allow: matched.allowed.join(", ") },
        );
      } else {
        sendJson(res, 404, { error: { code: "not_found", message: `no route for ${url.pathname}` } });
      }
      return;
    }
    const { route, path } = matched;
    const deadlineMs = route.download ? options.timeoutMs * 10 : options.timeoutMs;
    const end = requestEnd(res, deadlineMs);
    void inSpan(
      `${route.method} ${route.path}`,
      { kind: SpanKind.SERVER, attributes: { "http.request.method": route.method, "http.route": route.path } },
      async (span) => {
        const contextValues = createContextValues();
        contextValues.set(kRestCall, { route, url, path, req, end });
        const header = headersOf(req);
        try {
          if (route.download) {
            const answer = await runTaggingOrganization(span, () =>
              options.server.stream(directCall(route, header, deadlineMs, contextValues, noMessages())),
            );
            const contentType = answer.header.get("content-type") ?? "application/octet-stream";
            await runTaggingOrganization(span, () =>
              pipeLines(res, contentType, answer.message as unknown as AsyncIterable<string | Uint8Array>),
            );
            span.setAttribute("http.response.status_code", 200);
            return;
          }
          const answer = await runTaggingOrganization(span, () =>
            options.server.unary(directCall(route, header, deadlineMs, contextValues, emptyRequestOf(route))),
          );
          const reply = answer.message as unknown as RestReply;
          span.setAttribute("http.response.status_code", reply.status);
          sendJsonText(res, reply.status, reply.payload);
        } catch (error) {
          span.setAttribute("http.response.status_code", restStatusOf(error));
          // A streamed answer failing before its first line never passed the logging
          // interceptor (it logs a stream when the stream starts), so it is logged here.
          if (route.download && toConnectError(error).code === Code.Internal)
            options.logger.error({ err: error, route: route.path }, "REST download failed");
          if (!res.headersSent) sendError(res, error);
        } finally {
          span.end();
        }
      },
    );
  };
}
