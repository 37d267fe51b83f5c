import { createGenerator } from "@trellis/generator";
import { ConfigError, createLogger, type Logger, onTermination, telemetryHandle } from "@trellis/platform";
import { DEFAULT_RETENTION_DAYS } from "@trellis/warden";
import type { EmbeddedConfig } from "../config.js";
import { loadEmbeddedConfig } from "../config.js";
import { DEMO_ORGANIZATION_ID, ensureDemoOrganization } from "../demo.js";
import { type Embedded, startEmbedded } from "../embedded.js";
import { seedDirect } from "../seed.js";

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
  const logger = createLogger({
    service: "trellis",
    level: config.process.logLevel,
    format: config.process.logFormat,
  });
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
  if (demo.created && config.demoEvents > 0) {
    void seedDemo(embedded, config, logger).catch((error: unknown) =>
      logger.error({ err: error }, "seeding the demo organization failed"),
    );
  }
  onTermination(logger, config.process.shutdownGraceMs, async () => {
    await embedded.close();
    await telemetryHandle()?.shutdown();
  });
}

/** Fills the new demo organization with 90 days of generated traffic, while the server already answers. */
async function seedDemo(embedded: Embedded, config: EmbeddedConfig, logger: Logger): Promise<void> {
  const end = new Date(Date.now() - 60_000);
  const generator = createGenerator({
    seed: 42,
    organizations: 1,
    totalEvents: config.demoEvents,
    start: new Date(end.getTime() - 90 * 86_400_000),
    end,
  });
  const result = await seedDirect(embedded.store, generator, {
    seed: 42,
    events: config.demoEvents,
    retentionDays: DEFAULT_RETENTION_DAYS,
    organizationFor: () => DEMO_ORGANIZATION_ID,
    enricher: {
      ipHashKey: config.ingest.ipHashKey,
      cityDatabasePath: config.ingest.geo.cityDatabasePath,
      asnDatabasePath: config.ingest.geo.asnDatabasePath,
    },
    // The server answers meanwhile: one preparing thread, the other core left to it.
    workers: 1,
    label: "seeding the demo organization",
  });
  await embedded.advanceDataVersion(DEMO_ORGANIZATION_ID);
  logger.info({ events: result.done, seconds: Math.round(result.seconds * 10) / 10 }, "demo organization seeded");
}
