// The embedded product a query-side benchmark runs in-process, the end of its generated
// traffic, and that traffic seeded and merged.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Embedded, type EmbeddedConfig, loadEmbeddedConfig, startEmbedded } from "@trellis/cli";
import { type Generator, seedDirect } from "@trellis/cli/seed";
import { createGenerator } from "@trellis/generator";
import { createLogger } from "@trellis/platform";
import { rollups, type Store } from "@trellis/store";
import { progress } from "./report.js";

/** The product's configuration for a benchmark's embedded engine in `dataDir`: no demo, quiet logs. */
export function benchEngineConfig(dataDir: string): EmbeddedConfig {
  return loadEmbeddedConfig({
    TRELLIS_DATA_DIR: dataDir,
    TRELLIS_PORT: "0",
    TRELLIS_DEMO: "false",
    TRELLIS_LOG_LEVEL: "warn",
    // Merging a seeded 10M dataset (OPTIMIZE … FINAL) takes longer than a request may.
    TRELLIS_CLICKHOUSE_REQUEST_TIMEOUT_MS: "600000",
  });
}

/**
 * The end of the generated traffic: a minute ago, or BENCH_END (an ISO instant) so that two
 * commits are scored on the same traffic — the generator places it relative to its end.
 */
export function benchEnd(): Date {
  const given = process.env.BENCH_END;
  if (given === undefined) return new Date(Date.now() - 60_000);
  const end = new Date(given);
  if (Number.isNaN(end.getTime()))
    throw new Error(`BENCH_END=${given}: expected an ISO instant such as 2026-12-06T09:00:00Z`);
  return end;
}

/**
 * Seeds the generator's traffic through ingest's preparation, then merges the events table and
 * every rollup (OPTIMIZE … FINAL), as a long-running server would have them: a fresh seed leaves
 * thousands of small parts behind, which a read would measure instead of the data.
 */
export async function seedMerged(
  store: Store,
  generator: Generator,
  options: { seed: number; events: number; ipHashKey: string },
): Promise<void> {
  await seedDirect(store, generator, {
    seed: options.seed,
    events: options.events,
    retentionDays: 3650,
    organizationFor: (id) => id,
    enricher: { ipHashKey: options.ipHashKey },
    label: "seeding",
  });
  for (const table of ["analytics_events", ...rollups.map((spec) => spec.name)]) {
    progress(`merging ${table}`);
    await store.command({
      name: "bench.optimize",
      sql: `OPTIMIZE TABLE ${store.database}.${table} FINAL`,
      organizationId: null,
    });
  }
}

/** The embedded product in a temporary data directory, removed when it closes. */
export async function startBenchEngine(
  prefix: string,
): Promise<{ config: EmbeddedConfig; embedded: Embedded; close(): Promise<void> }> {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const config = benchEngineConfig(work);
  const embedded = await startEmbedded(config, createLogger({ service: "bench", level: "warn" }));
  return {
    config,
    embedded,
    async close() {
      await embedded.close(1_000);
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** Generated traffic of `days` days up to `end` ({@link benchEnd} unless given). */
export function benchGenerator(options: {
  seed: number;
  organizations: number;
  events: number;
  days: number;
  end?: Date;
}) {
  const end = options.end ?? benchEnd();
  const generator = createGenerator({
    seed: options.seed,
    organizations: options.organizations,
    totalEvents: options.events,
    start: new Date(end.getTime() - options.days * 86_400_000),
    end,
  });
  return { end, generator };
}
