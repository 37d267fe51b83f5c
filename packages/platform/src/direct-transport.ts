import { create, type DescMessage, type DescMethod, type DescService } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type ContextValues,
  createContextKey,
  createContextValues,
  type HandlerContext,
  type Interceptor,
  type StreamRequest,
  type StreamResponse,
  type Transport,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { createCallContext, responseMetadataOf } from "./call-context.js";
import { InProcessHeaders } from "./in-process-headers.js";

type Impl = (input: unknown, context: HandlerContext) => unknown;
type AnyFn = Parameters<Interceptor>[0];

const neverAborted = new AbortController().signal;

export interface DirectTransportOptions {
  /** Registers the service implementations (a ServiceApp's `routes`). */
  routes(router: ConnectRouter): void;
  clientInterceptors: readonly Interceptor[];
  serverInterceptors: readonly Interceptor[];
  defaultTimeoutMs?: number;
}

/** The implementations a routes function registers, by method: unary and streaming alike. */
function collectImpls(routes: (router: ConnectRouter) => void): Map<DescMethod, Impl> {
  const impls = new Map<DescMethod, Impl>();
  const collector = {
    service(service: DescService, impl: Record<string, unknown>) {
      for (const method of service.methods) {
        const fn = impl[method.localName];
        if (typeof fn === "function") impls.set(method, fn.bind(impl) as Impl);
      }
      return collector;
    },
    rpc(method: DescMethod, impl: unknown) {
      if (typeof impl === "function") impls.set(method, impl as Impl);
      return collector;
    },
    handlers: [],
  };
  routes(collector as unknown as ConnectRouter);
  return impls;
}

/** Wraps `next` so the first interceptor is the outermost, as Connect applies them. */
function chain(next: AnyFn, interceptors: readonly Interceptor[]): AnyFn {
  return [...interceptors].reverse().reduce((inner, interceptor) => interceptor(inner), next);
}

/** A call handed to a direct server: what a protocol adapter would have read from the wire. */
export interface DirectCall<M> {
  method: DescMethod;
  /** The request headers (the credential, `Cache-Control`, trace context). */
  header: Headers;
  /** Ends when the caller goes away or its deadline passes. */
  signal: AbortSignal;
  /** The time the callee has, as its call context's `timeoutMs()` reports it. */
  timeoutMs?: number;
  /** The server side's own context values; the interceptors put the verified organization there. */
  contextValues: ContextValues;
  /** The request message (unary), or the request messages (streaming). */
  message: M;
}

export interface DirectServer {
  unary(call: DirectCall<unknown>): Promise<UnaryResponse>;
  stream(call: DirectCall<AsyncIterable<unknown>>): Promise<StreamResponse>;
}

/** The time the caller gave a direct call, for its call context (the server side's own value). */
const kCallTimeout = createContextKey<number | undefined>(undefined, { description: "direct call time-out" });

/**
 * The server half of an in-process call: service implementations behind the server
 * interceptors, entered without a socket or encoding — as Connect's node adapter enters them
 * after decoding a request. The interceptor chains are built once, not per call. A protocol
 * adapter of its own (the gateway's REST edge) calls it directly; createDirectTransport puts
 * the client interceptors in front of it.
 */
export function createDirectServer(options: {
  routes(router: ConnectRouter): void;
  serverInterceptors: readonly Interceptor[];
}): DirectServer {
  const impls = collectImpls(options.routes);

  function implOf(method: DescMethod): Impl {
    const impl = impls.get(method);
    if (!impl) throw new ConnectError(`${method.parent.typeName}/${method.name} is not served`, Code.Unimplemented);
    return impl;
  }

  function contextOf(req: UnaryRequest | StreamRequest): HandlerContext {
    return createCallContext({
      service: req.service,
      method: req.method,
      protocolName: "direct",
      url: req.url,
      timeoutMs: req.contextValues.get(kCallTimeout),
      signal: req.signal,
      requestHeader: req.header,
      values: req.contextValues,
      abortAtDeadline: false,
    });
  }

  const unary = chain(async (serverReq) => {
    const unaryReq = serverReq as UnaryRequest;
    const context = contextOf(unaryReq);
    const output = await implOf(unaryReq.method)(unaryReq.message, context);
    const { header, trailer } = responseMetadataOf(context);
    return {
      stream: false,
      service: unaryReq.service,
      method: unaryReq.method,
      header,
      trailer,
      message: create(unaryReq.method.output as DescMessage, output as never),
    } as UnaryResponse;
  }, options.serverInterceptors);

  const stream = chain(async (serverReq) => {
    const streamReq = serverReq as StreamRequest;
    const method = streamReq.method;
    const impl = implOf(method);
    const context = contextOf(streamReq);
    const output = method.output as DescMessage;
    let messages: AsyncIterable<unknown>;
    if (method.methodKind === "server_streaming") {
      // One request message, many answers.
      let input: unknown;
      for await (const message of streamReq.message) {
        input = message;
        break;
      }
      messages = impl(input ?? create(method.input as DescMessage), context) as AsyncIterable<unknown>;
    } else if (method.methodKind === "client_streaming") {
      const answer = impl(streamReq.message, context) as Promise<unknown>;
      messages = (async function* () {
        yield await answer;
      })();
    } else {
      messages = impl(streamReq.message, context) as AsyncIterable<unknown>;
    }
    return {
      stream: true,
      service: streamReq.service,
      method,
      // The handler may still set these while its messages are produced: handed over as is.
      header: context.responseHeader,
      trailer: context.responseTrailer,
      message: (async function* () {
        for await (const message of messages) yield create(output, message as never);
      })(),
    } as StreamResponse;
  }, options.serverInterceptors);

  function requestOf(call: DirectCall<unknown>, stream: boolean) {
    if (call.timeoutMs !== undefined) call.contextValues.set(kCallTimeout, call.timeoutMs);
    return {
      stream,
      service: call.method.parent,
      method: call.method,
      requestMethod: "POST",
      url: `direct:///${call.method.parent.typeName}/${call.method.name}`,
      signal: call.signal,
      header: call.header,
      contextValues: call.contextValues,
      message: call.message,
    };
  }

  return {
    unary: (call) => unary(requestOf(call, false) as UnaryRequest) as Promise<UnaryResponse>,
    stream: (call) => stream(requestOf(call, true) as StreamRequest) as Promise<StreamResponse>,
  };
}

/**
 * A transport to service implementations in this process that hands messages over as they
 * are: no encoding, no HTTP. Client and server interceptors still run in full — tracing,
 * logging, the signed organization context and its verification, error mapping — so a call
 * behaves as it would across the wire, minus the serialization. The callee sees the remaining
 * time and the caller's signal, which already ends at the outermost deadline. Streaming calls
 * take the same path: their messages are handed over one by one as the iterables yield them.
 */
export function createDirectTransport(options: DirectTransportOptions): Transport {
  const server = createDirectServer(options);

  return {
    async unary(method, signal, timeoutMs, header, input, contextValues) {
      const effectiveTimeout = timeoutMs ?? options.defaultTimeoutMs;
      const client = chain(
        (req) =>
          server.unary({
            method: req.method,
            header: req.header,
            signal: req.signal,
            timeoutMs: effectiveTimeout,
            // The server side gets its own context values, as it would from the wire.
            contextValues: createContextValues(),
            message: (req as UnaryRequest).message,
          }),
        options.clientInterceptors,
      );
      const response = await client({
        stream: false,
        service: method.parent,
        method,
        requestMethod: "POST",
        url: `direct:///${method.parent.typeName}/${method.name}`,
        signal: signal ?? neverAborted,
        header: new InProcessHeaders(header),
        contextValues: contextValues ?? createContextValues(),
        message: create(method.input, input),
      } as UnaryRequest);
      return response as UnaryResponse<never, never>;
    },
    async stream(method, signal, timeoutMs, header, input, contextValues) {
      const effectiveTimeout = timeoutMs ?? options.defaultTimeoutMs;
      // The callee's signal ends at the call's deadline, as it would across the wire.
      const deadline = effectiveTimeout !== undefined ? AbortSignal.timeout(effectiveTimeout) : undefined;
      const callSignal =
        signal && deadline ? AbortSignal.any([signal, deadline]) : (signal ?? deadline ?? neverAborted);
      const client = chain(
        (req) =>
          server.stream({
            method: req.method,
            header: req.header,
            signal: req.signal,
            timeoutMs: effectiveTimeout,
            contextValues: createContextValues(),
            message: (req as StreamRequest).message,
          }),
        options.clientInterceptors,
      );
      const inputMessages = (async function* () {
        for await (const message of input) yield create(method.input, message);
      })();
      const response = await client({
        stream: true,
        service: method.parent,
        method,
        requestMethod: "POST",
        url: `direct:///${method.parent.typeName}/${method.name}`,
        signal: callSignal,
        header: new InProcessHeaders(header),
        contextValues: contextValues ?? createContextValues(),
        message: inputMessages,
      } as StreamRequest);
      return response as StreamResponse<never, never>;
    },
  };
}
