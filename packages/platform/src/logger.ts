import { trace } from "@opentelemetry/api";
import { type Logger, pino } from "pino";
import { currentOrganizationId } from "./org-context.js";

export type { Logger };

export interface LoggerOptions {
  service: string;
  level?: string;
  /** Where lines go; standard output when absent. */
  destination?: NodeJS.WritableStream;
}

/**
 * A JSON logger whose every line carries the service, the organization of the current
 * request and the active trace and span ids.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin() {
        const fields: Record<string, string> = {};
        const organizationId = currentOrganizationId();
        if (organizationId) fields.organization_id = organizationId;
        const spanContext = trace.getActiveSpan()?.spanContext();
        if (spanContext) {
          fields.trace_id = spanContext.traceId;
          fields.span_id = spanContext.spanId;
        }
        return fields;
      },
    },
    (options.destination ?? process.stdout) as pino.DestinationStream,
  );
}
