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
  const { rows } = await store.query<{ version: number; checksum: string }>({
    name: "migrate.applied",
    sql: `SELECT version, argMax(checksum, applied_at) AS checksum FROM ${target.database}.schema_migrations GROUP BY version`,
    organizationId: null,
  });
  const applied = new Map(rows.map((r) => [Number(r.version), r.checksum]));
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
