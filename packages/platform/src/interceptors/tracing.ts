import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { context, propagation, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { currentOrganizationId } from "../org-context.js";
import { inSpan, ORG_ATTRIBUTE, SERVICE_ATTRIBUTE, spansRecorded } from "../telemetry.js";

const headerGetter = {
  get: (carrier: Headers, key: string) => carrier.get(key) ?? undefined,
  keys: (carrier: Headers) => [...carrier.keys()],
};
const headerSetter = { set: (carrier: Headers, key: string, value: string) => carrier.set(key, value) };

function spanName(req: { service: { typeName: string }; method: { name: string } }): string {
  return `${req.service.typeName}/${req.method.name}`;
}

function recordOutcome(span: Span, error: unknown): void {
  if (error === undefined) {
    span.setAttribute("rpc.connect_rpc.error_code", "ok");
    return;
  }
  const connectError = ConnectError.from(error);
  span.setAttribute("rpc.connect_rpc.error_code", Code[connectError.code] ?? "unknown");
  span.setStatus({ code: SpanStatusCode.ERROR, message: connectError.rawMessage });
}

/**
 * Server side: continues the caller's trace from the W3C headers and opens a SERVER span for
 * the RPC. The HTTP auto-instrumentation does not cover http2, so this is where traces join.
 */
export function serverTracingInterceptor(service: string): Interceptor {
  // The outer functions are not async: inSpan's promise is the answer, one promise fewer a call.
  return (next) => (req) => {
    const active = context.active();
    const parent = propagation.extract(active, req.header, headerGetter);
    if (!spansRecorded()) {
      // Nothing records the span, so there is no outcome to put on it: only the caller's trace
      // context is passed on, active for the calls made inside — as inSpan does, minus the
      // closures and the promise of a span.
      if (trace.getSpan(parent) === trace.getSpan(active)) return next(req);
      return context.with(parent, next, undefined, req);
    }
    return inSpan(
      spanName(req),
      { kind: SpanKind.SERVER, attributes: { "rpc.system": "connect_rpc", [SERVICE_ATTRIBUTE]: service } },
      async (span) => {
        try {
          const res = await next(req);
          recordOutcome(span, undefined);
          return res;
        } catch (error) {
          recordOutcome(span, error);
          throw error;
        } finally {
          const organizationId = currentOrganizationId();
          if (organizationId) span.setAttribute(ORG_ATTRIBUTE, organizationId);
          span.end();
        }
      },
      parent,
    );
  };
}

/** Client side: opens a CLIENT span and injects its context into the request headers. */
export function clientTracingInterceptor(service: string): Interceptor {
  return (next) => (req) => {
    if (!spansRecorded()) {
      // No span of its own: the caller's trace context, when there is one, goes on as is.
      propagation.inject(context.active(), req.header, headerSetter);
      return next(req);
    }
    return inSpan(
      spanName(req),
      { kind: SpanKind.CLIENT, attributes: { "rpc.system": "connect_rpc", [SERVICE_ATTRIBUTE]: service } },
      async (span) => {
        const organizationId = currentOrganizationId();
        if (organizationId) span.setAttribute(ORG_ATTRIBUTE, organizationId);
        propagation.inject(trace.setSpan(context.active(), span), req.header, headerSetter);
        try {
          const res = await next(req);
          recordOutcome(span, undefined);
          return res;
        } catch (error) {
          recordOutcome(span, error);
          throw error;
        } finally {
          span.end();
        }
      },
    );
  };
}
