import { existsSync } from "node:fs";
import { trace } from "@opentelemetry/api";
import { type Logger, pino } from "pino";
import pretty from "pino-pretty";
import { currentOrganizationId } from "./org-context.js";

export type { Logger };

/** `json`: one JSON object a line; `pretty`: readable lines for a person; `auto`: pretty on a terminal. */
export type LogFormat = "json" | "pretty" | "auto";

export interface LoggerOptions {
  service: string;
  level?: string;
  /** Where lines go; standard output when absent. */
  destination?: NodeJS.WritableStream;
  /** @default "auto": pretty when the destination is a terminal outside a container, JSON otherwise. */
  format?: LogFormat;
  /** Environment read by `auto` to recognise a container; the process's when absent. */
  env?: Record<string, string | undefined>;
}

/**
 * A logger whose every line carries the service, the organization of the current request and
 * the active trace and span ids. Lines are JSON, or readable ones on an interactive terminal.
 *
 * Components inside one process (the services of the all-in-one process, the store) are named
 * with `logger.child({ component })`: `service` is bound once, here, so no line repeats it.
 */
export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? process.stdout;
  const format = resolveLogFormat(options.format ?? "auto", {
    terminal: isTerminal(destination),
    container: inContainer(options.env ?? process.env),
  });
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
    format === "pretty" ? prettyStream(destination) : (destination as pino.DestinationStream),
  );
}

/** What `auto` means: pretty on a terminal, JSON when the lines go elsewhere or the process runs in a container. */
export function resolveLogFormat(
  format: LogFormat,
  where: { terminal: boolean; container: boolean },
): "json" | "pretty" {
  if (format !== "auto") return format;
  return where.terminal && !where.container ? "pretty" : "json";
}

/** Kubernetes, Docker or Podman: their log collectors want JSON, even when a terminal is attached. */
function inContainer(env: Record<string, string | undefined>): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST) || existsSync("/.dockerenv") || existsSync("/run/.containerenv");
}

function isTerminal(stream: NodeJS.WritableStream): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true;
}

/** Keys shown in the head of a readable line rather than among its fields. */
const headKeys = ["time", "level", "service", "component", "organization_id", "msg"];

/**
 * Readable lines: time, level, service (and component), organization, message, then the other
 * fields as key=value. An error's stack follows on its own lines.
 */
function prettyStream(destination: NodeJS.WritableStream): pino.DestinationStream {
  const colorize = isTerminal(destination) && pretty.isColorSupported;
  return pretty({
    destination,
    sync: true,
    colorize,
    translateTime: "SYS:HH:MM:ss.l",
    ignore: "service,component,organization_id",
    hideObject: true,
    messageFormat: (log, messageKey, _level, { colors }) => {
      const source = [log.service, log.component].filter((part) => typeof part === "string").join("/");
      const organization = typeof log.organization_id === "string" ? colors.cyan(`org=${log.organization_id}`) : "";
      const fields = Object.entries(log)
        .filter(([key]) => !headKeys.includes(key) && key !== messageKey && key !== "err")
        .map(([key, value]) => `${colors.dim(`${key}=`)}${fieldText(value)}`);
      const error = log.err as { message?: unknown; stack?: unknown } | undefined;
      if (error && typeof error === "object") fields.push(`${colors.dim("err=")}${fieldText(error.message)}`);
      const line = [colors.magenta(source), organization, String(log[messageKey] ?? ""), ...fields]
        .filter(Boolean)
        .join(" ");
      const stack = typeof error?.stack === "string" ? `\n${error.stack.replace(/^/gm, "    ")}` : "";
      return line + colors.dim(stack);
    },
  });
}

function fieldText(value: unknown): string {
  if (typeof value === "string") return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
}
