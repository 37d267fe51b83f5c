import type { DescService } from "@bufbuild/protobuf";
import {
  type CallOptions,
  type Client,
  createClient,
  type HandlerContext,
  type ServiceImpl,
  type Transport,
} from "@connectrpc/connect";

/** Headers a proxy passes on to the peer (the context token travels by interceptor). */
const forwardedHeaders = ["cache-control", "idempotency-key"];

function callOptions(ctx: HandlerContext): CallOptions {
  const headers = new Headers();
  for (const name of forwardedHeaders) {
    const value = ctx.requestHeader.get(name);
    if (value !== null) headers.set(name, value);
  }
  const timeoutMs = ctx.timeoutMs();
  return { signal: ctx.signal, headers, ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
}

/**
 * Serves `service` by forwarding every method to the same service on a peer, with the
 * caller's deadline and cancellation and its `cache-control` and `idempotency-key` headers.
 * Used where the gateway adds nothing but auth.
 */
export function proxyService<S extends DescService>(service: S, transport: Transport): ServiceImpl<S> {
  const client = createClient(service, transport) as unknown as Record<string, (...args: unknown[]) => unknown>;
  const impl: Record<string, unknown> = {};
  for (const method of service.methods) {
    const call = client[method.localName];
    if (!call) continue;
    switch (method.methodKind) {
      case "unary":
      case "client_streaming":
        impl[method.localName] = (input: unknown, ctx: HandlerContext) => call(input, callOptions(ctx));
        break;
      case "server_streaming":
      case "bidi_streaming":
        impl[method.localName] = async function* (input: unknown, ctx: HandlerContext) {
          yield* call(input, callOptions(ctx)) as AsyncIterable<unknown>;
        };
        break;
    }
  }
  return impl as ServiceImpl<S>;
}

export type { Client };
