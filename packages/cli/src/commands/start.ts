import { ConfigError, createLogger, onTermination, telemetryHandle } from "@trellis/platform";
import { loadEmbeddedConfig } from "../config.js";
import { ensureDemoOrganization } from "../demo.js";
import { startEmbedded } from "../embedded.js";

/** `trellis start`: every service in this process, embedded ClickHouse unless a URL is set. */
export async function startCommand(): Promise<void> {
  const started = performance.now();
  let config: ReturnType<typeof loadEmbeddedConfig>;
  try {
    config = loadEmbeddedConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`trellis: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger({ service: "trellis", level: config.process.logLevel });
  const embedded = await startEmbedded(config, logger);
  const demo = config.demo ? await ensureDemoOrganization(embedded.store) : { created: false };
  logger.info(
    { url: embedded.url, backend: embedded.store.backend, startup_ms: Math.round(performance.now() - started) },
    "trellis warehouse listening",
  );
  if (demo.created && demo.apiKey) {
    process.stderr.write(
      [
        "",
        "  Created the demo organization. Its API key (shown only now):",
        "",
        `    ${demo.apiKey}`,
        "",
        "  Try:",
        `    curl -H 'Authorization: Bearer ${demo.apiKey}' \\`,
        `      '${embedded.url}/api/v1/analytics/traffic?start_date=2026-01-01&end_date=2026-12-31&group_by=month'`,
        "",
      ].join("\n"),
    );
  }
  onTermination(logger, config.process.shutdownGraceMs, async () => {
    await embedded.close();
    await telemetryHandle()?.shutdown();
  });
}
