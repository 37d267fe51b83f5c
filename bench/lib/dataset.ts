// A generated, enriched dataset in an embedded store for the query-side benchmarks. Seeding
// 10M events takes minutes, so BENCH_DATA_DIR keeps one between runs: a directory seeded with
// the same parameters is reused as it is; anything else is seeded afresh in a temporary
// directory that is removed afterwards.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Embedded, startEmbedded } from "@trellis/cli";
import { seedDirect } from "@trellis/cli/seed";
import { createLogger } from "@trellis/platform";
import type { Store } from "@trellis/store";
import { defaultQueryLimits, withLimits } from "@trellis/traffic-rules";
import { createAccounts, createWardenRepository } from "@trellis/warden";
import { benchEngineConfig, benchGenerator } from "./engine.js";
import { progress } from "./report.js";

export interface DatasetOptions {
  events: number;
  organizations: number;
  days: number;
  seed: number;
  /**
   * Copies of the generated traffic (BENCH_SCALE): copy k repeats every event of the same
   * organization at the same time with ids suffixed "~k", so each organization has k times
   * the visitors, sessions and events in the same days. Made by the engine (INSERT … SELECT),
   * which is far faster than generating and enriching that many more events.
   */
  scale?: number;
}

export interface Dataset {
  embedded: Embedded;
  /** Id of the largest organization and an API key of it (every scope). */
  largest: string;
  key: string;
  largestEvents: number;
  /** The end of the generated traffic. */
  end: Date;
  reused: boolean;
  close(): Promise<void>;
}

const MARKER = "bench-dataset.json";

export async function openDataset(options: DatasetOptions): Promise<Dataset> {
  const keep = process.env.BENCH_DATA_DIR;
  const work = keep ?? mkdtempSync(join(tmpdir(), "trellis-bench-"));
  if (keep) mkdirSync(keep, { recursive: true });
  const markerPath = join(work, MARKER);
  const previous = existsSync(markerPath)
    ? (JSON.parse(readFileSync(markerPath, "utf8")) as DatasetOptions & { end: string; key: string })
    : undefined;
  const scale = options.scale ?? 1;
  const reused =
    previous !== undefined &&
    previous.events === options.events &&
    previous.organizations === options.organizations &&
    previous.days === options.days &&
    previous.seed === options.seed;
  if (keep && previous && !reused) {
    throw new Error(`${keep} holds a dataset seeded with other parameters; remove it or choose another BENCH_DATA_DIR`);
  }
  const logger = createLogger({ service: "bench", level: "warn" });
  const config = benchEngineConfig(work);
  const embedded = await startEmbedded(config, logger);
  const { end, generator } = benchGenerator({
    ...options,
    end: reused ? new Date(previous.end) : new Date(Date.now() - 60_000),
  });
  const largest = generator.organizations[0]?.id ?? "";
  let key: string;
  if (reused) {
    progress(`reusing the dataset in ${work}`);
    key = previous.key;
  } else {
    const accounts = createAccounts({ repository: createWardenRepository(embedded.store) });
    for (const org of generator.organizations) await accounts.createOrganization({ id: org.id, name: org.name });
    key = (await accounts.createApiKey({ organizationId: largest, name: "bench", scopes: [] })).credential;
    progress(`seeding ${options.events.toLocaleString("en")} events over ${options.organizations} organizations`);
    await seedDirect(embedded.store, generator, {
      seed: options.seed,
      events: options.events,
      retentionDays: 3650,
      organizationFor: (id) => id,
      enricher: { ipHashKey: config.ingest.ipHashKey },
      label: "seeding",
    });
  }
  const copies = reused ? (previous.scale ?? 1) : 1;
  if (copies > scale) throw new Error(`${work} holds ${copies} copies of the traffic; BENCH_SCALE asks for ${scale}`);
  for (let copy = copies; copy < scale; copy++) {
    progress(`copying the traffic: copy ${copy + 1} of ${scale}`);
    await embedded.store.command({
      name: "bench.scale",
      sql: `INSERT INTO ${embedded.store.database}.analytics_events
SELECT * REPLACE (
  concat(event_id, '~', {copy:String}) AS event_id,
  concat(batch_id, '~', {copy:String}) AS batch_id,
  if(visitor_id = '', '', concat(visitor_id, '~', {copy:String})) AS visitor_id,
  if(session_id = '', '', concat(session_id, '~', {copy:String})) AS session_id,
  if(click_id = '', '', concat(click_id, '~', {copy:String})) AS click_id
)
FROM (SELECT * FROM ${embedded.store.database}.analytics_events WHERE position(event_id, '~') = 0)`,
      params: { copy: String(copy) },
      organizationId: null,
    });
  }
  if (keep) writeFileSync(markerPath, JSON.stringify({ ...options, scale, end: end.toISOString(), key }));
  // Merged parts, as a long-running server would have them: a read then measures the data,
  // not the thousands of small parts a fast seed leaves behind.
  for (const table of [
    "analytics_events",
    "events_hourly",
    "events_daily",
    "events_daily_overview",
    "events_daily_totals",
    "landing_sessions",
  ]) {
    progress(`merging ${table}`);
    await embedded.store.command({
      name: "bench.optimize",
      sql: `OPTIMIZE TABLE ${embedded.store.database}.${table} FINAL`,
      organizationId: null,
    });
  }
  const { rows } = await embedded.store.query<{ n: string }>({
    name: "bench.largest",
    sql: `SELECT count() AS n FROM ${embedded.store.database}.analytics_events WHERE organization_id = {org:String}`,
    params: { org: largest },
    organizationId: largest,
  });
  return {
    embedded,
    largest,
    key,
    largestEvents: Number(rows[0]?.n ?? 0),
    end,
    reused,
    async close() {
      await embedded.close(1_000);
      if (!keep) rmSync(work, { recursive: true, force: true });
    },
  };
}

/**
 * Milliseconds the engine takes to answer a compiled statement through the client, under the
 * query limits and with the settings the product runs it with (`settings`).
 */
export async function timeStatement(
  store: Store,
  statement: { sql: string; params: Record<string, unknown> },
  organizationId: string,
  settings: Record<string, string | number> = {},
): Promise<number> {
  const started = performance.now();
  await store.query({
    name: "bench.raw",
    sql: withLimits(statement.sql, defaultQueryLimits, undefined, settings),
    params: statement.params,
    organizationId,
  });
  return performance.now() - started;
}
