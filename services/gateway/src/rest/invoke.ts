import type { DescMessage, DescMethod, MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createContextValues, createHandlerContext } from "@connectrpc/connect";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { OrgContext } from "@trellis/contracts";
import {
  bindActiveContext,
  bindToScope,
  kOrgContext,
  ORG_ATTRIBUTE,
  runWithOrgContext,
  SERVICE_ATTRIBUTE,
  tagOrganization,
  tracer,
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

type Implementation = Record<string, (input: unknown, ctx: ReturnType<typeof createHandlerContext>) => unknown>;

/**
 * Calls the gateway's own service implementations for an already authorized REST request:
 * the same handlers the RPC routes serve, without a serialization round trip in between.
 */
export function createDirectInvoker(implementations: ReadonlyMap<string, object>) {
  return function invoke(rpc: DescMethod, input: MessageShape<DescMessage>, auth: Authorized, options: CallOptions) {
    const implementation = implementations.get(rpc.parent.typeName) as Implementation | undefined;
    const method = implementation?.[rpc.localName];
    if (!method) throw new ConnectError(`${rpc.parent.typeName}/${rpc.name} is not served`, Code.Unimplemented);
    const ctx = createHandlerContext({
      service: rpc.parent,
      method: rpc,
      protocolName: "rest",
      requestMethod: "POST",
      url: `/${rpc.parent.typeName}/${rpc.name}`,
      timeoutMs: options.timeoutMs,
      requestSignal: options.signal,
      requestHeader: options.headers,
      contextValues: createContextValues().set(kOrgContext, auth.context),
    });
    tagOrganization(auth.context.organizationId);
    const scope = { context: auth.context, token: auth.token };
    if (rpc.methodKind === "server_streaming") {
      const result = runWithOrgContext(scope, () => method.call(implementation, input, ctx));
      return bindToScope(result as AsyncIterable<MessageShape<DescMessage>>, scope, bindActiveContext());
    }
    return tracer().startActiveSpan(
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
          return (await runWithOrgContext(scope, () =>
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
