import { AsyncLocalStorage } from "node:async_hooks";
import {
  type Context,
  context,
  INVALID_SPAN_CONTEXT,
  propagation,
  type Span,
  type SpanOptions,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";

/** Name of the tracer every span of the product comes from. */
export const TRACER_NAME = "trellis";
/** Span attribute every span of a request carries. */
export const ORG_ATTRIBUTE = "trellis.organization_id";
/** Span attribute naming the service that opened an RPC span (gateway, query, …). */
export const SERVICE_ATTRIBUTE = "trellis.service";

/**
 * The product's tracer. Before installTelemetry (or without an exporter) it is the API's
 * no-op tracer; prefer inSpan, which also skips the span when nothing records.
 */
export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

export interface TelemetryHandle {
  shutdown(): Promise<void>;
  /** Present when spans are kept in memory (tests). */
  memoryExporter?: InMemorySpanExporter;
}

export interface TelemetryOptions {
  serviceName: string;
  /** Export over OTLP/HTTP to this endpoint (e.g. http://collector:4318). */
  otlpEndpoint?: string;
  /** Keep finished spans in memory instead of exporting them. */
  inMemory?: boolean;
}

let installed: TelemetryHandle | undefined;
let recording = false;
const nonRecordingSpan = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** True when spans are recorded (an exporter or memory); without, spans only pass trace context on. */
export function spansRecorded(): boolean {
  return recording;
}

/**
 * `tracer().startActiveSpan`, minus its cost when nothing records spans: then `fn` runs in the
 * caller's context with a non-recording span of that context, which is what the no-op tracer
 * would have made active — trace context still passes on unchanged, with no context switch.
 */
export function inSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => T, parent?: Context): T {
  if (recording) {
    return parent === undefined
      ? tracer().startActiveSpan(name, options, fn)
      : tracer().startActiveSpan(name, options, parent, fn);
  }
  const active = context.active();
  if (parent !== undefined && trace.getSpan(parent) !== trace.getSpan(active)) {
    // An incoming trace context (W3C headers) becomes active for the calls made inside.
    return context.with(parent, () => fn(trace.getSpan(parent) ?? nonRecordingSpan));
  }
  return fn(trace.getSpan(active) ?? nonRecordingSpan);
}

/**
 * Registers the async context manager, W3C propagation and, when spans have somewhere to go
 * (an OTLP endpoint, or memory in tests), a recording tracer provider. Idempotent per process.
 */
export function installTelemetry(options: TelemetryOptions): TelemetryHandle {
  if (installed) return installed;
  const processors: SpanProcessor[] = [];
  let memoryExporter: InMemorySpanExporter | undefined;
  if (options.inMemory) {
    memoryExporter = new InMemorySpanExporter();
    processors.push(new SimpleSpanProcessor(memoryExporter));
  }
  if (options.otlpEndpoint) {
    const url = `${options.otlpEndpoint.replace(/\/$/, "")}/v1/traces`;
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url })));
  }
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  // Spans that go nowhere cost CPU on every hop: without an exporter the API's no-op tracer
  // stays in place, and a caller's trace context still passes through unchanged.
  const provider =
    processors.length > 0
      ? new BasicTracerProvider({
          resource: resourceFromAttributes({ "service.name": options.serviceName }),
          spanProcessors: processors,
        })
      : undefined;
  if (provider) trace.setGlobalTracerProvider(provider);
  recording = provider !== undefined;
  const handle: TelemetryHandle = {
    memoryExporter,
    async shutdown() {
      await provider?.shutdown();
    },
  };
  installed = handle;
  return handle;
}

/** Telemetry for a process, configured from the standard OTEL_* variables. */
export function installTelemetryFromEnv(serviceName: string, env = process.env): TelemetryHandle {
  return installTelemetry({
    serviceName: env.OTEL_SERVICE_NAME ?? serviceName,
    otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
  });
}

/**
 * The handle installTelemetry returned in this process, or undefined when telemetry was
 * never installed (runService flushes it on shutdown).
 */
export function telemetryHandle(): TelemetryHandle | undefined {
  return installed;
}

const outerSpan = new AsyncLocalStorage<Span>();

/**
 * Runs `fn` so that authentication inside it also tags `span` (an outer span opened before
 * the organization was known, such as a REST request) with the organization id.
 */
export function runTaggingOrganization<T>(span: Span, fn: () => T): T {
  return recording ? outerSpan.run(span, fn) : fn();
}

/** Tags the active span, and any outer span waiting for it, with the organization id. */
export function tagOrganization(organizationId: string): void {
  if (!recording) return;
  trace.getActiveSpan()?.setAttribute(ORG_ATTRIBUTE, organizationId);
  outerSpan.getStore()?.setAttribute(ORG_ATTRIBUTE, organizationId);
}

/** Runs functions later inside the OpenTelemetry context active now (spans of a stream stay in its trace). */
export function bindActiveContext(): <R>(fn: () => R) => R {
  const active = context.active();
  return (fn) => context.with(active, fn);
}
