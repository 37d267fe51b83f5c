import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import {
  createContextKey,
  type Interceptor,
  type StreamRequest,
  type StreamResponse,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { answerInOrgScope, linkSharedCopy, type OrgScope, requireOrgScope } from "@trellis/platform";
import { expectsBody, noBody, parseJson, type RestRequest, readBody } from "./body.js";
import { acceptsHotAnswer, asHotAnswer, type HotAnswers, hotRequestOf } from "./hot-answers.js";
import { renderAnswerJson } from "./render.js";
import type { RestRoute } from "./route.js";

/** A REST request on its way through the gateway's server interceptors, as the edge matched it. */
export interface RestCall {
  readonly route: RestRoute;
  /** The request's path, as URL reads it. */
  readonly pathname: string;
  /** The request's query string with its `?`, as URL reads it; empty when there is none. */
  readonly search: string;
  /** The query string's parameters. */
  readonly query: URLSearchParams;
  /** Values of the `{name}` segments of the route's path. */
  readonly path: Record<string, string>;
  /** The HTTP request, its body not read yet. */
  readonly req: RestRequest;
  /**
   * The request's end (its deadline, or a caller that left), made on first use: the step
   * hands it to the implementation; an answer from the hot window never makes one.
   */
  readonly signal: AbortSignal;
}

/** The REST call a request stands for; set by the REST edge on the call's context values. */
export const kRestCall = createContextKey<RestCall | undefined>(undefined, { description: "REST call" });

/** What the REST step answers a unary RPC with, in place of the RPC's message: the rendered JSON. */
export interface RestReply {
  status: number;
  payload: string | Buffer;
}

export interface RestStepOptions {
  /** Largest body, in bytes, after decompression. */
  maxBodyBytes: number;
  /** Rendered answers of reusable routes served again for a short window. */
  hot?: HotAnswers;
}

/** Response headers of an answer that never reached an implementation; never written to. */
const noHeaders = new Headers();

/**
 * The REST step, innermost of the gateway's server interceptors: it runs after the caller is
 * authenticated and the method's scope checked, and before the implementation. It enters the
 * organization's scope itself, only for what goes on to the implementation (publicAuthInterceptor
 * leaves that to it), so an answer from the hot window never pays for it. There it reads the body (never for a refused caller), answers from the
 * organization's hot window, builds the RPC's request message with the route's `parse` (or
 * lets the route exchange or download), and renders the answer: a unary RPC is answered with
 * a RestReply, a download with lines of text whose content type is the response's
 * `content-type` header. Calls that are not REST calls pass through untouched.
 */
export function restStepInterceptor(options: RestStepOptions): Interceptor {
  const hot = options.hot?.enabled ? options.hot : undefined;

  /**
   * A unary REST call: from the hot window when it holds the answer — returned without
   * waiting for anything, so such an answer costs no promise more than the one it is — else
   * through the implementation.
   */
  function answer(call: RestCall, req: UnaryRequest, next: AnyNext, scope: OrgScope): Promise<UnaryResponse> {
    if (!expectsBody(call.req)) return answerWith(call, req, next, scope, noBody);
    return readBody(call.req, options.maxBodyBytes).then((raw) => answerWith(call, req, next, scope, raw));
  }

  function answerWith(
    call: RestCall,
    req: UnaryRequest,
    next: AnyNext,
    scope: OrgScope,
    raw: Buffer,
  ): Promise<UnaryResponse> {
    const { route } = call;
    if (route.exchange) return exchange(call, raw, req, next, scope);
    const window = hot && route.reusable && acceptsHotAnswer(req.header.get("cache-control"), raw) ? hot : undefined;
    if (!window) return computed(call, req, next, scope, raw);
    // The organization is the verified one the interceptors before this step bound.
    const organizationId = scope.context.organizationId;
    const hotRequest = hotRequestOf(call.pathname, call.search, raw);
    const hotAnswer = window.get(organizationId, hotRequest);
    if (hotAnswer) return Promise.resolve(replyTo(req, { status: 200, payload: hotAnswer }));
    return computedForWindow(call, req, next, scope, raw, window, organizationId, hotRequest);
  }

  async function computed(call: RestCall, req: UnaryRequest, next: AnyNext, scope: OrgScope, raw: Buffer) {
    const res = (await inScope(next, withMessage(req, call, raw), scope)) as UnaryResponse;
    return answered(res, { status: 200, payload: renderAnswerJson(call.route.rpc.output, res.message) });
  }

  async function computedForWindow(
    call: RestCall,
    req: UnaryRequest,
    next: AnyNext,
    scope: OrgScope,
    raw: Buffer,
    window: HotAnswers,
    organizationId: string,
    hotRequest: string,
  ) {
    const { route } = call;
    // Read before the answer is computed: a change meanwhile retires what is stored under it.
    const epoch = window.epochOf(organizationId);
    const res = (await inScope(next, withMessage(req, call, raw), scope)) as UnaryResponse;
    const output = res.message as MessageShape<DescMessage>;
    // Rendered with two metas: seen as a copy of itself, everything but the meta is rendered
    // once for both.
    const payload = renderAnswerJson(route.rpc.output, linkSharedCopy({ ...output }, output));
    window.set(organizationId, hotRequest, epoch, Buffer.from(renderAnswerJson(route.rpc.output, asHotAnswer(output))));
    return answered(res, { status: 200, payload });
  }

  async function download(call: RestCall, req: StreamRequest, next: AnyNext, scope: OrgScope) {
    const { route } = call;
    if (!route.download) throw new Error(`${route.path} is not a download`);
    const raw = expectsBody(call.req) ? await readBody(call.req, options.maxBodyBytes) : noBody;
    const stream = (message: MessageShape<DescMessage>) =>
      (async function* () {
        const res = (await inScope(
          next,
          { ...req, message: oneMessage(message), signal: call.signal },
          scope,
        )) as StreamResponse;
        yield* res.message as AsyncIterable<MessageShape<DescMessage>>;
      })();
    const { contentType, lines } = route.download({ query: call.query, body: parseJson(raw), path: call.path }, stream);
    return {
      stream: true,
      service: req.service,
      method: req.method,
      header: new Headers({ "content-type": contentType }),
      trailer: new Headers(),
      message: lines,
    } as unknown as StreamResponse;
  }

  // Not async itself: the hot window's answer costs no promise more than it must.
  return (next) => (req) => {
    const call = req.contextValues.get(kRestCall);
    if (!call) return next(req);
    // Everything this step sends on runs in the organization's scope (bound by the auth step).
    const scope = requireOrgScope(req.contextValues);
    if (req.stream) return download(call, req, next, scope);
    return answer(call, req, next, scope);
  };
}

type AnyNext = Parameters<Interceptor>[0];

/** `next` with the request, inside the organization's scope (a streamed answer's messages too). */
function inScope(
  next: AnyNext,
  req: UnaryRequest | StreamRequest,
  scope: OrgScope,
): Promise<UnaryResponse | StreamResponse> {
  return answerInOrgScope(req.contextValues, scope, req.stream, () => next(req));
}

/** The request message `parse` builds from the body, on the request that goes to the implementation. */
function withMessage(req: UnaryRequest, call: RestCall, raw: Buffer): UnaryRequest {
  const message = call.route.parse({ query: call.query, body: parseJson(raw), path: call.path });
  return { ...req, message, signal: call.signal };
}

/** Routes that shape their own answer from the raw body, calling the RPC as they need. */
async function exchange(
  call: RestCall,
  raw: Buffer,
  req: UnaryRequest,
  next: AnyNext,
  scope: OrgScope,
): Promise<UnaryResponse> {
  const { route } = call;
  if (!route.exchange) throw new Error(`${route.path} is not an exchange`);
  const idempotencyKey = call.req.headers["idempotency-key"];
  const { status, body } = await route.exchange(
    {
      query: call.query,
      raw,
      contentType: String(call.req.headers["content-type"] ?? ""),
      idempotencyKey: typeof idempotencyKey === "string" ? idempotencyKey : undefined,
    },
    async (message) =>
      (await inScope(next, { ...req, message, signal: call.signal }, scope)).message as MessageShape<DescMessage>,
  );
  return replyTo(req, { status, payload: JSON.stringify(body) });
}

/** The response of a call the REST step answers itself, with no response metadata. */
function replyTo(req: UnaryRequest, reply: RestReply): UnaryResponse {
  return {
    stream: false,
    service: req.service,
    method: req.method,
    header: noHeaders,
    trailer: noHeaders,
    message: reply,
  } as unknown as UnaryResponse;
}

/** The implementation's response, carrying the REST reply in place of the RPC's message. */
function answered(res: UnaryResponse, reply: RestReply): UnaryResponse {
  return { ...res, message: reply } as unknown as UnaryResponse;
}

async function* oneMessage<T>(message: T): AsyncIterable<T> {
  yield message;
}
