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

/** What the configuration table says of a key, kept beside its schema (see `key`). */
export interface ConfigKeyDoc {
  /** Unit or kind of value: `ms`, `seconds`, `bytes`, `URL`, `secret` … */
  unit: string;
  /** What the key does, in one line. */
  description: string;
  /** The default as the table shows it, where parsing an unset variable cannot tell it (a per-machine value). */
  defaultText?: string;
}

/** The documentation of every config key's schema. */
export const configKeyDocs = z.registry<ConfigKeyDoc>();

/** A config key's schema, registered with its unit and one-line description. */
export function key<S extends z.ZodType>(schema: S, unit: string, description: string, defaultText?: string): S {
  configKeyDocs.add(schema, defaultText === undefined ? { unit, description } : { unit, description, defaultText });
  return schema;
}

/** One declared key: the group it belongs to and its documented schema. */
export interface DeclaredKey {
  name: string;
  group: string;
  schema: z.ZodType;
  doc: ConfigKeyDoc;
}

const declared = new Map<string, DeclaredKey>();

/**
 * Declares a group of keys (variable name → schema made with `key`). A key is declared once:
 * declaring a name a second time, or without documentation, throws. Groups that share a
 * title are one group in the docs. Returns the shape, for loadConfig to compose.
 */
export function configGroup<S extends Record<string, z.ZodType>>(title: string, shape: S): S {
  for (const [name, schema] of Object.entries(shape)) {
    const doc = configKeyDocs.get(schema);
    if (!doc) throw new Error(`config key ${name} has no documentation: declare its schema with key()`);
    const earlier = declared.get(name);
    if (earlier && earlier.schema !== schema) {
      throw new Error(`config key ${name} is declared twice: in "${earlier.group}" and in "${title}"`);
    }
    declared.set(name, { name, group: title, schema, doc });
  }
  return shape;
}

/** Every declared key, in the order of declaration, grouped by the group's first declaration. */
export function declaredConfigKeys(): DeclaredKey[] {
  const groups: string[] = [];
  for (const { group } of declared.values()) if (!groups.includes(group)) groups.push(group);
  const all = [...declared.values()];
  return groups.flatMap((group) => all.filter((declaredKey) => declaredKey.group === group));
}

/** The declaration of a key, or undefined when no group declares it. */
export function declaredConfigKey(name: string): DeclaredKey | undefined {
  return declared.get(name);
}

/** The parsed variables of a shape. */
export type EnvOf<S extends z.ZodRawShape> = z.infer<z.ZodObject<S>>;

const processKeys = configGroup("Process", {
  TRELLIS_HOST: key(z.string().default("127.0.0.1"), "address", "address to listen on (`0.0.0.0` in containers)"),
  TRELLIS_PORT: key(env.port(8080), "port", "port to listen on; `0` picks a free one"),
  TRELLIS_LOG_LEVEL: key(
    env.logLevel().default("info"),
    "level",
    "`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`",
  ),
  TRELLIS_LOG_FORMAT: key(
    env.logFormat().default("auto"),
    "format",
    "`json`, `pretty` (readable lines), or `auto`: pretty on a terminal outside a container",
  ),
  TRELLIS_SHUTDOWN_GRACE_MS: key(
    env.positiveInt(10_000),
    "ms",
    "how long SIGTERM waits for in-flight requests (and buffered batches) before the process exits",
  ),
  TRELLIS_METRICS_PORT: key(
    env.port(0),
    "port",
    "a separately run service's Prometheus endpoint (`GET /metrics` on TRELLIS_HOST: requests in flight, what `deploy/components/autoscale-in-flight` scales on); `0`: off",
  ),
});

/**
 * Variables read by the telemetry set up before the process starts (installTelemetryFromEnv);
 * declared here so that they are validated and documented with the rest.
 */
export const telemetryEnvShape = configGroup("Telemetry", {
  OTEL_EXPORTER_OTLP_ENDPOINT: key(
    z.string().optional(),
    "URL",
    "export traces over OTLP/HTTP to this collector (e.g. `http://collector:4318`); unset: no export",
  ),
  OTEL_SERVICE_NAME: key(
    z.string().optional(),
    "name",
    "service name on exported traces",
    "`trellis-<service>`; all-in-one `trellis`",
  ),
});

/**
 * Variables every service process reads: where it listens (TRELLIS_PORT defaulting to
 * `defaultPort`), how it logs and drains, and the telemetry variables.
 */
export function processEnvShape(defaultPort: number) {
  return {
    ...processKeys,
    TRELLIS_PORT: processKeys.TRELLIS_PORT.removeDefault().default(defaultPort),
    ...telemetryEnvShape,
  };
}

/**
 * The process settings (host, port, log level and format, shutdown grace in milliseconds)
 * from variables parsed with processEnvShape.
 */
export function processConfigFrom(parsed: EnvOf<typeof processKeys>) {
  return {
    host: parsed.TRELLIS_HOST,
    port: parsed.TRELLIS_PORT,
    logLevel: parsed.TRELLIS_LOG_LEVEL,
    logFormat: parsed.TRELLIS_LOG_FORMAT satisfies LogFormat,
    shutdownGraceMs: parsed.TRELLIS_SHUTDOWN_GRACE_MS,
    metricsPort: parsed.TRELLIS_METRICS_PORT,
  };
}

/** Variables of a port that faces clients: how long they may take to send a request. */
export const connectionTimeoutsEnvShape = configGroup("Client connections", {
  TRELLIS_HTTP_HEADERS_TIMEOUT_MS: key(
    env.timeoutMs(defaultConnectionTimeouts.headersMs),
    "ms",
    "time to send the first bytes (a whole HTTP/2 preface), then as long for a request head; 408 or closed",
  ),
  TRELLIS_HTTP_BODY_TIMEOUT_MS: key(
    env.timeoutMs(defaultConnectionTimeouts.bodyMs),
    "ms",
    "time from a request's head to the end of its body (on HTTP/2 of its stream); 408, on HTTP/2 a reset",
  ),
  TRELLIS_HTTP_IDLE_TIMEOUT_MS: key(
    env.timeoutMs(defaultConnectionTimeouts.idleMs),
    "ms",
    "an unused connection (keep-alive, HTTP/2 without open streams) or a stalled request is closed after this",
  ),
});

/**
 * The client time-outs of a listening port, in milliseconds, from variables parsed with
 * connectionTimeoutsEnvShape.
 */
export function connectionTimeoutsFrom(parsed: EnvOf<typeof connectionTimeoutsEnvShape>): ConnectionTimeouts {
  return {
    headersMs: parsed.TRELLIS_HTTP_HEADERS_TIMEOUT_MS,
    bodyMs: parsed.TRELLIS_HTTP_BODY_TIMEOUT_MS,
    idleMs: parsed.TRELLIS_HTTP_IDLE_TIMEOUT_MS,
  };
}

/** The secret of the context tokens the gateway mints and every internal service verifies. */
export const contextSecretEnvShape = configGroup("Context tokens", {
  TRELLIS_CONTEXT_SECRET: key(
    env.secret(),
    "secret, ≥ 32 characters",
    "HS256 secret of the org context tokens, the same in every service; the all-in-one process generates one per start when unset",
  ),
});

/** Shared by the gateway (its upper bound) and Warden (what it tells the gateway). */
export const authCacheEnvShape = configGroup("Authentication", {
  TRELLIS_AUTH_CACHE_SECONDS: key(
    env.wholeNumber(30),
    "seconds",
    "how long the gateway reuses an authentication answer (a revoked key stops working within this); `0`: never",
  ),
});

/**
 * The URLs of the other services. Each service composes the ones it calls, required or
 * `.optional()`; the all-in-one process reads none (its peers are in-process).
 */
export const peersEnvShape = configGroup("Peers", {
  TRELLIS_WARDEN_URL: key(env.url(), "URL", "Warden, e.g. `http://warden:8081`"),
  TRELLIS_QUERY_URL: key(env.url(), "URL", "query service, e.g. `http://query:8082`"),
  TRELLIS_INGEST_URL: key(env.url(), "URL", "ingest service, e.g. `http://ingest:8084`"),
  TRELLIS_DISCOVERY_URL: key(
    env.url(),
    "URL",
    "discovery service, e.g. `http://discovery:8085`; unset: the gateway serves no discovery contract or route",
  ),
  TRELLIS_CACHE_URL: key(
    env.url(),
    "URL",
    "cache service, e.g. `http://cache:8083`: query's and discovery's cache (discovery without it: every call computes), and ingest tells it when new data makes answers stale",
  ),
});

type PeerKey = keyof typeof peersEnvShape;

/** Parsed variables where the peer URLs may be missing, as in the all-in-one process. */
export type PeersOptional<T> = Omit<T, PeerKey> & Partial<Pick<T, Extract<keyof T, PeerKey>>>;

/** A shape without the peer URLs: the all-in-one process calls its services in-process. */
export function withoutPeers<S extends z.ZodRawShape>(shape: S): Omit<S, PeerKey> {
  const copy: Record<string, z.core.$ZodType> = { ...shape };
  for (const name of Object.keys(peersEnvShape)) delete copy[name];
  return copy as unknown as Omit<S, PeerKey>;
}

/** The parsed variables a service's config mapping takes: the peer URLs may be missing (all in one). */
export type ParsedEnv<S extends z.ZodRawShape> = PeersOptional<EnvOf<S>>;

type ProcessShape = ReturnType<typeof processEnvShape>;
type Merged<G extends unknown[]> = G extends [infer First, ...infer Rest] ? First & Merged<Rest> : unknown;

/**
 * A service's config, defined once for the service alone and the all-in-one process:
 * - `shape`: the variables it reads, the process's (TRELLIS_PORT defaulting to `defaultPort`)
 *   and those of `groups`, in that order;
 * - `from`: the process settings plus what `map` makes of parsed variables (the all-in-one
 *   process calls it with its own parse, which has no peer URLs);
 * - `load`: the service's loadConfig, parsing process.env unless given an environment.
 * `from` and `load` throw ConfigError listing every bad variable.
 */
export function serviceConfig<G extends z.ZodRawShape[], C>(
  defaultPort: number,
  groups: [...G],
  map: (parsed: ParsedEnv<ProcessShape & Merged<G>>) => C,
) {
  const shape: ProcessShape & Merged<G> = Object.assign({}, processEnvShape(defaultPort), ...groups);
  const from = (parsed: ParsedEnv<ProcessShape & Merged<G>>) => ({
    ...processConfigFrom(parsed as unknown as EnvOf<ProcessShape>),
    ...map(parsed),
  });
  const load = (environment: Env = process.env) =>
    from(parseEnv(shape, environment) as ParsedEnv<ProcessShape & Merged<G>>);
  return { shape, from, load };
}
