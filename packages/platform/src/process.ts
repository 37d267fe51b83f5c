import { ConfigError } from "./config.js";
import type { HealthState } from "./health.js";
import { createLogger, type LogFormat, type Logger } from "./logger.js";
import { type ServiceApp, serveApp } from "./mesh.js";
import { type MetricsEndpoint, startMetricsEndpoint } from "./metrics-endpoint.js";
import type { ConnectionTimeouts, RequestListener, RunningServer } from "./server.js";
import { telemetryHandle } from "./telemetry.js";

export interface ProcessConfig {
  host: string;
  port: number;
  logLevel: string;
  /** Lines as JSON, readable, or readable only on a terminal; `auto` when absent. */
  logFormat?: LogFormat;
  shutdownGraceMs: number;
  /** Port of the Prometheus metrics endpoint; 0 or absent: none. */
  metricsPort?: number;
  /** Client time-outs of the listening port; the platform defaults when absent. */
  connectionTimeouts?: ConnectionTimeouts;
  /** Largest RPC request body in bytes (the gateway's TRELLIS_REQUEST_MAX_BYTES); 16 MiB when absent. */
  requestMaxBytes?: number;
}

export interface RunServiceOptions<C extends ProcessConfig> {
  name: string;
  loadConfig: (env: NodeJS.ProcessEnv) => C;
  createApp: (config: C, logger: Logger) => Promise<ServiceApp & { fallback?: RequestListener }>;
}

/**
 * The life of one service process: validated config, the app, one listening port, and a
 * drain on SIGTERM/SIGINT (stop accepting, finish in-flight work, close resources, flush
 * telemetry), all raced against the grace period. Exits the process with status 2 when the
 * configuration is invalid (the ConfigError's message on standard error) and 1 when the app
 * fails to start; any other error from loadConfig is rethrown.
 */
export async function runService<C extends ProcessConfig>(options: RunServiceOptions<C>): Promise<void> {
  let config: C;
  try {
    config = options.loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${options.name}: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger({ service: options.name, level: config.logLevel, format: config.logFormat });
  const health: HealthState = { draining: false };
  const shutdown = new AbortController();
  let app: Awaited<ReturnType<typeof options.createApp>>;
  let server: RunningServer;
  let metrics: MetricsEndpoint | undefined;
  try {
    app = await options.createApp(config, logger);
    server = await serveApp(app, {
      host: config.host,
      port: config.port,
      logger,
      health,
      shutdownSignal: shutdown.signal,
      fallback: app.fallback,
      timeouts: config.connectionTimeouts,
      readMaxBytes: config.requestMaxBytes,
    });
    if (config.metricsPort) {
      const running = server;
      metrics = await startMetricsEndpoint({
        host: config.host,
        port: config.metricsPort,
        service: options.name,
        inFlight: () => running.inFlight(),
      });
      logger.info({ url: metrics.url }, "metrics endpoint listening");
    }
  } catch (error) {
    logger.fatal({ err: error }, `${options.name} failed to start`);
    process.exit(1);
  }
  logger.info({ url: server.url }, `${options.name} listening`);
  onTermination(logger, config.shutdownGraceMs, async () => {
    health.draining = true;
    shutdown.abort();
    await server.close(config.shutdownGraceMs);
    await metrics?.close();
    await app.close();
    await telemetryHandle()?.shutdown();
  });
}

/**
 * Runs `drain` once on the first SIGTERM or SIGINT (later signals are ignored) and exits the
 * process: 0 when it resolved, 1 when it rejected or did not finish within `graceMs` plus 2 s.
 */
export function onTermination(logger: Logger, graceMs: number, drain: () => Promise<void>): void {
  let draining = false;
  const handle = (signal: NodeJS.Signals) => {
    if (draining) return;
    draining = true;
    logger.info({ signal }, "draining");
    const deadline = setTimeout(() => {
      logger.error({ grace_ms: graceMs }, "drain did not finish in time; exiting");
      process.exit(1);
    }, graceMs + 2_000);
    deadline.unref();
    drain().then(
      () => {
        logger.info("stopped");
        logger.flush();
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, "drain failed");
        logger.flush();
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", handle);
  process.once("SIGINT", handle);
}
