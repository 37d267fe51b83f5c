// With nothing recording spans, the tracing interceptors make no spans and switch no context,
// yet a caller's W3C trace context still reaches the calls made on its behalf.
import { context, trace } from "@opentelemetry/api";
import { beforeAll, describe, expect, it } from "vitest";
import { clientTracingInterceptor, serverTracingInterceptor } from "../../src/interceptors/tracing.js";
import { inSpan, installTelemetry, spansRecorded } from "../../src/telemetry.js";

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const traceparent = `00-${traceId}-00f067aa0ba902b7-01`;

type Next = Parameters<ReturnType<typeof serverTracingInterceptor>>[0];

function request(header: Headers) {
  return {
    service: { typeName: "trellis.test.v1.TestService" },
    method: { name: "Call" },
    header,
  } as unknown as Parameters<Next>[0];
}

beforeAll(() => {
  installTelemetry({ serviceName: "test" });
});

describe("tracing with nothing recording", () => {
  it("records nothing", () => {
    expect(spansRecorded()).toBe(false);
  });

  it("runs a span's work in the caller's context", () => {
    const outer = context.active();
    const inner = inSpan("work", {}, (span) => {
      expect(span.isRecording()).toBe(false);
      return context.active();
    });
    expect(inner).toBe(outer);
  });

  it("passes an incoming trace context on to the calls made while serving", async () => {
    const outgoing = new Headers();
    const client = clientTracingInterceptor("caller")(async (req) => {
      return { message: {}, header: req.header } as never;
    });
    const server = serverTracingInterceptor("callee")((async () => {
      expect(trace.getActiveSpan()?.spanContext().traceId).toBe(traceId);
      await client(request(outgoing));
      return { message: {} } as never;
    }) as Next);
    await server(request(new Headers({ traceparent })));
    expect(outgoing.get("traceparent")).toBe(traceparent);
  });

  it("sends no trace context when none came in", async () => {
    const outgoing = new Headers();
    const client = clientTracingInterceptor("caller")(async () => ({ message: {} }) as never);
    await client(request(outgoing));
    expect(outgoing.get("traceparent")).toBeNull();
  });
});
