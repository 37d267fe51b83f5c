import type { Logger } from "@trellis/platform";
import { bootstrapStatements, checksum, type DdlTarget, migrations } from "./migrations/index.js";
import type { Store } from "./store.js";
import { toDateTime64 } from "./time.js";

/**
 * Applies the migrations not yet recorded in `schema_migrations`, in order, after creating
 * the databases and that table; answers the versions it applied. An applied migration whose
 * statements have changed since is left alone and logged (add a new one instead).
 */
export async function applyMigrations(store: Store, target: DdlTarget, logger: Logger): Promise<number[]> {
  for (const sql of bootstrapStatements(target)) {
    await store.command({ name: "migrate.bootstrap", sql, organizationId: null });
  }
  const applied = await appliedMigrations(store, target);
  const done: number[] = [];
  for (const migration of migrations) {
    const sum = checksum(migration, target);
    const previous = applied.get(migration.version);
    if (previous !== undefined) {
      if (previous !== sum) {
        logger.warn(
          { version: migration.version, applied: previous, current: sum },
          "an applied migration has changed since it ran; add a new migration instead of editing one",
        );
      }
      continue;
    }
    logger.info({ version: migration.version, migration: migration.name }, "applying migration");
    for (const sql of migration.statements(target)) {
      await store.command({ name: `migrate.${migration.version}`, sql, organizationId: null });
    }
    await store.insert(
      "schema_migrations",
      [{ version: migration.version, name: migration.name, checksum: sum, applied_at: toDateTime64(Date.now()) }],
      { organizationId: null },
    );
    done.push(migration.version);
  }
  return done;
}

/** The checksum of every applied migration, by version. */
async function appliedMigrations(store: Store, target: DdlTarget): Promise<Map<number, string>> {
  const { rows } = await store.query<{ version: number; checksum: string }>({
    name: "migrate.applied",
    sql: `SELECT version, argMax(checksum, applied_at) AS checksum FROM ${target.database}.schema_migrations GROUP BY version`,
    organizationId: null,
  });
  return new Map(rows.map((r) => [Number(r.version), r.checksum]));
}

/** The versions of this build's migrations not applied yet (all of them on an empty server). */
export async function pendingMigrations(store: Store, target: DdlTarget): Promise<number[]> {
  let applied: Map<number, string>;
  try {
    applied = await appliedMigrations(store, target);
  } catch (error) {
    // No database or no bookkeeping table yet: nothing was ever applied.
    const code = String((error as { code?: unknown }).code);
    if (code === UNKNOWN_TABLE || code === UNKNOWN_DATABASE) return migrations.map((m) => m.version);
    throw error;
  }
  return migrations.filter((m) => !applied.has(m.version)).map((m) => m.version);
}

const UNKNOWN_TABLE = "60";
const UNKNOWN_DATABASE = "81";

/** The schema of a shared ClickHouse server is older than this build needs. */
export class SchemaBehindError extends Error {
  override name = "SchemaBehindError";
}

/**
 * What a service does with its store's schema at start. Migrations of a shared ClickHouse
 * server belong to one step — `trellis migrate` (the all-in-one start runs it; on Kubernetes,
 * the `migrate` Job of deploy/base) — so a service only checks that none is pending and
 * refuses to start otherwise. An embedded engine is the service's own (one data directory per
 * process), so nobody else can migrate it: the service does.
 */
export async function ensureSchema(store: Store, logger: Logger): Promise<void> {
  if (store.backend === "chdb") {
    await store.migrate();
    return;
  }
  const pending = await store.pendingMigrations();
  if (pending.length > 0) {
    throw new SchemaBehindError(
      `the ClickHouse schema of ${store.database} lacks migrations ${pending.join(", ")}: run \`trellis migrate\` ` +
        "against it first (on Kubernetes, the migrate Job of deploy/base), then start the service again",
    );
  }
  logger.debug({ database: store.database }, "schema is current");
}
