import type { DescMessage, DescMethod, MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues, type HandlerContext } from "@connectrpc/connect";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { OrgContext } from "@trellis/contracts";
import {
  createCallContext,
  enterOrgScope,
  inSpan,
  ORG_ATTRIBUTE,
  SERVICE_ATTRIBUTE,
  streamInOrgScope,
} from "@trellis/platform";

export interface Authorized {
  context: OrgContext;
  token: string;
}

export interface CallOptions {
  headers: Headers;
  signal: AbortSignal;
  timeoutMs: number;
}

type Implementation = Record<string, (input: unknown, ctx: HandlerContext) => unknown>;

/**
 * Calls the gateway's own service implementations for an already authorized REST request:
 * the same handlers the RPC routes serve, without a serialization round trip in between.
 */
export function createDirectInvoker(implementations: ReadonlyMap<string, object>) {
  return function invoke(rpc: DescMethod, input: MessageShape<DescMessage>, auth: Authorized, options: CallOptions) {
    const implementation = implementations.get(rpc.parent.typeName) as Implementation | undefined;
    const method = implementation?.[rpc.localName];
    if (!method) throw new ConnectError(`${rpc.parent.typeName}/${rpc.name} is not served`, Code.Unimplemented);
    const ctx = createCallContext({
      service: rpc.parent,
      method: rpc,
      protocolName: "rest",
      url: `/${rpc.parent.typeName}/${rpc.name}`,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      requestHeader: options.headers,
      values: createContextValues(),
      // The REST handler's signal already ends at the request's deadline.
      abortAtDeadline: false,
    });
    const scope = { context: auth.context, token: auth.token };
    if (rpc.methodKind === "server_streaming") {
      const result = enterOrgScope(ctx.values, scope, () => method.call(implementation, input, ctx));
      return streamInOrgScope(result as AsyncIterable<MessageShape<DescMessage>>, scope);
    }
    return inSpan(
      `${rpc.parent.typeName}/${rpc.name}`,
      {
        kind: SpanKind.INTERNAL,
        attributes: {
          "rpc.system": "connect_rpc",
          [SERVICE_ATTRIBUTE]: "gateway",
          [ORG_ATTRIBUTE]: auth.context.organizationId,
        },
      },
      async (span) => {
        try {
          return (await enterOrgScope(ctx.values, scope, () =>
            method.call(implementation, input, ctx),
          )) as MessageShape<DescMessage>;
        } catch (error) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: ConnectError.from(error).rawMessage });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  };
}

export type DirectInvoker = ReturnType<typeof createDirectInvoker>;
