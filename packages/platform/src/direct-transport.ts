import { create, type DescMessage, type DescMethod, type DescService } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
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

/**
 * A transport to service implementations in this process that hands messages over as they
 * are: no encoding, no HTTP. Client and server interceptors still run in full — tracing,
 * logging, the signed organization context and its verification, error mapping — so a call
 * behaves as it would across the wire, minus the serialization. The callee sees the remaining
 * time and the caller's signal, which already ends at the outermost deadline. Streaming calls
 * take the same path: their messages are handed over one by one as the iterables yield them.
 */
export function createDirectTransport(options: DirectTransportOptions): Transport {
  const impls = collectImpls(options.routes);

  function implOf(method: DescMethod): Impl {
    const impl = impls.get(method);
    if (!impl) throw new ConnectError(`${method.parent.typeName}/${method.name} is not served`, Code.Unimplemented);
    return impl;
  }

  /** A streaming call's server side: the implementation behind the server interceptors. */
  async function serveStream(req: StreamRequest, timeoutMs: number | undefined): Promise<StreamResponse> {
    const impl = implOf(req.method);
    const server = chain(async (serverReq) => {
      const streamReq = serverReq as StreamRequest;
      const method = streamReq.method;
      const context = createCallContext({
        service: streamReq.service,
        method,
        protocolName: "direct",
        url: streamReq.url,
        timeoutMs,
        signal: streamReq.signal,
        requestHeader: streamReq.header,
        values: streamReq.contextValues,
        abortAtDeadline: false,
      });
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
    // The server side gets its own context values, as it would from the wire.
    return (await server({ ...req, contextValues: createContextValues() } as StreamRequest)) as StreamResponse;
  }

  async function serve(req: UnaryRequest, timeoutMs: number | undefined): Promise<UnaryResponse> {
    const impl = implOf(req.method);
    const server = chain(async (serverReq) => {
      const unaryReq = serverReq as UnaryRequest;
      const context = createCallContext({
        service: unaryReq.service,
        method: unaryReq.method,
        protocolName: "direct",
        url: unaryReq.url,
        timeoutMs,
        signal: unaryReq.signal,
        requestHeader: unaryReq.header,
        values: unaryReq.contextValues,
        abortAtDeadline: false,
      });
      const output = await impl(unaryReq.message, context);
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
    // The server side gets its own context values, as it would from the wire.
    return (await server({
      ...req,
      contextValues: createContextValues(),
    } as UnaryRequest)) as UnaryResponse;
  }

  return {
    async unary(method, signal, timeoutMs, header, input, contextValues) {
      const effectiveTimeout = timeoutMs ?? options.defaultTimeoutMs;
      const client = chain((req) => serve(req as UnaryRequest, effectiveTimeout), options.clientInterceptors);
      const response = await client({
        stream: false,
        service: method.parent,
        method,
        requestMethod: "POST",
        url: `direct:///${method.parent.typeName}/${method.name}`,
        signal: signal ?? neverAborted,
        header: new Headers(header),
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
      const client = chain((req) => serveStream(req as StreamRequest, effectiveTimeout), options.clientInterceptors);
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
        header: new Headers(header),
        contextValues: contextValues ?? createContextValues(),
        message: inputMessages,
      } as StreamRequest);
      return response as StreamResponse<never, never>;
    },
  };
}
