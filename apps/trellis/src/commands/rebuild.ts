import { parseArgs } from "node:util";
import { advanceDataVersionsInRedis, cacheRedisEnvShape, redisConfigFrom } from "@trellis/cache";
import { createLogger, echo, parseEnv } from "@trellis/platform";
import { createStore, ensureSchema, loadStoreConfig } from "@trellis/store";
import { createWardenRepository } from "@trellis/warden";
import { createProgress } from "../progress.js";
import { type RebuildOutcome, RebuildStepError, rebuildDerivedTables, storedDays } from "../rebuild.js";
import { UsageError } from "./admin.js";

const DAY_MS = 86_400_000;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function dateOption(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(`${value}T00:00:00Z`);
  if (!ISO_DATE.test(value) || Number.isNaN(ms) || isoDay(ms) !== value)
    throw new UsageError(`${flag} expects a date YYYY-MM-DD, got ${echo(value)}`);
  return value;
}

/**
 * The days a rebuild takes: `--from` (the first stored day when absent) to `--to`. An embedded
 * store is the command's alone (no process can hold its data directory meanwhile), so up to
 * today; a server's up to yesterday only, since ingest's views may be writing today's rows.
 */
export function rebuildWindow(
  backend: "chdb" | "server",
  fromOption: string | undefined,
  toOption: string | undefined,
  nowMs: number,
): { from: string; to: string } {
  const from = dateOption(fromOption, "--from") ?? "1970-01-01";
  const requestedTo = dateOption(toOption, "--to");
  const today = isoDay(nowMs);
  const lastDay = backend === "chdb" ? today : isoDay(nowMs - DAY_MS);
  if (requestedTo !== undefined && requestedTo > lastDay) {
    throw new UsageError(
      `--to ${requestedTo}: the latest day a rebuild may take on a running server is ${lastDay}; ` +
        `today's (UTC) rows are still being written by ingest — rebuild ${today} tomorrow`,
    );
  }
  const to = requestedTo ?? lastDay;
  if (from > to) throw new UsageError(`--from ${from} is after --to ${to}`);
  return { from, to };
}

function daysPerStepOption(value: string | undefined): number {
  if (value === undefined) return 7;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 366)
    throw new UsageError(`--days-per-step expects a whole number from 1 to 366, got ${echo(value)}`);
  return n;
}

/**
 * `trellis rebuild`: the rollups and landing sessions of stored days made again from the raw
 * events, per organization and UTC day. What a ClickHouse cluster upgraded across a migration
 * that adds such a table needs (a cluster's new table holds only what is inserted after it;
 * a single store's migration fills it), and what repairs one after an operator's manual change to
 * the events. On a server or cluster the services keep running: today (UTC) is refused, as
 * ingest's views are still writing it, and the shared cache (TRELLIS_REDIS_URL or
 * TRELLIS_REDIS_CLUSTER_NODES) is told each organization's rebuilt days, so that no instance
 * serves an answer computed before.
 */
export async function rebuildCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      org: { type: "string", multiple: true },
      from: { type: "string" },
      to: { type: "string" },
      "days-per-step": { type: "string" },
    },
  });
  const daysPerStep = daysPerStepOption(values["days-per-step"]);
  const logger = createLogger({ service: "trellis-rebuild", level: "warn", destination: process.stderr });
  const redis = redisConfigFrom(parseEnv(cacheRedisEnvShape, process.env));
  const store = createStore(loadStoreConfig(process.env), { logger: logger.child({ component: "store" }) });
  try {
    const { from, to } = rebuildWindow(store.backend, values.from, values.to, Date.now());
    await ensureSchema(store, logger);
    const known = (await createWardenRepository(store).listOrganizations()).map((o) => o.id);
    const organizations = values.org ?? known;
    const unknown = organizations.filter((id) => !known.includes(id));
    if (unknown.length > 0) throw new UsageError(`--org: no organization ${unknown.map((id) => echo(id)).join(", ")}`);

    const outcomes: RebuildOutcome[] = [];
    let failure: RebuildStepError | undefined;
    for (const organizationId of organizations) {
      const days = await storedDays(store, organizationId, from, to);
      const progress = createProgress(`rebuilding ${organizationId}`, days.length, "days");
      try {
        outcomes.push(await rebuildDerivedTables(store, organizationId, days, daysPerStep, (n) => progress.add(n)));
      } catch (error) {
        if (!(error instanceof RebuildStepError)) throw error;
        failure = error;
        break;
      } finally {
        progress.finish();
      }
    }
    // Every organization whose rows changed, the one a failed step stopped at too, is told to
    // the shared cache before the command ends, failed or not.
    const changed = [
      ...outcomes.filter((o) => o.days.length > 0).map((o) => ({ organizationId: o.organizationId, dates: o.days })),
      ...(failure ? [{ organizationId: failure.organizationId, dates: failure.touched }] : []),
    ];
    const advanced = redis ? await advanceDataVersionsInRedis(redis, changed, logger) : undefined;
    process.stdout.write(
      `${JSON.stringify(
        {
          from,
          to,
          organizations: outcomes.map((o) => ({
            id: o.organizationId,
            days: o.days.length,
            first_day: o.days[0] ?? null,
            last_day: o.days.at(-1) ?? null,
            rows_before: o.removed,
            rows_after: o.written,
            cache: !advanced ? "no shared cache" : advanced.get(o.organizationId) ? "advanced" : "not advanced",
          })),
        },
        null,
        2,
      )}\n`,
    );
    const missed = changed.filter((o) => advanced && !advanced.get(o.organizationId));
    if (failure) {
      process.stderr.write(
        `trellis: ${failure.message}; the shared cache: ${!advanced ? "none configured" : advanced.get(failure.organizationId) ? "advanced" : "not advanced"}\n`,
      );
      process.exitCode = 1;
    }
    if (missed.length > 0) {
      process.stderr.write(
        `trellis: Redis did not take the new data versions of ${missed.map((o) => o.organizationId).join(", ")}: ` +
          "cached answers over the rebuilt days may be served until they expire; run the rebuild again once Redis is reachable\n",
      );
      process.exitCode = 1;
    }
    if (!redis && store.backend === "server" && changed.length > 0) {
      process.stderr.write(
        "trellis: no shared cache configured (TRELLIS_REDIS_URL): a running service's in-process cache may serve " +
          "answers over the rebuilt days until they expire\n",
      );
    }
  } finally {
    await store.close();
  }
}
