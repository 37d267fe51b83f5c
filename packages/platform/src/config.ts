import { z } from "zod";
import type { LogFormat } from "./logger.js";
import { type ConnectionTimeouts, defaultConnectionTimeouts } from "./server.js";

/**
 * Bad configuration: every problem found, one per line of the message (and in `problems`),
 * each naming its variable. Service processes exit with status 2 on it (see runService).
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export type Env = Record<string, string | undefined>;

/**
 * Parses the environment against a schema whose keys are variable names. Only the schema's
 * variables are read, and an empty value counts as unset (its default applies). Every bad key
 * is reported in one ConfigError naming the variable, what it expects and what it got; the
 * value of a variable whose name holds SECRET, PASSWORD, TOKEN or KEY is shown as
 * `<redacted>`. Throws ConfigError; pure otherwise.
 */
export function parseEnv<S extends z.ZodRawShape>(shape: S, env: Env): z.infer<z.ZodObject<S>> {
  const relevant: Record<string, string> = {};
  for (const key of Object.keys(shape)) {
    const value = env[key];
    if (value !== undefined && value !== "") relevant[key] = value;
  }
  const result = z.object(shape).safeParse(relevant);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? "?");
    const got = relevant[key];
    const shown = got === undefined ? "it is not set" : `got ${JSON.stringify(redact(key, got))}`;
    return `${key}: ${issue.message} (${shown})`;
  });
  throw new ConfigError(problems);
}

function redact(key: string, value: string): string {
  return /SECRET|PASSWORD|TOKEN|KEY/i.test(key) ? "<redacted>" : value;
}

/** Reusable field schemas with messages that say what is expected. */
export const env = {
  port: (fallback: number) =>
    z.coerce
      .number({ error: "expected a TCP port number" })
      .int("expected a whole number")
      .min(0, "expected a port from 0 to 65535")
      .max(65535, "expected a port from 0 to 65535")
      .default(fallback),
  positiveInt: (fallback: number) =>
    z.coerce
      .number({ error: "expected a positive whole number" })
      .int("expected a whole number")
      .positive("expected a positive whole number")
      .default(fallback),
  /** Zero or more; zero usually turns the feature off. */
  wholeNumber: (fallback: number) =>
    z.coerce
      .number({ error: "expected a whole number" })
      .int("expected a whole number")
      .min(0, "expected zero or more")
      .default(fallback),
  url: () => z.url({ error: "expected an absolute URL such as http://127.0.0.1:8081" }),
  secret: () => z.string().min(32, "expected a secret of at least 32 characters"),
  logLevel: () =>
    z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
      error: "expected one of fatal, error, warn, info, debug, trace, silent",
    }),
  /** `json`, `pretty`, or `auto`: readable lines on an interactive terminal outside a container, JSON otherwise. */
  logFormat: () => z.enum(["json", "pretty", "auto"], { error: "expected one of json, pretty, auto" }),
  /** A time-out in milliseconds: positive, and at most an hour (a longer one is no limit). */
  timeoutMs: (fallback: number) =>
    z.coerce
      .number({ error: "expected a whole number of milliseconds" })
      .int("expected a whole number of milliseconds")
      .positive("expected a positive number of milliseconds")
      .max(3_600_000, "expected at most 3600000 (one hour)")
      .default(fallback),
  bool: (fallback: boolean) =>
    z
      .enum(["true", "false", "1", "0"], { error: "expected true or false" })
      .transform((v) => v === "true" || v === "1")
      .prefault(fallback ? "true" : "false"),
};

/**
 * Variables every service process reads: TRELLIS_HOST (default 127.0.0.1), TRELLIS_PORT
 * (default `defaultPort`), TRELLIS_LOG_LEVEL (info), TRELLIS_LOG_FORMAT (auto) and
 * TRELLIS_SHUTDOWN_GRACE_MS (10000 ms).
 */
export function processEnvShape(defaultPort: number) {
  return {
    TRELLIS_HOST: z.string().default("127.0.0.1"),
    TRELLIS_PORT: env.port(defaultPort),
    TRELLIS_LOG_LEVEL: env.logLevel().default("info"),
    TRELLIS_LOG_FORMAT: env.logFormat().default("auto"),
    TRELLIS_SHUTDOWN_GRACE_MS: env.positiveInt(10_000),
  };
}

/**
 * The process settings (host, port, log level and format, shutdown grace in milliseconds)
 * from variables parsed with processEnvShape.
 */
export function processConfigFrom(parsed: {
  TRELLIS_HOST: string;
  TRELLIS_PORT: number;
  TRELLIS_LOG_LEVEL: string;
  TRELLIS_LOG_FORMAT: LogFormat;
  TRELLIS_SHUTDOWN_GRACE_MS: number;
}) {
  return {
    host: parsed.TRELLIS_HOST,
    port: parsed.TRELLIS_PORT,
    logLevel: parsed.TRELLIS_LOG_LEVEL,
    logFormat: parsed.TRELLIS_LOG_FORMAT,
    shutdownGraceMs: parsed.TRELLIS_SHUTDOWN_GRACE_MS,
  };
}

/** Variables of a port that faces clients: how long they may take to send a request. */
export const connectionTimeoutsEnvShape = {
  TRELLIS_HTTP_HEADERS_TIMEOUT_MS: env.timeoutMs(defaultConnectionTimeouts.headersMs),
  TRELLIS_HTTP_BODY_TIMEOUT_MS: env.timeoutMs(defaultConnectionTimeouts.bodyMs),
  TRELLIS_HTTP_IDLE_TIMEOUT_MS: env.timeoutMs(defaultConnectionTimeouts.idleMs),
};

/**
 * The client time-outs of a listening port, in milliseconds, from variables parsed with
 * connectionTimeoutsEnvShape.
 */
export function connectionTimeoutsFrom(parsed: {
  TRELLIS_HTTP_HEADERS_TIMEOUT_MS: number;
  TRELLIS_HTTP_BODY_TIMEOUT_MS: number;
  TRELLIS_HTTP_IDLE_TIMEOUT_MS: number;
}): ConnectionTimeouts {
  return {
    headersMs: parsed.TRELLIS_HTTP_HEADERS_TIMEOUT_MS,
    bodyMs: parsed.TRELLIS_HTTP_BODY_TIMEOUT_MS,
    idleMs: parsed.TRELLIS_HTTP_IDLE_TIMEOUT_MS,
  };
}
