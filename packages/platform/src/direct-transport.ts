import { create, type DescMessage, type DescMethod, type DescService } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  createContextValues,
  type HandlerContext,
  type Interceptor,
  type Transport,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import { createCallContext, responseMetadataOf } from "./call-context.js";

type UnaryImpl = (input: unknown, context: HandlerContext) => unknown;
type AnyFn = Parameters<Interceptor>[0];

const neverAborted = new AbortController().signal;

export interface DirectTransportOptions {
  /** Registers the service implementations (a ServiceApp's `routes`). */
  routes(router: ConnectRouter): void;
  clientInterceptors: readonly Interceptor[];
  serverInterceptors: readonly Interceptor[];
  defaultTimeoutMs?: number;
  /** Carries streaming calls, which this transport does not shortcut. */
  streams: Transport;
}

/** The unary implementations a routes function registers, by method. */
function collectUnaryImpls(routes: (router: ConnectRouter) => void): Map<DescMethod, UnaryImpl> {
  const impls = new Map<DescMethod, UnaryImpl>();
  const collector = {
    service(service: DescService, impl: Record<string, unknown>) {
      for (const method of service.methods) {
        const fn = impl[method.localName];
        if (method.methodKind === "unary" && typeof fn === "function") impls.set(method, fn.bind(impl) as UnaryImpl);
      }
      return collector;
    },
    rpc(method: DescMethod, impl: unknown) {
      if (method.methodKind === "unary" && typeof impl === "function") impls.set(method, impl as UnaryImpl);
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
 * go through `streams`.
 */
export function createDirectTransport(options: DirectTransportOptions): Transport {
  const impls = collectUnaryImpls(options.routes);

  async function serve(req: UnaryRequest, timeoutMs: number | undefined): Promise<UnaryResponse> {
    const impl = impls.get(req.method);
    if (!impl) throw new ConnectError(`${req.service.typeName}/${req.method.name} is not served`, Code.Unimplemented);
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
    stream(method, signal, timeoutMs, header, input, contextValues) {
      return options.streams.stream(
        method,
        signal,
        timeoutMs ?? options.defaultTimeoutMs,
        header,
        input,
        contextValues,
      );
    },
  };
}
